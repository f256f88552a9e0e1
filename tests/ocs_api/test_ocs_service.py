"""Balances, ActionPlans, top-ups and CGRateS settings of a service, against the CGRateS simulator over HTTP
(spec 04 §13-15, spec 05 §4-6, spec 07 §6.7)."""
import json
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing.models import Transaction
from omnicrm.services.models import Service
from tests.fixtures.cgrates import unused_endpoint
from tests.services.helpers import create_service, make_customer, make_product

UUID = "Mobile_SIM_c2880638"


@pytest.fixture
def mobile(app, client, admin_headers, ocs):
    """A customer with a mobile service whose CGRateS account exists (empty)."""
    customer_id, contact_id = make_customer(app, "Acme Corp", with_contact=True)
    service = create_service(client, admin_headers, customer_id, service_uuid=UUID)
    ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": UUID})
    return {"customer_id": customer_id, "contact_id": contact_id, "service_id": service["service_id"]}


def credit(amount):
    """A staff top-up body: staff say why they credit a service (issue #13.4)."""
    return {"amount": amount, "reason": "Goodwill credit"}


def addon_topup(product_id):
    return {"product_id": product_id, "reason": "Goodwill credit"}


def add_balance(ocs, balance_type, value, **balance):
    ocs.ok("ApierV1.AddBalance", {"Tenant": "cgrates.org", "Account": UUID, "BalanceType": balance_type,
                                  "Balance": {"Value": value, **balance}})


def add_plan(ocs, plan_id, account=UUID):
    ocs.ok("ApierV1.SetActions", {"ActionsId": f"Act_{plan_id}", "Overwrite": True, "Actions": [
        {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "DATA_5GB", "Units": 5368709120}]})
    ocs.ok("ApierV1.SetActionPlan", {"Id": plan_id, "Overwrite": True, "ReloadScheduler": True,
                                     "ActionPlan": [{"ActionsId": f"Act_{plan_id}", "Time": "*monthly",
                                                     "Weight": 10}]})
    if account:
        ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": account, "ActionPlanIDs": [plan_id],
                                      "ReloadScheduler": True})


def test_balances_of_each_type_in_human_units(client, admin_headers, mobile, ocs):
    add_balance(ocs, "*data", 13421772800, ID="DATA_20GB_Monthly", ExpiryTime="+720h", Weight=10)
    add_balance(ocs, "*data", 5368709120, ID="DATA_5GB_Boost", ExpiryTime="+168h", Weight=20)
    add_balance(ocs, "*voice", 7500000000000, ID="VOICE_500MIN", ExpiryTime="+720h", Weight=10)
    add_balance(ocs, "*sms", 45, ID="SMS_250", Weight=10)
    add_balance(ocs, "*monetary", 15.5, ID="PREPAID_CREDIT", Weight=10)
    body = client.get(f"/crm/service/{mobile['service_id']}", headers=admin_headers).get_json()
    assert body["ocs_error"] is None
    totals = body["cgrates"]["totals"]
    assert totals["DATA"]["remaining"] == "17.50" and totals["DATA"]["remaining_hr"] == "17.5 GB"
    assert totals["DATA"]["allowance"] == "25.00" and totals["DATA"]["used"] == "7.50"
    assert totals["DATA"]["percent_remaining"] == 70 and totals["DATA"]["colour"] == "green"
    assert totals["VOICE"]["remaining_hr"] == "125 minutes" and totals["VOICE"]["percent_remaining"] == 25
    assert totals["VOICE"]["colour"] == "yellow"
    assert totals["SMS"]["remaining_hr"] == "45 SMS" and totals["SMS"]["percent_remaining"] == 18
    assert totals["SMS"]["colour"] == "red"
    assert totals["MONETARY"]["remaining"] == "15.50" and totals["MONETARY"]["remaining_hr"] == "$15.50"
    data = body["cgrates"]["BalanceMap"]["*data"]
    assert [b["ID"] for b in data] == ["DATA_5GB_Boost", "DATA_20GB_Monthly"]  # highest weight consumed first
    assert data[1]["Value"] == 13421772800 and data[1]["custom_Description_String"] == "12.5 GB remaining"
    assert data[1]["custom_Expiration"].endswith("(in 29 days)") or data[1]["custom_Expiration"].endswith(
        "(in 30 days)")
    assert body["cgrates"]["BalanceMap"]["*monetary"][0]["custom_Description_String"] == "$15.50 credit"
    assert body["cgrates"]["BalanceMap"]["*sms"][0]["never_expires"] is True
    assert body["cgrates"]["BalanceMap"]["*sms"][0]["custom_Expiration"] is None
    assert body["cgrates"]["ActionPlans"] == []

    usage = client.get(f"/crm/service/{mobile['service_id']}/usage?dongle=true", headers=admin_headers)
    assert usage.status_code == 200
    assert set(usage.get_json()["totals"]) == {"DATA", "MONETARY"}  # a dongle shows no voice or SMS
    usage = client.get(f"/crm/service/{mobile['service_id']}/usage", headers=admin_headers).get_json()
    assert set(usage["totals"]) == {"DATA", "VOICE", "SMS", "MONETARY"} and usage["refresh_seconds"] == 3


