"""POST /crm/stripe/webhook: Stripe's signature checked with stripe.server (400 when wrong), each event
applied once however often Stripe delivers it."""
import hashlib
import hmac
import json
import time

import pytest
import requests
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.payments.models import StripeCard, StripePayment
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture
from tests.payments.helpers import NEEDS_3DS, add_card, make_customer, make_invoice, stripe_admin
from tests.payments.test_invoice_payments import signals  # noqa: F401 - fixture used by name

SECRET = "whsec_omnicrm_test"


@pytest.fixture
def server(app, stripe_config, monkeypatch):
    """localstripe, with the webhook secret configured."""
    monkeypatch.setitem(app.config["CRM"]["stripe"], "webhook_secret", SECRET)
    return stripe_config


def signed(event, secret=SECRET):
    """What Stripe sends: the raw JSON and `Stripe-Signature: t=..,v1=HMAC-SHA256(secret, "t.payload")`."""
    payload = json.dumps(event)
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return payload, {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def deliver(client, event, secret=SECRET):
    payload, headers = signed(event, secret)
    return client.post("/crm/stripe/webhook", data=payload, headers=headers)


def event(event_id, kind, obj):
    return {"id": event_id, "object": "event", "type": kind, "api_version": "2024-06-20", "created": int(time.time()),
            "livemode": False, "data": {"object": obj}}


def test_bad_or_missing_signature_is_400_and_changes_nothing(app, client, server):
    body = event("evt_bad", "payment_method.updated", {"id": "pm_x", "object": "payment_method"})
    assert deliver(client, body, secret="whsec_wrong").status_code == 400
    payload, headers = signed(body)
    assert client.post("/crm/stripe/webhook", data=payload.replace("pm_x", "pm_y"),
                       headers=headers).status_code == 400  # tampered body
    assert client.post("/crm/stripe/webhook", data=payload,
                       headers={"Content-Type": "application/json"}).status_code == 400
    with app.app_context():
        from omnicrm.payments.models import StripeEvent
        assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_payment_method_updated_applied_once(app, client, admin_headers, server):
    customer_id, _ = make_customer(app)
    card = add_card(client, admin_headers, server, customer_id).get_json()["card"]
    method = {"id": card["customer_stripe_id"], "object": "payment_method", "type": "card",
              "billing_details": {"name": "Ana B. Smith"},
              "card": {"brand": "visa", "last4": "4242", "exp_month": 1, "exp_year": 2034}}
    body = event("evt_pm_1", "payment_method.updated", method)
    first = deliver(client, body)
    assert first.status_code == 200 and first.get_json()["duplicate"] is False
    second = deliver(client, body)
    assert second.status_code == 200 and second.get_json()["duplicate"] is True
    with app.app_context():
        row = db.session.get(StripeCard, card["card_id"])
        assert (row.exp_month, row.exp_year, row.name) == (1, 2034, "Ana B. Smith")
        updates = db.session.scalar(select(func.count()).select_from(ActivityLog).where(
            ActivityLog.entity_type == "customer_stripe_card", ActivityLog.action == "update"))
        assert updates == 1


def test_payment_succeeded_completes_3d_secure_payment_once(app, client, admin_headers, server, signals):
    customer_id, _ = make_customer(app)
    add_card(client, admin_headers, server, customer_id, NEEDS_3DS, exp_year=2033)
    invoice_id = make_invoice(app, customer_id, "12.00")
    started = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers).get_json()
    assert started["status"] == "requires_action"
    requests.post(f"{server.url}/v1/payment_intents/{started['payment_intent_id']}/_authenticate",
                  params={"success": "true"}, timeout=10,
                  json={"key": "pk_test_omnicrm", "client_secret": started["client_secret"]}).raise_for_status()
    intent = stripe_admin(server).v1.payment_intents.retrieve(started["payment_intent_id"])
    body = event("evt_pi_ok", "payment_intent.succeeded", intent.to_dict())
    assert deliver(client, body).status_code == 200
    assert deliver(client, body).get_json()["duplicate"] is True
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert (invoice.paid, invoice.payment_reference) == (True, started["payment_intent_id"])
        payments = db.session.scalar(select(func.count()).select_from(Transaction).where(
            Transaction.credit_type == "Card"))
        assert payments == 1
    assert signals["paid"] == [invoice_id]
    confirm = client.post(f"/crm/stripe/invoice_id/{invoice_id}/confirm",
                          json={"payment_intent_id": started["payment_intent_id"]}, headers=admin_headers)
    assert confirm.get_json()["status"] == "succeeded"  # the browser's confirm after the webhook changes nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Transaction).where(
            Transaction.credit_type == "Card")) == 1


