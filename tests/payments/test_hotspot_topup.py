"""The public top-up portal (spec 05 §10, acceptance checks 49-54): PaymentIntents made and confirmed at a real
localstripe, the real play_topup_hotspot run by ansible-runner against the CGRateS simulator, rows read back."""
import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.customers.models import Customer
from omnicrm.integrations import stripe_client
from omnicrm.inventory.models import Inventory, InventoryTemplate
from omnicrm.provisioning.models import Provision
from omnicrm.services.models import Service
from omnicrm.topup.models import HotspotTopup
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login
from tests.fixtures.cgrates import unused_endpoint
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture
from tests.provisioning.conftest import no_job_left_running  # noqa: F401 - autouse fixture

PLAYS = Path(__file__).resolve().parents[2] / "Provisioners" / "plays"
TENANT = "mnc380.mcc313.3gppnetwork.org"
UUID = "Dongle_5f1c9a7e"
IMSI = "001010000012345"
DEVICE_IP = "127.0.0.1"  # the test client's address


@pytest.fixture
def portal(app, live_server, cgrates_sim, stripe_config, monkeypatch):  # noqa: F811
    """A customer with an Active dongle service (its SIM's IMSI, its IP address), its OCS account in the
    simulator, the reference plays and card payments at localstripe (10.00 AUD a day)."""
    crm = app.config["CRM"]
    monkeypatch.setitem(crm, "topup", {"price_per_day": "10.00", "currency": "aud", "wait_seconds": 120})
    saved = dict(crm["provisioning"]), dict(crm["ocs"])
    crm["provisioning"].update(playbook_dir=str(PLAYS), timeout_seconds=120, workers=2, failure_list=[])
    crm["ocs"].update(cgrates=cgrates_sim.endpoint, ocsTenant=TENANT)
    cgrates_sim.reset()
    with app.app_context():
        customer = Customer(customer_name="Dana Dongle", customer_account_type="Individual")
        sim = InventoryTemplate(item="SIM Card", itemtext1_label="ICCID", itemtext2_label="IMSI")
        ip = InventoryTemplate(item="IPv4 Address", itemtext1_label="IP Address")
        db.session.add_all([customer, sim, ip])
        db.session.flush()
        service = Service(customer_id=customer.customer_id, service_name="Hotspot - 0412345678", service_uuid=UUID,
                          service_type="mobile", service_status="Active")
        db.session.add(service)
        db.session.flush()
        db.session.add_all([
            Inventory(item="SIM Card", inventory_template_id=sim.inventory_template_id, itemtext1="8961000000001",
                      itemtext2=IMSI, customer_id=customer.customer_id, service_id=service.service_id,
                      item_state="Assigned"),
            Inventory(item="IPv4 Address", inventory_template_id=ip.inventory_template_id, itemtext1=DEVICE_IP,
                      customer_id=customer.customer_id, service_id=service.service_id, item_state="Assigned")])
        db.session.commit()
        ids = {"customer_id": customer.customer_id, "service_id": service.service_id}
    cgrates_sim.ok("ApierV2.SetAccount", {"Tenant": TENANT, "Account": UUID})
    yield ids
    crm["provisioning"].clear()
    crm["provisioning"].update(saved[0])
    crm["ocs"].clear()
    crm["ocs"].update(saved[1])


def _card(client):
    return client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}})


def _intent(app, amount, confirm=True, service_uuid=UUID, currency="aud"):
    """A PaymentIntent as the portal's would be (metadata of a top-up of the service), paid by the test card."""
    with app.app_context():
        client = stripe_client.client()
        params = {"amount": amount, "currency": currency, "payment_method_types": ["card"],
                  "metadata": {"omnicrm_purpose": "hotspot_topup", "service_uuid": service_uuid}}
        if confirm:
            params.update(payment_method=_card(client).id, confirm=True)
        return client.v1.payment_intents.create(params=params).id


def _body(payment_intent_id, days=7, amount=70.00, **extra):
    return {"service_uuid": UUID, "imsi": IMSI, "days": days, "payment_intent_id": payment_intent_id,
            "topup_amount": amount, **extra}


def _counts(app):
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (HotspotTopup, Provision, Transaction, Invoice)}


NOTHING = {"HotspotTopup": 0, "Provision": 0, "Transaction": 0, "Invoice": 0}