def test_expired_buckets_are_shown_but_not_counted(client, admin_headers, mobile, ocs):
    ocs.control("SetTime", Time="2020-01-01T00:00:00Z")  # the OCS clock in the past: the bucket has expired
    add_balance(ocs, "*data", 3221225472, ID="DATA_3GB_Topup", ExpiryTime="+24h", Weight=30)
    add_balance(ocs, "*data", 5368709120, ID="DATA_5GB_Bonus", Weight=20)
    body = client.get(f"/crm/service/{mobile['service_id']}/usage", headers=admin_headers).get_json()
    buckets = {b["ID"]: b for b in body["BalanceMap"]["*data"]}
    assert buckets["DATA_3GB_Topup"]["expired"] is True
    assert buckets["DATA_3GB_Topup"]["custom_Expiration"] == "January 2, 2020 (EXPIRED)"
    assert buckets["DATA_3GB_Topup"]["remaining"] == "0.00"
    assert body["totals"]["DATA"]["remaining"] == "5.00"  # the expired 3 GB cannot be spent


def test_ocs_down_still_loads_the_service(app, client, admin_headers, mobile, monkeypatch):
    sid = mobile["service_id"]
    monkeypatch.setitem(app.config["CRM"]["ocs"], "cgrates", unused_endpoint())
    monkeypatch.setitem(app.config["CRM"]["ocs"], "timeout_seconds", 1)
    body = client.get(f"/crm/service/{sid}", headers=admin_headers)
    assert body.status_code == 200
    assert body.get_json()["cgrates"] is None and "unreachable" in body.get_json()["ocs_error"]
    assert client.get(f"/crm/service/{sid}/usage", headers=admin_headers).status_code == 503
    response = client.post(f"/crm/oam/topup/service_id/{sid}", json=credit("10"), headers=admin_headers)
    assert response.status_code == 503
    response = client.patch(f"/crm/service/{sid}", json={"service_status": "Suspended"}, headers=admin_headers)
    assert response.status_code == 503
    assert client.delete(f"/crm/service/{sid}", headers=admin_headers).status_code == 503
    with app.app_context():
        service = db.session.get(Service, sid)
        assert service is not None and service.service_status == "Active"
        assert db.session.scalars(select(Transaction)).all() == []


def test_ocs_error_paths(app, client, admin_headers, mobile, ocs):
    sid = mobile["service_id"]
    ocs.control("FailNext", Method="APIerSv2.GetAccount", Error="SERVER_ERROR: disk full")
    body = client.get(f"/crm/service/{sid}", headers=admin_headers).get_json()
    assert body["cgrates"] is None and "disk full" in body["ocs_error"]
    ocs.control("FailNext", Method="APIerSv1.AddBalance", Error="SERVER_ERROR: disk full")
    response = client.post(f"/crm/oam/topup/service_id/{sid}", json=credit("10"), headers=admin_headers)
    assert response.status_code == 502 and "disk full" in response.get_json()["message"]
    with app.app_context():
        assert db.session.scalars(select(Transaction)).all() == []
    # a service whose account CGRateS does not know
    other = create_service(client, admin_headers, mobile["customer_id"], service_uuid="Mobile_unknown1")
    body = client.get(f"/crm/service/{other['service_id']}", headers=admin_headers).get_json()
    assert "no account Mobile_unknown1" in body["ocs_error"]
    assert client.get(f"/crm/service/{other['service_id']}/usage", headers=admin_headers).status_code == 404


