"""Paying invoices by card, refunds and the playbooks' card charge, against a real localstripe: paid with the
reference and a payment transaction, a decline or an outage leaves nothing, a double request charges once,
3-D Secure completes through the confirm call, a refund happens once."""
import threading
from decimal import Decimal

import pytest
import requests
from sqlalchemy import select

from omnicrm import db
from omnicrm.billing import events
from omnicrm.billing.models import Invoice
from omnicrm.payments.models import StripeCustomer, StripePayment
from tests.payments.helpers import (DECLINED_AT_CHARGE, MASTERCARD, NEEDS_3DS, add_card, intents_of, make_customer,
                                    make_invoice, transactions)


def _ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def signals():
    """The invoices each billing signal was sent with (receivers connect the receipt and refund e-mails)."""
    seen = {"paid": [], "refunded": []}

    def paid(invoice):
        seen["paid"].append(invoice.invoice_id)

    def refunded(invoice):
        seen["refunded"].append(invoice.invoice_id)

    events.invoice_paid.connect(paid)
    events.invoice_refunded.connect(refunded)
    yield seen
    events.invoice_paid.disconnect(paid)
    events.invoice_refunded.disconnect(refunded)


def _stripe_customer(app, customer_id):
    with app.app_context():
        return db.session.get(StripeCustomer, customer_id).stripe_customer_id


def _invoice(app, invoice_id):
    with app.app_context():
        return db.session.get(Invoice, invoice_id)


def test_pay_invoice_with_default_or_chosen_card(app, client, admin_headers, stripe_config, signals):
    customer_id, _ = make_customer(app)
    _ok(add_card(client, admin_headers, stripe_config, customer_id))
    second = _ok(add_card(client, admin_headers, stripe_config, customer_id, MASTERCARD))["card"]
    invoice_id = make_invoice(app, customer_id, "42.50")

    paid = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers))
    assert paid["status"] == "succeeded"
    invoice = paid["invoice"]
    assert (invoice["paid"], invoice["status"], invoice["payment_method"]) == (True, "Paid", "Stripe")
    assert invoice["payment_reference"].startswith("pi_")
    assert invoice["payment"]["retail_cost"] == "-42.50" and invoice["payment"]["credit_type"] == "Card"
    assert invoice["total"] == "42.50"  # the payment is not a line of the invoice
    assert transactions(app, customer_id)[-1] == ("Payment for invoice %d" % invoice_id, "credit", "Card",
                                                  Decimal("-42.50"), invoice_id)
    [intent] = intents_of(stripe_config, _stripe_customer(app, customer_id))
    assert (intent.id, intent.amount, intent.status) == (invoice["payment_reference"], 4250, "succeeded")
    assert signals["paid"] == [invoice_id]

    again = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers)
    assert again.status_code == 409 and len(intents_of(stripe_config, _stripe_customer(app, customer_id))) == 1

    other = make_invoice(app, customer_id, "10.00")
    paid = _ok(client.post(f"/crm/stripe/invoice_id/{other}/pay", json={"card_id": second["card_id"]},
                           headers=admin_headers))
    intent = next(i for i in intents_of(stripe_config, _stripe_customer(app, customer_id))
                  if i.id == paid["invoice"]["payment_reference"])
    assert intent.payment_method == second["customer_stripe_id"]


def test_declined_card_leaves_invoice_unpaid_and_no_transaction(app, client, admin_headers, stripe_config,
                                                                signals):
    customer_id, _ = make_customer(app)
    declining = _ok(add_card(client, admin_headers, stripe_config, customer_id, DECLINED_AT_CHARGE))["card"]["card_id"]
    invoice_id = make_invoice(app, customer_id)
    before = transactions(app, customer_id)

    declined = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers)
    assert declined.status_code == 402, declined.get_json()
    assert "declined" in declined.get_json()["message"].lower()
    invoice = _invoice(app, invoice_id)
    assert (invoice.paid, invoice.payment_reference, invoice.payment_transaction_id) == (False, None, None)
    assert transactions(app, customer_id) == before and signals["paid"] == []

    good = _ok(add_card(client, admin_headers, stripe_config, customer_id))["card"]  # another card works
    paid = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={"card_id": good["card_id"]},
                           headers=admin_headers))
    assert paid["invoice"]["paid"] is True
    with app.app_context():
        keys = db.session.scalars(select(StripePayment.idempotency_key).order_by(StripePayment.payment_id)).all()
    assert keys == [f"invoice-{invoice_id}-1-card-{declining}", f"invoice-{invoice_id}-2-card-{good['card_id']}"]


def test_stripe_outage_is_503_and_leaves_nothing(app, client, admin_headers, stripe_config, monkeypatch):
    customer_id, _ = make_customer(app)
    _ok(add_card(client, admin_headers, stripe_config, customer_id))
    invoice_id = make_invoice(app, customer_id)
    before = transactions(app, customer_id)
    monkeypatch.setitem(app.config["CRM"]["stripe"], "api_base", "http://127.0.0.1:9")
    down = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers)
    assert down.status_code == 503 and down.get_json()["message"] == "Stripe could not be reached"
    assert _invoice(app, invoice_id).paid is False and transactions(app, customer_id) == before
    monkeypatch.setitem(app.config["CRM"]["stripe"], "api_base", stripe_config.url)
    assert _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={},
                           headers=admin_headers))["invoice"]["paid"] is True


