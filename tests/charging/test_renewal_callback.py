"""Issue #12 finding 6: with the OCS host whitelisted (role "OCS Callback", as the demo configures it), a real
*http_post from the simulator's scheduler reaches /crm/provision/simple_provision_addon and renews the add-on:
a new job runs the add-on's play, which charges the customer and tops the balance up again. Without the whitelist
the same callback is refused and nothing is renewed."""
from decimal import Decimal

import pytest

from omnicrm.config import _validate_ip_whitelist
from tests.fixtures.cgrates import OcsClock
from tests.provisioning.reference_helpers import failure_details, reference  # noqa: F401 - fixture
from tests.provisioning.test_reference_plays import GB, sim_order


@pytest.fixture
def whitelisted_ocs(app, monkeypatch):
    """The demo's whitelist (Makefile DEMO_IP_WHITELIST): the simulator calls from 127.0.0.1."""
    monkeypatch.setitem(app.config["CRM"], "ip_whitelist",
                        _validate_ip_whitelist({"127.0.0.1": {"roles": ["OCS Callback"]}}))


def _renewals(ref):
    return [c for c in ref.charges() if c[0] == "Extra 10GB Data"]


def test_scheduler_callback_renews_the_addon_end_to_end(reference, whitelisted_ocs):
    ref = reference
    clock = OcsClock(ref.sim)
    clock.start("2027-01-15T09:00:00Z")
    assert ref.order("Mobile-SIM", **sim_order(ref))["provisioning_status"] == 0
    [service] = ref.services()
    uuid, sid = service["service_uuid"], service["service_id"]
    job = ref.order("extra-10gb-data", service_id=sid, auto_renew="true")
    assert job["provisioning_status"] == 0, failure_details(job)
    assert len(_renewals(ref)) == 1
    [first_bucket] = ref.balances(uuid)["*data"]

    fired = clock.advance(months=1)
    assert [(f["ActionPlanID"], f["Time"][:10]) for f in fired] == [
        (f"ActionPlan_Monthly_{uuid}_{ref.product('extra-10gb-data')}", "2027-02-15")]
    [post] = clock.posts()
    assert post["Status"] == 200 and post["URL"].endswith(
        f"/crm/provision/simple_provision_addon/service_id/{sid}/product_id/{ref.product('extra-10gb-data')}")
    jobs = ref.client.get("/crm/provision/", headers=ref.headers, query_string={"sort": "provision_id"}).get_json()
    renewal = ref.job(jobs["data"][-1]["provision_id"])
    assert renewal["provisioning_status"] == 0, failure_details(renewal)
    assert [c[1] for c in _renewals(ref)] == [Decimal("10.00"), Decimal("10.00")]
    # the first month's 10GB expired after 30 days (Feb 14); the renewal brought a fresh 10GB bucket
    [(bucket, value)] = ref.balances(uuid)["*data"].items()
    assert bucket != first_bucket and value == 10 * GB


def test_without_the_whitelist_the_callback_is_refused(reference):
    ref = reference
    clock = OcsClock(ref.sim)
    clock.start("2027-01-15T09:00:00Z")
    assert ref.order("Mobile-SIM", **sim_order(ref))["provisioning_status"] == 0
    [service] = ref.services()
    assert ref.order("extra-10gb-data", service_id=service["service_id"], auto_renew="true")["provisioning_status"] == 0
    clock.advance(months=1)
    assert [p["Status"] for p in clock.posts()] == [401]
    assert len(_renewals(ref)) == 1


def test_mobile_plan_ordered_with_auto_renew_renews_itself_monthly(reference, whitelisted_ocs):
    """Issue #18 finding 1: the Assign Plan wizard asks "auto-renew?" for the mobile SIM plan. Answered yes, the
    service gets its monthly ActionPlan; a month later the callback renews the plan itself (charge, fresh 20GB
    under a new balance) without asking for another SIM. Answered no, nothing is scheduled."""
    ref = reference
    clock = OcsClock(ref.sim)
    clock.start("2027-03-10T08:00:00Z")
    plan_id = ref.product("prepaid-mobile-20gb")
    job = ref.order("prepaid-mobile-20gb", auto_renew="true", **sim_order(ref))
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    uuid, sid = service["service_uuid"], service["service_id"]
    assert ref.action_plans(uuid) == [f"ActionPlan_Monthly_{uuid}_{plan_id}"]
    held = ref.held_items()

    fired = clock.advance(months=1)
    assert [(f["ActionPlanID"], f["Time"][:10]) for f in fired] == [(f"ActionPlan_Monthly_{uuid}_{plan_id}",
                                                                      "2027-04-10")]
    [post] = clock.posts()
    assert post["Status"] == 200 and post["URL"].endswith(
        f"/crm/provision/simple_provision_addon/service_id/{sid}/product_id/{plan_id}")
    jobs = ref.client.get("/crm/provision/", headers=ref.headers, query_string={"sort": "provision_id"}).get_json()
    renewal = ref.job(jobs["data"][-1]["provision_id"])
    assert renewal["provisioning_status"] == 0, failure_details(renewal)
    assert ref.charges()[-1][:2] == ("Prepaid Mobile 20GB renewal", service["retail_cost"])
    data = ref.balances(uuid)["*data"]
    assert GB * 20 in data.values() and any(k.startswith("DATA_20GB_Monthly_") for k in data)
    assert ref.services() == [service]  # no second service, no new SIM or number
    assert ref.held_items() == held
    assert ref.action_plans(uuid) == [f"ActionPlan_Monthly_{uuid}_{plan_id}"]  # still renewing next month


def test_mobile_plan_without_auto_renew_schedules_nothing(reference):
    ref = reference
    job = ref.order("prepaid-mobile-20gb", auto_renew="false", **sim_order(ref))
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    assert ref.action_plans(service["service_uuid"]) == []