def test_status_changes_disable_and_enable_the_ocs_account(client, admin_headers, mobile, ocs):
    sid = mobile["service_id"]
    get = {"Tenant": "cgrates.org", "Account": UUID}
    assert client.patch(f"/crm/service/{sid}", json={"service_status": "Suspended"},
                        headers=admin_headers).status_code == 200
    assert ocs.ok("ApierV2.GetAccount", get)["Disabled"] is True
    assert client.patch(f"/crm/service/{sid}", json={"service_status": "Active"},
                        headers=admin_headers).status_code == 200
    assert ocs.ok("ApierV2.GetAccount", get)["Disabled"] is False


def test_action_plans_listed_removed_and_logged(app, client, admin_headers, mobile, ocs):
    pid = make_product(app, "Monthly 10GB Data Plan", retail_cost="10.00")
    plan_id = f"ServiceID_{UUID}__ProductID_{pid}__CustomerID_{mobile['customer_id']}__MonthlyRenewal"
    add_plan(ocs, plan_id)
    plans = client.get(f"/crm/service/{mobile['service_id']}", headers=admin_headers).get_json()["cgrates"][
        "ActionPlans"]
    assert len(plans) == 1
    plan = plans[0]
    assert plan["ActionPlanId"] == plan_id and plan["NextExecTime"]
    assert plan["ActionPlanId_split_dict"] == {"ServiceID": UUID, "ProductID": pid,
                                               "CustomerID": mobile["customer_id"], "PlanName": "MonthlyRenewal"}
    assert plan["product_name"] == "Monthly 10GB Data Plan" and plan["retail_cost"] == "10.00"
    assert plan["custom_NextExecTime_hr"] in ("in 27 days", "in 28 days", "in 29 days", "in 30 days")
    listed = client.get(f"/crm/oam/action_plans/service_id/{mobile['service_id']}", headers=admin_headers)
    assert [p["ActionPlanId"] for p in listed.get_json()["data"]] == [plan_id]

    response = client.delete(f"/crm/oam/remove_action_plan/{plan_id}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert ocs.rpc("ApierV1.GetActionPlan", {"ID": plan_id})["error"] == "NOT_FOUND"
    assert client.get(f"/crm/oam/action_plans/service_id/{mobile['service_id']}",
                      headers=admin_headers).get_json()["data"] == []
    with app.app_context():
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "remove_action_plan")).one()
        assert entry.description == f"Removed ActionPlan {plan_id} from service {mobile['service_id']}"
    assert client.delete(f"/crm/oam/remove_action_plan/{plan_id}", headers=admin_headers).status_code == 404


def test_customer_removes_only_own_plans(app, client, admin_headers, mobile, ocs, make_user):
    other_customer, _ = make_customer(app, "Other")
    create_service(client, admin_headers, other_customer, service_uuid="Mobile_other01")
    add_plan(ocs, "ActionPlan_Monthly_Mobile_other01_7", account="Mobile_other01")
    add_plan(ocs, f"ActionPlan_Monthly_{UUID}_7")
    me = make_user(permissions=["view_own_customer_service"], contact_id=mobile["contact_id"])
    assert client.delete("/crm/oam/remove_action_plan/ActionPlan_Monthly_Mobile_other01_7",
                         headers=me).status_code == 404
    assert client.delete(f"/crm/oam/remove_action_plan/ActionPlan_Monthly_{UUID}_7", headers=me).status_code == 200


