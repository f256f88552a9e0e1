"""POST /crm/ocs/proxy (spec 05 §6.6, acceptance checks 18-20) against the CGRateS simulator over HTTP: reads pass
and are not logged, writes only when allow-listed (and then logged), everything else refused."""
import json

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from tests.fixtures.cgrates import unused_endpoint
from tests.services.helpers import create_service, make_customer

UUID = "Mobile_SIM_c2880638"
PROFILE = {"ID": f"ATTR_ACCOUNT_{UUID}", "Contexts": ["*any"], "FilterIDs": [f"*string:~*req.Account:{UUID}"],
           "Attributes": [{"Path": "*req.Subject", "Type": "*constant", "Value": [{"Rules": "61400000001"}]}],
           "Weight": 10}


@pytest.fixture
def mobile(app, client, admin_headers, ocs):
    customer_id, _contact = make_customer(app, "Acme Corp", with_contact=True)
    other_id, _ = make_customer(app, "Other Corp", with_contact=True)
    service = create_service(client, admin_headers, customer_id, service_uuid=UUID)
    ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": UUID})
    ocs.ok("APIerSv1.SetAttributeProfile", {"Tenant": "cgrates.org", **PROFILE})
    return {"customer_id": customer_id, "service_id": service["service_id"], "other_customer_id": other_id}


def _call(client, headers, mobile, method, params, **extra):
    return client.post("/crm/ocs/proxy", headers=headers, json={
        "method": method, "params": params, "customer_id": mobile["customer_id"],
        "service_id": mobile["service_id"], **extra})


def _proxy_log(app):
    with app.app_context():
        return [(a.action, a.changes) for a in db.session.scalars(
            select(ActivityLog).where(ActivityLog.action == "cgrates_proxy"))]


def test_read_uses_the_configured_tenant_and_is_not_logged(app, client, admin_headers, mobile):
    response = _call(client, admin_headers, mobile, "APIerSv1.GetAttributeProfile", [{"ID": PROFILE["ID"]}])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["method"], body["tenant"]) == ("APIerSv1.GetAttributeProfile", "cgrates.org")
    assert body["result"]["ID"] == PROFILE["ID"]
    assert body["result"]["Attributes"][0]["Path"] == "*req.Subject"
    account = _call(client, admin_headers, mobile, "ApierV2.GetAccount", [{"Account": UUID}])
    assert account.status_code == 200 and account.get_json()["result"]["ID"] == f"cgrates.org:{UUID}"
    assert _proxy_log(app) == []


def test_other_tenant_and_cgrates_errors(client, admin_headers, mobile, app, monkeypatch):
    missing = _call(client, admin_headers, mobile, "APIerSv1.GetAttributeProfile", [{"ID": PROFILE["ID"]}],
                    tenant="other.org")
    assert missing.status_code == 404  # the profile exists in cgrates.org only
    monkeypatch.setitem(app.config["CRM"]["ocs"], "cgrates", unused_endpoint())
    down = _call(client, admin_headers, mobile, "APIerSv1.GetAttributeProfile", [{"ID": PROFILE["ID"]}])
    assert down.status_code == 503


@pytest.mark.parametrize("method", ["APIerSv1.SetAttributeProfile", "ApierV2.RemoveAccount", "APIerSv1.AddBalance",
                                    "SchedulerSv1.Reload", "Simulator.AdvanceTime", "APIerSv1.ExecuteAction"])
def test_writes_and_unknown_services_are_refused_by_default(app, client, admin_headers, mobile, ocs, method):
    response = _call(client, admin_headers, mobile, method, [{"Account": UUID, "ID": PROFILE["ID"]}])
    assert response.status_code == 403
    assert response.get_json()["errors"] == {"method": "not allowed"}
    assert ocs.ok("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": UUID})["ID"].endswith(UUID)
    assert _proxy_log(app) == []


def test_allow_listed_write_is_applied_and_logged(app, client, admin_headers, mobile, ocs, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["ocs"], "proxy_write_methods", ["APIerSv1.RemoveAttributeProfile"])
    response = _call(client, admin_headers, mobile, "APIerSv1.RemoveAttributeProfile", [{"ID": PROFILE["ID"]}])
    assert response.status_code == 200, response.get_json()
    assert ocs.rpc("APIerSv1.GetAttributeProfile", {"Tenant": "cgrates.org", "ID": PROFILE["ID"]})["error"] == \
        "NOT_FOUND"
    with app.app_context():
        entry = db.session.scalars(select(ActivityLog).where(ActivityLog.action == "cgrates_proxy")).one()
        assert entry.customer_id == mobile["customer_id"] and entry.actor.endswith("admin@example.com")
        assert "APIerSv1.RemoveAttributeProfile" in entry.description
    assert json.loads(_proxy_log(app)[0][1]) == {
        "method": "APIerSv1.RemoveAttributeProfile", "tenant": "cgrates.org",
        "params": [{"ID": PROFILE["ID"], "Tenant": "cgrates.org"}], "service_id": mobile["service_id"]}


def test_bad_requests(client, admin_headers, mobile):
    for body, field in (({"method": "GetAccount"}, "method"), ({"params": {"ID": "x"}}, "params"),
                        ({"params": [{}, {}]}, "params"), ({"customer_id": mobile["other_customer_id"]}, "service_id")):
        sent = {"method": "APIerSv1.GetAttributeProfile", "params": [{"ID": "x"}],
                "customer_id": mobile["customer_id"], "service_id": mobile["service_id"], **body}
        response = client.post("/crm/ocs/proxy", headers=admin_headers, json=sent)
        assert response.status_code == 400, body
        assert field in response.get_json()["errors"]
    no_ids = client.post("/crm/ocs/proxy", headers=admin_headers,
                         json={"method": "APIerSv1.GetAttributeProfile", "params": []})
    assert set(no_ids.get_json()["errors"]) == {"customer_id", "service_id"}


def test_permission_and_customer_users(app, client, make_user, mobile):
    staff = make_user(permissions=["view_customer_service"])
    refused = _call(client, staff, mobile, "APIerSv1.GetAttributeProfile", [{"ID": PROFILE["ID"]}])
    assert refused.status_code == 403
    assert refused.get_json()["required_permissions"] == ["cgrates_api_access"]
    allowed = make_user(permissions=["cgrates_api_access"])
    assert _call(client, allowed, mobile, "APIerSv1.GetAttributeProfile", [{"ID": PROFILE["ID"]}]).status_code == 200
    from omnicrm.customers.models import Contact
    with app.app_context():
        contact_id = db.session.scalar(select(Contact.contact_id).where(Contact.customer_id == mobile["customer_id"]))
    own_customer = make_user(permissions=["cgrates_api_access"], contact_id=contact_id)
    assert _call(client, own_customer, mobile, "APIerSv1.GetAttributeProfile",
                 [{"ID": PROFILE["ID"]}]).status_code == 403
    assert client.post("/crm/ocs/proxy", json={}).status_code == 401