def _hotspot_bucket(sim):
    account = sim.ok("ApierV2.GetAccount", {"Tenant": TENANT, "Account": UUID})
    return [b for b in (account["BalanceMap"] or {}).get("*data", []) if b["ID"] == "DATA_DONGLE_UNLIMITED"]


def test_portal_flow_tops_up_once(app, client, portal, cgrates_sim):
    """The portal's way: a PaymentIntent from the backend at its price, confirmed with the card, then the top-up:
    OK with provision and invoice, the OCS balance extended by 7 days, the records of acceptance check 51; the same
    PaymentIntent again is "already processed" and nothing is provisioned twice (check 53)."""
    made = client.post("/oam/topup_payment_intent", json={"service_uuid": UUID, "imsi": IMSI, "days": 7})
    assert made.status_code == 200, made.get_json()
    order = made.get_json()
    assert (order["amount"], order["currency"], order["topup_amount"]) == (7000, "aud", "70.00")
    assert order["client_secret"].startswith(order["payment_intent_id"])
    with app.app_context():  # what Stripe Elements does in the browser
        stripe = stripe_client.client()
        stripe.v1.payment_intents.update(order["payment_intent_id"], params={"payment_method": _card(stripe).id})
        stripe.v1.payment_intents.confirm(order["payment_intent_id"])
    assert _hotspot_bucket(cgrates_sim) == []

    response = client.post("/oam/topup_dongle", json=_body(order["payment_intent_id"]))
    body = response.get_json()
    assert response.status_code == 200, body
    assert (body["result"], body["status"], body["payment_intent_id"], body["service_uuid"]) == \
        ("OK", 200, order["payment_intent_id"], UUID)
    assert body["provision_id"] and body["invoice_id"]

    expiry = datetime.fromisoformat(_hotspot_bucket(cgrates_sim)[0]["ExpirationDate"].replace("Z", "+00:00"))
    expected = datetime.now(timezone.utc) + timedelta(days=7)
    assert abs((expiry - expected).total_seconds()) < 300
    with app.app_context():
        row = db.session.scalars(select(HotspotTopup)).one()
        assert (row.status, row.days, row.topup_amount, row.imsi, row.provision_id) == \
            ("Success", 7, Decimal("70.00"), IMSI, body["provision_id"])
        invoice = db.session.get(Invoice, body["invoice_id"])
        assert (invoice.paid, invoice.retail_cost, invoice.payment_reference, invoice.payment_method) == \
            (True, Decimal("70.00"), order["payment_intent_id"], "Card")
        lines = db.session.scalars(select(Transaction).order_by(Transaction.transaction_id)).all()
        assert [(t.title, t.retail_cost, t.invoice_id, t.service_id) for t in lines] == [
            ("Hotspot Top-up - 7 Days", Decimal("70.00"), invoice.invoice_id, portal["service_id"]),
            ("Payment for Hotspot Top-up - 7 Days", Decimal("-70.00"), invoice.invoice_id, portal["service_id"])]
        assert invoice.payment_transaction_id == lines[1].transaction_id
        service = db.session.get(Service, portal["service_id"])
        assert abs((service.service_deactivate_date - expected.replace(tzinfo=None)).total_seconds()) < 300
    assert body["expiry"] is not None

    again = client.post("/oam/topup_dongle", json=_body(order["payment_intent_id"]))
    assert again.status_code == 409
    assert again.get_json()["message"] == "Payment intent already processed"
    assert _counts(app) == {"HotspotTopup": 1, "Provision": 1, "Transaction": 2, "Invoice": 1}
    assert _hotspot_bucket(cgrates_sim)[0]["ExpirationDate"].startswith(expiry.strftime("%Y-%m-%dT%H:%M"))

    status = client.get(f"/oam/topup_dongle/{order['payment_intent_id']}")
    assert (status.status_code, status.get_json()["result"]) == (200, "OK")

    admin = bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"])
    listed = client.get('/crm/hotspot_topup/?filters={"status": ["Success"]}', headers=admin).get_json()
    assert [(r["payment_intent_id"], r["status"], r["invoice_id"], r["topup_amount"]) for r in listed["data"]] == \
        [(order["payment_intent_id"], "Success", body["invoice_id"], "70.00")]