def test_renew_now_runs_the_addon_provisioning(app, client, admin_headers, mobile, ocs, monkeypatch):
    from omnicrm.ocs import service as ocs_service
    from omnicrm.provisioning import dispatch
    from omnicrm.provisioning.models import Provision
    submitted = []
    monkeypatch.setattr(dispatch, "submit", submitted.append)
    pid = make_product(app, "Monthly 10GB Data Plan", retail_cost="10.00")
    plan_id = f"ServiceID_{UUID}_ProductID_{pid}_MonthlyRenewal"
    add_plan(ocs, plan_id)
    response = client.post(f"/crm/oam/renew_now/{plan_id}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        job = db.session.get(Provision, response.get_json()["provision_id"])
        assert (job.service_id, job.product_id) == (mobile["service_id"], pid)
    assert len(submitted) == 1

    monkeypatch.setattr(ocs_service, "provisioning_engine", lambda: None)
    response = client.post(f"/crm/oam/renew_now/{plan_id}", headers=admin_headers)
    assert response.status_code == 501 and "not installed" in response.get_json()["message"]
    add_plan(ocs, f"ServiceID_{UUID}__NoProduct")
    assert client.post(f"/crm/oam/renew_now/ServiceID_{UUID}__NoProduct", headers=admin_headers).status_code == 409


def test_upcoming_renewals_enriched_and_sorted(app, client, admin_headers, mobile, ocs):
    pid = make_product(app, "Monthly 10GB Data Plan", retail_cost="10.00")
    add_plan(ocs, f"ActionPlan_Monthly_{UUID}_{pid}")
    add_plan(ocs, "ActionPlan_Monthly_Ghost_abcd1234_999", account="Ghost_abcd1234")
    response = client.get("/crm/oam/upcoming_renewals", headers=admin_headers)
    assert response.status_code == 200
    rows = {r["ActionPlanID"]: r for r in response.get_json()["data"]}
    mine = rows[f"ActionPlan_Monthly_{UUID}_{pid}"]
    assert (mine["customer_name"], mine["service_id"], mine["service_status"]) == (
        "Acme Corp", mobile["service_id"], "Active")
    assert mine["product_name"] == "Monthly 10GB Data Plan" and mine["cost"] == "10.00"
    assert mine["renews_in"].startswith("in ")
    ghost = rows["ActionPlan_Monthly_Ghost_abcd1234_999"]
    assert (ghost["customer_name"], ghost["service_name"], ghost["cost"], ghost["service_status"]) == (
        "N/A", "N/A", "N/A", "Unknown")
    assert ghost["product_name"] == "Monthly"
    assert response.get_json()["pagination"]["total_items"] == 2


def test_delete_stops_the_auto_renewals(client, admin_headers, mobile, ocs):
    add_plan(ocs, f"ActionPlan_Monthly_{UUID}_5")
    response = client.delete(f"/crm/service/{mobile['service_id']}", headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["action_plans_removed"] == [f"ActionPlan_Monthly_{UUID}_5"]
    assert ocs.rpc("ApierV1.GetActionPlan", {"ID": f"ActionPlan_Monthly_{UUID}_5"})["error"] == "NOT_FOUND"


def test_monetary_topup_end_to_end(app, client, admin_headers, mobile, ocs, make_user):
    sid = mobile["service_id"]
    add_balance(ocs, "*monetary", 2.5, ID="PREPAID_CREDIT", Weight=5)
    response = client.post(f"/crm/oam/topup/service_id/{sid}", json=credit("20.00"), headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["MONETARY"]["remaining"] == "22.50"  # visible at once
    with app.app_context():
        transaction = db.session.get(Transaction, body["transaction_id"])
        assert (transaction.retail_cost, transaction.service_id, transaction.customer_id) == (
            Decimal("20.0000"), sid, mobile["customer_id"])
    bucket = next(b for b in ocs.ok("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": UUID})[
        "BalanceMap"]["*monetary"] if b["ID"] == body["balance_id"])
    assert bucket["Value"] == 20 and bucket["ExpirationDate"] != "0001-01-01T00:00:00Z"
    assert client.get(f"/crm/service/{sid}/usage", headers=admin_headers).get_json()["totals"]["MONETARY"][
        "remaining"] == "22.50"

    for amount in ("0.50", "100000", "1.234", "abc"):
        response = client.post(f"/crm/oam/topup/service_id/{sid}", json=credit(amount), headers=admin_headers)
        assert response.status_code == 400, amount
    assert client.post(f"/crm/oam/topup/service_id/{sid}", json={}, headers=admin_headers).status_code == 400
    for reason in (None, "", "  x "):  # staff say why they credit a service
        body = {"amount": "5"} if reason is None else {"amount": "5", "reason": reason}
        response = client.post(f"/crm/oam/topup/service_id/{sid}", json=body, headers=admin_headers)
        assert response.status_code == 400 and "reason" in response.get_json()["errors"], reason

    # Issue #13.4: a customer user (even one holding the transaction permission) gets no free credit.
    me = make_user(permissions=["view_own_customer_service", "create_customer_transaction"],
                   contact_id=mobile["contact_id"])
    for body in ({"amount": "5", "reason": "Goodwill credit"}, {"product_id": 1, "reason": "Goodwill credit"}):
        response = client.post(f"/crm/oam/topup/service_id/{sid}", json=body, headers=me)
        assert response.status_code == 403, response.get_json()
    support = make_user(permissions=["view_customer_service", "update_customer_service"])
    assert client.post(f"/crm/oam/topup/service_id/{sid}", json=credit("5"), headers=support).status_code == 403
    with app.app_context():
        [row] = db.session.scalars(select(Transaction)).all()
        assert row.description.endswith("by user:admin@example.com: Goodwill credit")
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "topup")).one()
        assert entry.actor == "user:admin@example.com" and json.loads(entry.changes)["reason"] == "Goodwill credit"
    assert sum(b["Value"] for b in ocs.ok("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": UUID})[
        "BalanceMap"]["*monetary"]) == 22.5  # the refused customer top-ups added nothing


