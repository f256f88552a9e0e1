"""Low and expired balance e-mails (spec 06 §13.3 types 9 and 10): a CGRateS ActionTrigger (*min_balance,
*balance_expired) whose *http_post reaches /crm/ocs/balance_low or /crm/ocs/balance_expired from the whitelisted OCS
host; the CRM e-mails the customer's billing (else primary) contact. The simulator sends the real callback."""
import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.config import _validate_ip_whitelist
from omnicrm.customers.models import Contact, Customer
from omnicrm.services.models import Service
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture

LOW_KEY = "api_crmCommunicationsBalanceLow"
EXPIRED_KEY = "api_crmCommunicationsBalanceExpired"
UUID = "alerttest0001"


@pytest.fixture
def subscriber(app):
    with app.app_context():
        customer = Customer(customer_name="Alert Customer", customer_account_type="Individual")
        db.session.add(customer)
        db.session.flush()
        db.session.add_all([
            Contact(customer_id=customer.customer_id, contact_firstname="Ann", contact_lastname="Owner",
                    contact_email="ann@alert.example", contact_types="Primary"),
            Service(customer_id=customer.customer_id, service_name="Mobile 0400 000 001", service_uuid=UUID,
                    service_type="mobile", service_status="Active")])
        db.session.commit()
        service_id = db.session.scalar(select(Service.service_id).where(Service.service_uuid == UUID))
        return {"customer_id": customer.customer_id, "service_id": service_id}


@pytest.fixture
def whitelisted_ocs(app, monkeypatch):
    """The OCS host (the simulator, on 127.0.0.1) whitelisted with the OCS Callback role, as in production."""
    monkeypatch.setitem(app.config["CRM"], "ip_whitelist",
                        _validate_ip_whitelist({"127.0.0.1": {"roles": ["OCS Callback"]}}))


def _alerting_account(ocs, url, threshold_type, threshold, balance_type, group):
    ocs.ok("APIerSv2.SetActions", {"ActionsId": f"ACT_{group}", "Overwrite": True, "Actions": [
        {"Identifier": "*http_post", "ExtraParameters": url}]})
    ocs.ok("APIerSv1.SetActionTrigger", {"GroupID": group, "ActionTrigger": {
        "ThresholdType": threshold_type, "ThresholdValue": threshold, "BalanceType": balance_type,
        "ActionsID": f"ACT_{group}"}})
    ocs.ok("APIerSv2.SetAccount", {"Tenant": "cgrates.org", "Account": UUID, "ActionTriggerIDs": [group]})


def _posts(ocs):
    return ocs.control("GetHttpPosts") or []


def test_low_balance_trigger_emails_the_customer(app, ocs, live_server, whitelisted_ocs, subscriber,  # noqa: F811
                                                 mailjet):
    _alerting_account(ocs, f"{live_server.url}/crm/ocs/balance_low", "*min_balance", 5, "*monetary", "AT_LOW")
    ocs.ok("APIerSv1.AddBalance", {"Tenant": "cgrates.org", "Account": UUID, "BalanceType": "*monetary",
                                   "Value": 10, "Balance": {"ID": "CREDIT"}})
    assert _posts(ocs) == []  # 10 is above the threshold
    ocs.ok("APIerSv1.DebitBalance", {"Tenant": "cgrates.org", "Account": UUID, "BalanceType": "*monetary",
                                     "Value": 6, "Balance": {"ID": "CREDIT"}})
    [post] = _posts(ocs)
    assert post["Status"] == 200, post
    [message] = mailjet.messages
    block = app.config["CRM"]["mailjet"][LOW_KEY]
    assert message["TemplateID"] == block["template_id"] and message["To"][0]["Email"] == "ann@alert.example"
    variables = message["Variables"]
    assert variables["customer_name"] == "Alert Customer" and variables["service_name"] == "Mobile 0400 000 001"
    assert variables["balance_type"] == "Monetary"
    assert variables["current_balance"].endswith("4.00") and variables["threshold"].endswith("5.00")
    assert variables["topup_url"].endswith(f"/services/{subscriber['service_id']}")
    with app.app_context():
        [row] = db.session.scalars(select(Communication)).all()
        assert (row.template_key, row.customer_id, row.status) == (LOW_KEY, subscriber["customer_id"], "sent")


def test_expired_balance_trigger_emails_the_customer(app, ocs, live_server, whitelisted_ocs,  # noqa: F811
                                                     subscriber, mailjet):
    ocs.control("SetTime", Time="2027-03-01T10:00:00Z")
    _alerting_account(ocs, f"{live_server.url}/crm/ocs/balance_expired", "*balance_expired", 0, "*data", "AT_EXP")
    ocs.ok("APIerSv1.AddBalance", {"Tenant": "cgrates.org", "Account": UUID, "BalanceType": "*data",
                                   "Value": 1073741824, "Balance": {"ID": "DATA_1GB",
                                                                    "ExpiryTime": "2027-03-01T11:00:00Z"}})
    ocs.ok("APIerSv1.AddBalance", {"Tenant": "cgrates.org", "Account": UUID, "BalanceType": "*monetary",
                                   "Value": 10})
    assert _posts(ocs) == []
    ocs.control("AdvanceTime", Duration="2h")
    ocs.ok("APIerSv1.DebitBalance", {"Tenant": "cgrates.org", "Account": UUID, "BalanceType": "*monetary",
                                     "Value": 1})  # any account change evaluates the triggers
    [post] = _posts(ocs)
    assert post["Status"] == 200, post
    [message] = mailjet.messages
    assert message["TemplateID"] == app.config["CRM"]["mailjet"][EXPIRED_KEY]["template_id"]
    assert message["Variables"]["balance_type"] == "Data" and message["Variables"]["expiry_date"] == "2027-03-01"
    assert message["Variables"]["renewal_url"].endswith(f"/services/{subscriber['service_id']}")


def test_balance_callbacks_are_only_for_the_ocs(app, client, admin_headers, make_user, subscriber, mailjet):
    account = {"ID": f"cgrates.org:{UUID}", "BalanceMap": {"*monetary": [{"ID": "CREDIT", "Value": 1}]}}
    for path in ("/crm/ocs/balance_low", "/crm/ocs/balance_expired"):
        assert client.post(path, json=account).status_code == 401  # not whitelisted
        assert client.post(path, json=account, headers=admin_headers).status_code == 403  # a person, not the OCS
        assert client.post(path, json=account,
                           headers=make_user(permissions=["view_customer"])).status_code == 403
    assert mailjet.messages == []


def test_unknown_account_is_404(app, client, whitelisted_ocs, subscriber, mailjet):
    assert client.post("/crm/ocs/balance_low", json={"ID": "cgrates.org:nobody"}).status_code == 404
    assert client.post("/crm/ocs/balance_low", json={"BalanceMap": {}}).status_code == 400
    assert mailjet.messages == []