def test_amount_must_match_the_price_and_the_payment(app, client, portal):
    """7 days with 60.00 (check 52), a payment of 60.00 for a 70.00 top-up, and another currency: refused, and
    nothing written or provisioned."""
    paid = _intent(app, 7000)
    response = client.post("/oam/topup_dongle", json=_body(paid, amount=60.00))
    assert response.status_code == 400
    assert response.get_json()["message"] == "Payment intent amount does not match"
    assert "topup_amount" in response.get_json()["errors"]

    short = _intent(app, 6000)
    response = client.post("/oam/topup_dongle", json=_body(short))
    assert (response.status_code, response.get_json()["message"]) == (400, "Payment intent amount does not match")
    euros = _intent(app, 7000, currency="eur")
    response = client.post("/oam/topup_dongle", json=_body(euros))
    assert (response.status_code, response.get_json()["message"]) == (400, "Payment intent amount does not match")
    assert _counts(app) == NOTHING


def test_payment_not_succeeded_or_not_for_this_service_is_refused(app, client, portal):
    unpaid = _intent(app, 7000, confirm=False)
    response = client.post("/oam/topup_dongle", json=_body(unpaid))
    assert response.status_code == 402
    assert "requires_payment_method" in response.get_json()["errors"]["payment_intent_id"]

    other = _intent(app, 7000, service_uuid="Dongle_someone_else")
    response = client.post("/oam/topup_dongle", json=_body(other))
    assert response.status_code == 400
    assert "payment_intent_id" in response.get_json()["errors"]

    missing = client.post("/oam/topup_dongle", json=_body("pi_doesnotexist"))
    assert (missing.status_code, missing.get_json()["message"]) == (400, "Payment intent not found")
    assert _counts(app) == NOTHING


def test_input_and_service_imsi_match(app, client, portal):
    paid = _intent(app, 7000)
    no_imsi = {k: v for k, v in _body(paid).items() if k != "imsi"}
    response = client.post("/oam/topup_dongle", json=no_imsi)
    assert (response.status_code, response.get_json()["errors"]["imsi"]) == (400, "is required")
    response = client.post("/oam/topup_dongle", json={**_body(paid), "days": 31, "topup_amount": 310})
    assert (response.status_code, list(response.get_json()["errors"])) == (400, ["days"])
    wrong_imsi = client.post("/oam/topup_dongle", json={**_body(paid), "imsi": "001010000099999"})
    wrong_uuid = client.post("/oam/topup_dongle", json={**_body(paid), "service_uuid": "Dongle_unknown"})
    assert wrong_imsi.status_code == wrong_uuid.status_code == 404
    assert wrong_imsi.get_json() == wrong_uuid.get_json()  # which of the two was wrong is not told
    assert _counts(app) == NOTHING


def test_stripe_unreachable_is_503_and_nothing_written(app, client, portal, monkeypatch):
    paid = _intent(app, 7000)
    monkeypatch.setitem(app.config["CRM"]["stripe"], "api_base", f"http://{unused_endpoint()}")
    response = client.post("/oam/topup_dongle", json=_body(paid))
    assert response.status_code == 503
    assert response.get_json()["message"] == "Stripe could not be reached"
    assert _counts(app) == NOTHING


def test_two_concurrent_requests_with_one_payment_intent_top_up_once(app, portal, live_server,  # noqa: F811
                                                                     cgrates_sim):
    paid = _intent(app, 3000)
    answers = []
    barrier = threading.Barrier(2)

    def post():
        barrier.wait()
        answers.append(requests.post(f"{live_server.url}/oam/topup_dongle", json=_body(paid, days=3, amount=30),
                                     timeout=200))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert _counts(app) == {"HotspotTopup": 1, "Provision": 1, "Transaction": 2, "Invoice": 1}
    assert len(_hotspot_bucket(cgrates_sim)) == 1