def test_addon_topup_goes_through_provisioning(app, client, admin_headers, mobile, monkeypatch):
    from omnicrm.provisioning import dispatch
    monkeypatch.setattr(dispatch, "submit", lambda job: None)
    addon = make_product(app, "5GB Data Boost")
    internet_addon = make_product(app, "Static IP", slug="static-ip")
    with app.app_context():
        from omnicrm.products.models import Product
        db.session.get(Product, internet_addon).service_type = "internet"
        db.session.commit()
    sid = mobile["service_id"]
    response = client.post(f"/crm/oam/topup/service_id/{sid}", json=addon_topup(addon), headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["provision_id"]
    response = client.post(f"/crm/oam/topup/service_id/{sid}", json=addon_topup(internet_addon),
                           headers=admin_headers)
    assert response.status_code == 400 and "product_id" in response.get_json()["errors"]


def test_concurrent_topups_end_with_the_exact_sum(app, admin_headers, mobile, ocs):
    sid = mobile["service_id"]
    amounts = ["1.10", "2.20", "3.30", "4.40", "5.50", "6.60", "7.70", "8.80"]
    statuses = []

    def top_up(amount):
        response = app.test_client().post(f"/crm/oam/topup/service_id/{sid}", json=credit(amount),
                                          headers=admin_headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=top_up, args=(a,)) for a in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(amounts)
    account = ocs.ok("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": UUID})
    assert sum(Decimal(str(b["Value"])) for b in account["BalanceMap"]["*monetary"]) == Decimal("39.60")
    with app.app_context():
        rows = db.session.scalars(select(Transaction)).all()
        assert sum(r.retail_cost for r in rows) == Decimal("39.60") and len(rows) == 8