def test_same_pay_request_twice_at_once_charges_once(app, admin_headers, stripe_config, signals):
    setup_client = app.test_client()
    customer_id, _ = make_customer(app)
    _ok(add_card(setup_client, admin_headers, stripe_config, customer_id))
    invoice_id = make_invoice(app, customer_id)
    barrier, answers = threading.Barrier(2), []

    def pay():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers))

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409], [a.get_json() for a in answers]
    assert len(intents_of(stripe_config, _stripe_customer(app, customer_id))) == 1
    payments = [t for t in transactions(app, customer_id) if t[2] == "Card"]
    assert len(payments) == 1 and _invoice(app, invoice_id).paid is True and signals["paid"] == [invoice_id]


def test_3d_secure_returns_client_secret_then_confirm_pays(app, client, admin_headers, stripe_config, signals):
    customer_id, _ = make_customer(app)
    _ok(add_card(client, admin_headers, stripe_config, customer_id, NEEDS_3DS, exp_year=2033))
    invoice_id = make_invoice(app, customer_id)
    started = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers))
    assert started["status"] == "requires_action" and started["client_secret"].startswith(started["payment_intent_id"])
    assert _invoice(app, invoice_id).paid is False
    assert client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={},
                       headers=admin_headers).get_json()["status"] == "requires_action"  # same intent, no new one
    assert len(intents_of(stripe_config, _stripe_customer(app, customer_id))) == 1

    # localstripe's Stripe.js handleCardAction: the cardholder completes authentication in the browser
    requests.post(f"{stripe_config.url}/v1/payment_intents/{started['payment_intent_id']}/_authenticate",
                  params={"success": "true"}, timeout=10,
                  json={"key": "pk_test_omnicrm", "client_secret": started["client_secret"]}).raise_for_status()
    done = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/confirm",
                           json={"payment_intent_id": started["payment_intent_id"]}, headers=admin_headers))
    assert done["status"] == "succeeded" and done["invoice"]["payment_reference"] == started["payment_intent_id"]
    assert signals["paid"] == [invoice_id]


def test_refund_once_staff_only(app, client, admin_headers, make_user, stripe_config, signals):
    customer_id, contact_id = make_customer(app)
    _ok(add_card(client, admin_headers, stripe_config, customer_id))
    invoice_id = make_invoice(app, customer_id, "42.50")
    subscriber = make_user(roles=["Customer"], contact_id=contact_id)
    paid = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=subscriber))
    assert paid["invoice"]["paid"] is True  # a subscriber pays its own invoice

    assert client.post(f"/crm/stripe/invoice_id/{invoice_id}/refund", json={}, headers=subscriber).status_code == 403
    refunded = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/refund", json={}, headers=admin_headers))
    assert (refunded["refunded"], refunded["status"]) == (True, "Refunded")
    assert refunded["refund_reference"].startswith("re_") and refunded["refund"]["retail_cost"] == "42.50"
    assert refunded["total"] == "42.50"
    assert signals["refunded"] == [invoice_id]
    second = client.post(f"/crm/stripe/invoice_id/{invoice_id}/refund", json={}, headers=admin_headers)
    assert second.status_code == 409 and signals["refunded"] == [invoice_id]
    assert [t[:2] for t in transactions(app, customer_id)][-1] == (f"Refund of invoice {invoice_id}", "debit")

    cash = make_invoice(app, customer_id, "5.00")
    _ok(client.post(f"/crm/invoice/{cash}/pay", json={"payment_method": "Cash"}, headers=admin_headers))
    assert client.post(f"/crm/stripe/invoice_id/{cash}/refund", json={}, headers=admin_headers).status_code == 409
    unpaid = make_invoice(app, customer_id, "5.00")
    assert client.post(f"/crm/stripe/invoice_id/{unpaid}/refund", json={}, headers=admin_headers).status_code == 409


def test_customer_cannot_pay_with_or_for_another_customer(app, client, admin_headers, make_user, stripe_config):
    alpha, alpha_contact = make_customer(app, "Alpha")
    bravo, _ = make_customer(app, "Bravo")
    _ok(add_card(client, admin_headers, stripe_config, alpha))
    bravo_card = _ok(add_card(client, admin_headers, stripe_config, bravo))["card"]
    ana = make_user(roles=["Customer"], contact_id=alpha_contact)
    bravo_invoice, alpha_invoice = make_invoice(app, bravo), make_invoice(app, alpha)
    assert client.post(f"/crm/stripe/invoice_id/{bravo_invoice}/pay", json={}, headers=ana).status_code == 404
    with_bravo_card = client.post(f"/crm/stripe/invoice_id/{alpha_invoice}/pay",
                                  json={"card_id": bravo_card["card_id"]}, headers=ana)
    assert with_bravo_card.status_code == 404
    assert intents_of(stripe_config, _stripe_customer(app, bravo)) == []
    assert _invoice(app, alpha_invoice).paid is False
    no_perm = make_user(permissions=["view_customer_invoice"])
    assert client.post(f"/crm/stripe/invoice_id/{alpha_invoice}/pay", json={}, headers=no_perm).status_code == 403