def test_failed_provisioning_refunds_the_payment(app, client, portal, cgrates_sim):
    """The OCS has no account for the service: the play fails, the payment is refunded at Stripe, the answer is
    result Failed with a Reason (check 54), and no invoice or transaction exists."""
    cgrates_sim.reset()
    paid = _intent(app, 1000)
    response = client.post("/oam/topup_dongle", json=_body(paid, days=1, amount=10))
    body = response.get_json()
    assert response.status_code == 502, body
    assert (body["result"], body["refunded"], body["topup_status"]) == ("Failed", True, "Refunded")
    assert "Get the OCS account" in body["Reason"]
    with app.app_context():
        row = db.session.scalars(select(HotspotTopup)).one()
        assert row.status == "Refunded" and row.refund_reference.startswith("re_")
        refund = stripe_client.client().v1.refunds.retrieve(row.refund_reference)
        assert (refund.amount or 1000, refund.status) == (1000, "succeeded")
    assert {k: v for k, v in _counts(app).items() if k in ("Transaction", "Invoice")} == \
        {"Transaction": 0, "Invoice": 0}


def test_usage_by_the_requesting_address(app, client, portal, cgrates_sim):
    expiry = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cgrates_sim.ok("APIerSv1.SetBalance", {"Tenant": TENANT, "Account": UUID, "BalanceType": "*data", "Balance": {
        "ID": "DATA_DONGLE_UNLIMITED", "Value": 1e15, "ExpiryTime": expiry}})
    response = client.get("/oam/usage")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "imsi": IMSI,
        "service": {"service_uuid": UUID, "service_name": "Hotspot - 0412345678", "service_status": "Active"},
        "balance": {"expiry": expiry, "unlimited": True}, "requestingIp": DEVICE_IP,
        "topup": {"price_per_day": "10.00", "currency": "aud", "min_days": 1, "max_days": 30}}

    stranger = client.get("/oam/usage", environ_base={"REMOTE_ADDR": "203.0.113.45"})
    assert stranger.status_code == 404
    assert "203.0.113.45" in stranger.get_json()["message"]
    by_imsi = client.get(f"/oam/usage?imsi={IMSI}", environ_base={"REMOTE_ADDR": "203.0.113.45"})
    assert by_imsi.status_code == 404  # topup.usage_by_imsi is off by default


def test_public_endpoints_are_rate_limited(app, client, portal, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["topup"], "rate_limit_per_minute", 2)
    assert [client.get("/oam/usage").status_code for _ in range(3)] == [200, 200, 429]
    answers = [client.post("/oam/topup_dongle", json={}).status_code for _ in range(3)]
    assert answers == [400, 400, 429]


def test_staff_list_needs_view_customer_transaction(client, make_user):
    assert client.get("/crm/hotspot_topup/", headers=make_user(permissions=["view_customer"])).status_code == 403
    allowed = client.get("/crm/hotspot_topup/", headers=make_user(permissions=["view_customer_transaction"]))
    assert (allowed.status_code, allowed.get_json()["data"]) == (200, [])
    assert client.get("/crm/hotspot_topup/").status_code == 401


def test_swagger_documents_the_portal(client):
    paths = client.get("/oam/swagger.json").get_json()["paths"]
    assert {"/usage", "/topup_dongle", "/topup_payment_intent"} <= set(paths)
    assert client.get("/oam/docs").status_code == 200
    assert client.get("/oam/no_such_thing").status_code == 404


def test_the_database_refuses_a_second_row_for_one_payment_intent(app, client, portal, monkeypatch):
    """The race the "already processed" lookup cannot see (both requests past it at once): the unique
    payment_intent_id stops the second insert, so it answers 409 and starts no job."""
    from omnicrm.topup import service as topups
    monkeypatch.setitem(app.config["CRM"]["topup"], "wait_seconds", 0)
    monkeypatch.setattr(topups, "_used", lambda payment_intent_id: False)
    paid = _intent(app, 1000)
    first = client.post("/oam/topup_dongle", json=_body(paid, days=1, amount=10))
    assert first.status_code in (200, 202), first.get_json()
    second = client.post("/oam/topup_dongle", json=_body(paid, days=1, amount=10))
    assert (second.status_code, second.get_json()["message"]) == (409, "Payment intent already processed")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HotspotTopup)) == 1
        assert db.session.scalar(select(func.count()).select_from(Provision)) == 1