def test_usage_hidden_from_customer_when_configured(client, admin_headers, mobile, make_user):
    sid = mobile["service_id"]
    client.patch(f"/crm/service/{sid}", json={"service_usage_visible_to_customer": False}, headers=admin_headers)
    me = make_user(permissions=["view_own_customer_service"], contact_id=mobile["contact_id"])
    body = client.get(f"/crm/service/{sid}", headers=me).get_json()
    assert body["service_id"] == sid and body["cgrates"] is None and body["usage_visible"] is False
    assert client.get(f"/crm/service/{sid}/usage", headers=me).status_code == 404
    assert client.get(f"/crm/service/{sid}/usage", headers=admin_headers).status_code == 200


def test_cgrates_attributes_filters_and_sessions(app, client, admin_headers, mobile, ocs, make_user):
    sid = mobile["service_id"]
    base = f"/crm/ocs/service/{sid}"
    nobody = make_user(permissions=["view_customer_service", "update_customer_service"])
    assert client.get(f"{base}/attributes", headers=nobody).status_code == 403
    body = client.get(f"{base}/attributes", headers=admin_headers).get_json()
    assert body == {"ID": f"ATTR_ACCOUNT_{UUID}", "profile": None}  # the UI shows an empty form

    bad = client.put(f"{base}/attributes", json={"Attributes": [{"Type": "*constant"}, {"Path": "*req.X",
                                                                                         "Type": "*magic"}]},
                     headers=admin_headers)
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"Attributes[0].Path", "Attributes[0].Value", "Attributes[1].Type",
                                             "Attributes[1].Value"}
    rows = [{"Path": "*req.Account", "Type": "*constant", "Value": [{"Rules": UUID}]},
            {"Path": "*req.MaxBitrateDL", "Type": "*constant", "Value": [{"Rules": "50000000"}]}]
    saved = client.put(f"{base}/attributes", json={"Attributes": rows}, headers=admin_headers)
    assert saved.status_code == 200, saved.get_json()
    stored = ocs.ok("APIerSv1.GetAttributeProfile", {"Tenant": "cgrates.org", "ID": f"ATTR_ACCOUNT_{UUID}"})
    assert [a["Path"] for a in stored["Attributes"]] == ["*req.Account", "*req.MaxBitrateDL"]
    rows[1]["Value"] = [{"Rules": "10000000"}]
    client.put(f"{base}/attributes", json={"Attributes": rows}, headers=admin_headers)
    with app.app_context():
        entries = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "cgrates_attributes")
                                     .order_by(ActivityLog.activity_id)).all()
        change = json.loads(entries[-1].changes)[f"ATTR_ACCOUNT_{UUID}"]
        assert change["before"]["Attributes"][1]["Value"] == [{"Rules": "50000000"}]
        assert change["after"]["Attributes"][1]["Value"] == [{"Rules": "10000000"}]

    bad = client.put(f"{base}/filters", json={"Rules": [{"Type": "*string", "Values": ["x"]}]},
                     headers=admin_headers)
    assert bad.status_code == 400 and "Rules[0].Element" in bad.get_json()["errors"]
    saved = client.put(f"{base}/filters", json={"Rules": [{"Element": "~*req.Account", "Type": "*string",
                                                            "Values": [UUID]}]}, headers=admin_headers)
    assert saved.status_code == 200
    assert client.get(f"{base}/filters", headers=admin_headers).get_json()["filter"]["Rules"][0]["Values"] == [UUID]
    assert client.put(f"{base}/filters", json={"Rules": []}, headers=admin_headers).get_json()["filter"] is None
    assert ocs.rpc("APIerSv1.GetFilter", {"Tenant": "cgrates.org", "ID": f"FLTR_ACCOUNT_{UUID}"})["error"] == \
        "NOT_FOUND"

    ocs.control("AddSession", Session={"OriginID": "call-1", "Account": UUID, "Destination": "61412345678",
                                       "Usage": 150000000000})
    ocs.control("AddSession", Session={"OriginID": "call-2", "Account": "Someone_else", "Destination": "1"})
    sessions = client.get(f"{base}/sessions", headers=admin_headers).get_json()
    assert sessions["count"] == 1
    assert sessions["sessions"][0]["Destination"] == "61412345678"
    assert sessions["sessions"][0]["Usage_seconds"] == "150.00"