def test_charge_card_records_charge_and_payment_once(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    card = _ok(add_card(client, admin_headers, stripe_config, customer_id))["card"]
    listed = _ok(client.get(f"/crm/stripe/customer_id/{customer_id}", headers=admin_headers))["data"]
    default = [c["customer_stripe_id"] for c in listed if c["default_payment_method"] == "true"][0]
    body = {"retail_cost": 5.00, "description": "5GB Data Boost", "customer_id": str(customer_id),
            "wholesale_cost": 1.50, "invoice": True, "idempotency_key": "job-7-addon"}
    charged = _ok(client.post(f"/crm/stripe/charge_card/{default}", json=body, headers=admin_headers))
    assert charged["status"] == "succeeded" and charged["amount"] == "5.00"
    assert [t[:4] for t in transactions(app, customer_id)] == [
        ("5GB Data Boost", "debit", None, Decimal("5.00")),
        ("Card payment: 5GB Data Boost", "credit", "Card", Decimal("-5.00"))]
    again = _ok(client.post(f"/crm/stripe/charge_card/{default}", json=body, headers=admin_headers))
    assert again == charged and len(transactions(app, customer_id)) == 2
    assert len(intents_of(stripe_config, _stripe_customer(app, customer_id))) == 1

    other, _ = make_customer(app, "Other")
    assert client.post(f"/crm/stripe/charge_card/{card['customer_stripe_id']}", headers=admin_headers,
                       json={**body, "customer_id": other}).status_code == 404


def test_charge_card_declined_records_nothing(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    card = _ok(add_card(client, admin_headers, stripe_config, customer_id, DECLINED_AT_CHARGE))["card"]
    declined = client.post(f"/crm/stripe/charge_card/{card['customer_stripe_id']}", headers=admin_headers, json={
        "retail_cost": "10.00", "description": "Monthly 10GB renewal", "customer_id": customer_id})
    assert declined.status_code == 402 and transactions(app, customer_id) == []


def test_a_payment_abandoned_while_pending_is_retried_with_the_same_key(app, client, admin_headers, stripe_config):
    """A request that crashed after claiming the invoice must not block it for ever; the retry sends the same
    idempotency key, so real Stripe would answer the first charge instead of charging again."""
    from datetime import timedelta

    from omnicrm.db import utcnow
    customer_id, _ = make_customer(app)
    card = _ok(add_card(client, admin_headers, stripe_config, customer_id))["card"]
    invoice_id = make_invoice(app, customer_id, "8.00")
    with app.app_context():
        db.session.add(StripePayment(purpose=f"invoice-{invoice_id}", active_purpose=f"invoice-{invoice_id}",
                                     idempotency_key=f"invoice-{invoice_id}-1-card-{card['card_id']}",
                                     customer_id=customer_id,
                                     invoice_id=invoice_id, card_id=card["card_id"], amount=Decimal("8.00"),
                                     currency="aud", status="pending", last_modified=utcnow()))
        db.session.commit()
    busy = client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers)
    assert busy.status_code == 409 and busy.get_json()["errors"] == {"invoice_id": "payment in progress"}
    with app.app_context():
        stuck = db.session.scalar(select(StripePayment))
        stuck.last_modified = utcnow() - timedelta(minutes=6)
        db.session.commit()
    assert _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={},
                           headers=admin_headers))["invoice"]["paid"] is True
    with app.app_context():
        rows = db.session.execute(select(StripePayment.status, StripePayment.idempotency_key)
                                  .order_by(StripePayment.payment_id)).all()
    key = f"invoice-{invoice_id}-1-card-{card['card_id']}"
    assert [tuple(r) for r in rows] == [("error", key), ("succeeded", key)]


def test_choosing_another_card_during_3d_secure_cancels_the_first_intent(app, client, admin_headers, stripe_config):
    customer_id, _ = make_customer(app)
    _ok(add_card(client, admin_headers, stripe_config, customer_id, NEEDS_3DS, exp_year=2033))
    other = _ok(add_card(client, admin_headers, stripe_config, customer_id))["card"]
    invoice_id = make_invoice(app, customer_id)
    started = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={}, headers=admin_headers))
    assert started["status"] == "requires_action"
    paid = _ok(client.post(f"/crm/stripe/invoice_id/{invoice_id}/pay", json={"card_id": other["card_id"]},
                           headers=admin_headers))
    assert paid["status"] == "succeeded"
    intents = {i.id: i.status for i in intents_of(stripe_config, _stripe_customer(app, customer_id))}
    assert intents == {started["payment_intent_id"]: "canceled", paid["invoice"]["payment_reference"]: "succeeded"}
    late = client.post(f"/crm/stripe/invoice_id/{invoice_id}/confirm",
                       json={"payment_intent_id": started["payment_intent_id"]}, headers=admin_headers)
    assert late.status_code == 409  # the abandoned attempt cannot pay the invoice again
