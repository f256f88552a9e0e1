"""Issue #13 findings 1-3 on the API paths, with time travel: cancelling an auto-renewal, suspending, reactivating and
deleting a service, then advancing the OCS clock to see what fires (CONTRACT.md §8.9, §8.13; spec 05 §3.3, 06 §11)."""

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.services.models import Service
from tests.fixtures.cgrates import unused_endpoint
from tests.services.helpers import create_service, make_customer

TENANT = {"Tenant": "cgrates.org"}


def _account(ocs, uuid):
    reply = ocs.rpc("ApierV2.GetAccount", {**TENANT, "Account": uuid})
    return None if reply["error"] else reply["result"]


def _sms(ocs, uuid):
    account = _account(ocs, uuid)
    return sum(b["Value"] for b in ((account or {}).get("BalanceMap") or {}).get("*sms", []))


def make_renewing_service(app, client, headers, ocs, uuid, customer_id=None, product_id=7, timing="*monthly"):
    """A service whose OCS account renews monthly (a *topup standing in for the renewal charge), with an attribute
    profile, created at the clock's current time."""
    customer_id = customer_id or make_customer(app, f"Customer {uuid}")[0]
    service = create_service(client, headers, customer_id, service_uuid=uuid)
    plan_id = f"ActionPlan_Monthly_{uuid}_{product_id}"
    ocs.ok("ApierV2.SetAccount", {**TENANT, "Account": uuid})
    ocs.ok("ApierV1.SetActions", {"ActionsId": f"Action_AutoTopup_{uuid}_{product_id}", "Overwrite": True, "Actions": [
        {"Identifier": "*topup", "BalanceType": "*sms", "BalanceId": "SMS_RENEWAL", "Units": 100}]})
    ocs.ok("ApierV1.SetActionPlan", {"Id": plan_id, "Overwrite": True, "ReloadScheduler": True, "ActionPlan": [
        {"ActionsId": f"Action_AutoTopup_{uuid}_{product_id}", "Time": timing, "Weight": 10}]})
    ocs.ok("ApierV2.SetAccount", {**TENANT, "Account": uuid, "ActionPlanIDs": [plan_id], "ReloadScheduler": True})
    ocs.ok("APIerSv1.SetAttributeProfile", {**TENANT, "ID": f"ATTR_ACCOUNT_{uuid}", "Contexts": ["*any"],
                                            "FilterIDs": [f"*string:~*req.Account:{uuid}"], "Attributes": [
                                                {"Path": "*req.PhoneNumber", "Type": "*constant",
                                                 "Value": [{"Rules": "61400000001"}]}]})
    return {"service_id": service["service_id"], "uuid": uuid, "plan_id": plan_id, "customer_id": customer_id}


@pytest.fixture
def renewing(app, client, admin_headers, ocs, ocs_clock):
    ocs_clock.start("2027-01-31T10:00:00Z")
    return make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_renew01")