def test_low_balance_trigger_mails_the_portal_link(app, client, portal, cgrates_sim, live_server,  # noqa: F811
                                                   monkeypatch):
    """Check 56 end to end: a CGRateS *min_balance trigger runs a *http_post to the CRM as the whitelisted OCS
    (role OCS Callback); the customer's contact gets an e-mail with the top-up portal link. Not whitelisted: 401,
    nothing sent."""
    from omnicrm.communications.models import Communication
    from omnicrm.config import _validate_ip_whitelist
    from omnicrm.customers.models import Contact
    monkeypatch.setitem(app.config["CRM"]["topup"], "portal_url", "https://topup.example.com/")
    with app.app_context():
        db.session.add(Contact(customer_id=portal["customer_id"], contact_firstname="Dana", contact_types="Primary",
                               contact_lastname="Dongle", contact_email="dana@example.com"))
        db.session.commit()
    url = f"{live_server.url}/crm/hotspot_topup/balance_event/Action_Balance_Low"
    cgrates_sim.ok("ApierV1.SetActions", {"ActionsId": "Act_Balance_Low", "Overwrite": True, "Actions": [
        {"Identifier": "*http_post", "ExtraParameters": url}]})
    cgrates_sim.ok("ApierV1.SetActionTrigger", {"GroupID": "TRG_HOTSPOT_LOW", "UniqueID": "low", "ActionTrigger": {
        "ThresholdType": "*min_balance", "ThresholdValue": 2, "BalanceType": "*monetary",
        "ActionsID": "Act_Balance_Low"}})
    cgrates_sim.ok("ApierV2.SetAccount", {"Tenant": TENANT, "Account": UUID, "ActionTriggerIDs": ["TRG_HOTSPOT_LOW"]})
    cgrates_sim.ok("ApierV1.AddBalance", {"Tenant": TENANT, "Account": UUID, "BalanceType": "*monetary",
                                          "Balance": {"ID": "CREDIT", "Value": 5}})

    def mails():
        with app.app_context():
            return [(c.to_email, c.template_key, json.loads(c.variables)) for c in db.session.scalars(
                select(Communication))]

    cgrates_sim.ok("APIerSv1.DebitBalance", {"Tenant": TENANT, "Account": UUID, "BalanceType": "*monetary",
                                             "Balance": {"ID": "CREDIT", "Value": 4}})
    assert mails() == []  # not whitelisted: the callback was refused
    monkeypatch.setitem(app.config["CRM"], "ip_whitelist",
                        _validate_ip_whitelist({"127.0.0.1": {"roles": ["OCS Callback"]}}))
    cgrates_sim.ok("APIerSv1.ResetAccountActionTriggers", {"Tenant": TENANT, "Account": UUID, "Executed": False})
    cgrates_sim.ok("APIerSv1.DebitBalance", {"Tenant": TENANT, "Account": UUID, "BalanceType": "*monetary",
                                             "Balance": {"ID": "CREDIT", "Value": 0.5}})
    [(to, template, variables)] = mails()
    assert (to, template) == ("dana@example.com", "api_crmCommunicationsBalanceLow")
    assert variables["service_name"] == "Hotspot - 0412345678" and variables["balance_type"] == "Monetary"
    assert variables["topup_url"].startswith("https://topup.example.com/")

    unknown = client.post("/crm/hotspot_topup/balance_event/Action_Balance_Low", json={"ID": f"{TENANT}:nobody"})
    assert unknown.status_code == 404
    staff = client.post("/crm/hotspot_topup/balance_event/Action_Balance_Low", json={"service_uuid": UUID},
                        headers=bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"]))
    assert staff.status_code == 403  # the OCS's callback, not a staff tool


def test_a_top_up_before_expiry_adds_to_the_days_left(app, client, portal, cgrates_sim):
    left = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    cgrates_sim.ok("APIerSv1.SetBalance", {"Tenant": TENANT, "Account": UUID, "BalanceType": "*data", "Balance": {
        "ID": "DATA_DONGLE_UNLIMITED", "Value": 1e15, "ExpiryTime": left.strftime("%Y-%m-%dT%H:%M:%SZ")}})
    response = client.post("/oam/topup_dongle", json=_body(_intent(app, 2000), days=2, amount=20))
    assert response.status_code == 200, response.get_json()
    [bucket] = _hotspot_bucket(cgrates_sim)
    assert datetime.fromisoformat(bucket["ExpirationDate"].replace("Z", "+00:00")) == left + timedelta(days=2)
    assert response.get_json()["expiry"].startswith((left + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S"))