def test_payment_failed_frees_the_invoice_for_another_try(app, client, admin_headers, server):
    customer_id, _ = make_customer(app)
    add_card(client, admin_headers, server, customer_id, NEEDS_3DS, exp_year=2033)
    invoice_id = make_invoice(app, customer_id)
    started = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers).get_json()
    failed = {"id": started["payment_intent_id"], "object": "payment_intent", "status": "requires_payment_method",
              "last_payment_error": {"message": "The provided PaymentMethod has failed authentication."}}
    assert deliver(client, event("evt_pi_fail", "payment_intent.payment_failed", failed)).status_code == 200
    with app.app_context():
        attempt = db.session.scalar(select(StripePayment))
        assert (attempt.status, attempt.active_purpose) == ("declined", None)
        assert db.session.get(Invoice, invoice_id).paid is False


def test_charge_refunded_marks_invoice_refunded_once(app, client, admin_headers, server, signals):
    customer_id, _ = make_customer(app)
    add_card(client, admin_headers, server, customer_id)
    invoice_id = make_invoice(app, customer_id, "20.00")
    paid = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers).get_json()
    intent_id = paid["invoice"]["payment_reference"]
    charge = {"id": "ch_dashboard", "object": "charge", "payment_intent": intent_id, "refunded": True,
              "refunds": {"object": "list", "data": [{"id": "re_dashboard", "object": "refund"}]}}
    body = event("evt_refund", "charge.refunded", charge)
    assert deliver(client, body).status_code == 200
    assert deliver(client, body).get_json()["duplicate"] is True
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert (invoice.refunded, invoice.refund_reference) == (True, "re_dashboard")
        refunds = db.session.scalar(select(func.count()).select_from(Transaction).where(
            Transaction.title == f"Refund of invoice {invoice_id}"))
        assert refunds == 1
    assert signals["refunded"] == [invoice_id]
    assert client.post(f"/crm/stripe/invoice_id/{invoice_id}/refund", json={},
                       headers=admin_headers).status_code == 409


def test_unconfigured_webhook_secret_is_503(app, client, stripe_config):
    assert deliver(client, event("evt_x", "payment_method.updated", {"id": "pm_x"})).status_code == 503


def test_localstripe_delivers_payment_succeeded_to_the_live_api(app, client, admin_headers, server, live_server,
                                                               signals):
    """The real thing end to end: localstripe signs and posts payment_intent.succeeded to our running server after
    the cardholder passed 3-D Secure, and the invoice becomes paid without the browser's confirm call."""
    registration = f"{server.url}/_config/webhooks/omnicrm"
    requests.post(registration, data={"url": f"{live_server.url}/crm/stripe/webhook", "secret": SECRET},
                  timeout=10).raise_for_status()
    try:
        customer_id, _ = make_customer(app)
        add_card(client, admin_headers, server, customer_id, NEEDS_3DS, exp_year=2033)
        invoice_id = make_invoice(app, customer_id, "15.00")
        started = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers).get_json()
        requests.post(f"{server.url}/v1/payment_intents/{started['payment_intent_id']}/_authenticate",
                      params={"success": "true"}, timeout=10,
                      json={"key": "pk_test_omnicrm", "client_secret": started["client_secret"]}).raise_for_status()
        # The handler commits, then fires invoice_paid: wait for both (the server runs in another thread).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (_paid(app, invoice_id) and signals["paid"]):
            time.sleep(0.2)
        assert _paid(app, invoice_id), "localstripe's webhook did not mark the invoice paid"
        assert signals["paid"] == [invoice_id]
    finally:  # later tests' events must not reach this server
        requests.post(registration, data={"url": f"{live_server.url}/crm/stripe/webhook", "secret": SECRET,
                                          "events[0]": "none.none"}, timeout=10).raise_for_status()


def _paid(app, invoice_id):
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Invoice, invoice_id).paid