def _status(client, headers, service_id, status):
    response = client.patch(f"/crm/service/{service_id}", json={"service_status": status}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_cancelling_an_auto_renewal_over_the_api_stops_it_firing(client, admin_headers, ocs, ocs_clock, renewing):
    response = client.delete(f"/crm/oam/remove_action_plan/{renewing['plan_id']}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert ocs_clock.advance(months=3) == [] and _sms(ocs, renewing["uuid"]) == 0


def test_suspension_stops_renewals_and_reactivation_resumes_on_the_anniversary(client, admin_headers, ocs,
                                                                              ocs_clock, renewing):
    uuid, sid = renewing["uuid"], renewing["service_id"]
    assert [f["Time"][:10] for f in ocs_clock.advance(months=2)] == ["2027-03-31"]  # Feb has no 31st
    assert _sms(ocs, uuid) == 100

    _status(client, admin_headers, sid, "Suspended")
    assert _account(ocs, uuid)["Disabled"] is True
    assert client.get(f"/crm/oam/action_plans/service_id/{sid}", headers=admin_headers).get_json()["data"] == []
    assert ocs_clock.advance(months=3, days=1) == []  # May 31 would have renewed (and charged)
    assert _sms(ocs, uuid) == 100

    ocs_clock.travel_to("2027-07-20T09:00:00Z")
    body = _status(client, admin_headers, sid, "Active")
    assert _account(ocs, uuid)["Disabled"] is False
    [plan] = body["cgrates"]["ActionPlans"]
    assert plan["ActionPlanId"] == renewing["plan_id"]
    assert ocs_clock.next_runs(uuid)[renewing["plan_id"]].startswith("2027-07-31T10:00:00")
    assert [f["Time"][:10] for f in ocs_clock.advance(months=2)] == ["2027-07-31", "2027-08-31"]
    assert _sms(ocs, uuid) == 300


@pytest.mark.parametrize("status", ["Pending Cancellation", "Inactive", "Deactivated"])
def test_no_status_but_active_renews(client, admin_headers, ocs, ocs_clock, renewing, status):
    _status(client, admin_headers, renewing["service_id"], status)
    assert ocs_clock.advance(months=3) == [] and _sms(ocs, renewing["uuid"]) == 0


def test_delete_deprovisions_the_ocs_account_before_the_row_goes(app, client, admin_headers, ocs, ocs_clock,
                                                                 renewing):
    uuid = renewing["uuid"]
    response = client.delete(f"/crm/service/{renewing['service_id']}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ocs"] == {
        "ocs_account": uuid, "action_plans_removed": [renewing["plan_id"]], "account_disabled": True,
        "account_removed": True, "scheduler_reloaded": True, "profiles_removed": [f"ATTR_ACCOUNT_{uuid}"]}
    assert _account(ocs, uuid) is None
    assert ocs.rpc("APIerSv1.GetAttributeProfile", {**TENANT, "ID": f"ATTR_ACCOUNT_{uuid}"})["error"] == "NOT_FOUND"
    assert ocs_clock.advance(months=3) == [] and _account(ocs, uuid) is None


def test_bulk_delete_reports_per_service_what_was_done(app, client, admin_headers, ocs, ocs_clock, renewing):
    other = make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_renew02")
    no_ocs = create_service(client, admin_headers, renewing["customer_id"], service_uuid="Mobile_SIM_noocs")
    ids = [renewing["service_id"], other["service_id"], no_ocs["service_id"]]
    response = client.post("/crm/service/bulk", json={"action": "delete", "service_ids": ids}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    results = {r["service_id"]: r for r in response.get_json()["results"]}
    assert results[ids[0]]["ocs"]["account_removed"] and results[ids[1]]["ocs"]["account_removed"]
    assert results[ids[2]]["ocs"]["account_removed"] is False and results[ids[2]]["ok"]
    assert ocs.rpc("ApierV2.GetAccounts", TENANT)["result"] in (None, [])
    assert ocs_clock.advance(months=3) == []


def test_ocs_down_refuses_delete_and_the_row_stays(app, client, admin_headers, ocs, renewing, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["ocs"], "cgrates", unused_endpoint())
    response = client.delete(f"/crm/service/{renewing['service_id']}", headers=admin_headers)
    assert response.status_code == 503, response.get_json()
    bulk = client.post("/crm/service/bulk", json={"action": "delete", "service_ids": [renewing["service_id"]]},
                       headers=admin_headers).get_json()
    assert bulk["results"][0]["status_code"] == 503 and bulk["failed"] == 1
    with app.app_context():
        assert db.session.scalar(select(Service.service_id).where(Service.service_uuid == renewing["uuid"]))


def test_ocs_down_refuses_suspension_and_nothing_changes(app, client, admin_headers, ocs, renewing, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["ocs"], "cgrates", unused_endpoint())
    response = client.patch(f"/crm/service/{renewing['service_id']}", json={"service_status": "Suspended"},
                            headers=admin_headers)
    assert response.status_code == 503
    with app.app_context():
        assert db.session.get(Service, renewing["service_id"]).service_status == "Active"
