"""What the browser and Stripe do around our API, against the real localstripe: Stripe.js creates the card at Stripe
with the publishable key (the card number never reaches OmniCRM) and confirms the SetupIntent; then OmniCRM saves
the PaymentMethod id."""
from datetime import datetime
from decimal import Decimal

import requests
import stripe
from sqlalchemy import select

from omnicrm import db
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.customers.models import Contact, Customer
from tests.fixtures.localstripe import PUBLISHABLE_KEY, SECRET_KEY

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
DECLINED_AT_ATTACH = "4000000000000002"
DECLINED_AT_CHARGE = "4000000000000341"
NEEDS_3DS = "4000002500003155"


def stripe_admin(server):
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": server.url})


def stripe_card(server, number=VISA, exp_month=12, exp_year=2031, name="Ana Smith"):
    """A PaymentMethod created at Stripe directly (as Stripe.js would), not attached to anyone: its pm_ id."""
    return stripe_admin(server).v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": "123"},
        "billing_details": {"name": name, "address": {"country": "AU"}}}).id


def confirm_card_setup(server, client_secret, number=VISA, exp_month=12, exp_year=2031, name="Ana Smith"):
    """localstripe's Stripe.js `confirmCardSetup`: the card goes to Stripe with the publishable key and the
    SetupIntent's client secret; the answer names the new PaymentMethod."""
    seti = client_secret.split("_secret_")[0]
    response = requests.post(f"{server.url}/v1/setup_intents/{seti}/confirm", json={
        "key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret,
        "payment_method_data": {"type": "card", "billing_details": {"name": name, "address": {"country": "AU"}},
                                "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year,
                                         "cvc": "123"}}}, timeout=10)
    if response.status_code == 200 and response.json()["status"] == "requires_action":  # 3-D Secure modal: complete
        response = requests.post(f"{server.url}/v1/setup_intents/{seti}/confirm", json={
            "key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret}, timeout=10)
    return response


def add_card(client, headers, server, customer_id, number=VISA, nickname=None, **card):
    """The console's "Add Payment Method": SetupIntent, confirm in the browser, save the confirmed card."""
    setup = client.post(f"/crm/stripe/customer_id/{customer_id}/setup_intent", json={}, headers=headers)
    assert setup.status_code == 200, setup.get_json()
    setup = setup.get_json()
    confirmed = confirm_card_setup(server, setup["client_secret"], number, **card)
    assert confirmed.status_code == 200, confirmed.text
    body = {"payment_method_id": confirmed.json()["payment_method"], "setup_intent_id": setup["setup_intent_id"]}
    if nickname:
        body["nickname"] = nickname
    return client.post(f"/crm/stripe/customer_id/{customer_id}/cards", json=body, headers=headers)


def make_customer(app, name="Acme Corp", email=True, account_type="Individual"):
    with app.app_context():
        customer = Customer(customer_name=name, customer_account_type=account_type)
        db.session.add(customer)
        db.session.flush()
        contact = Contact(customer_id=customer.customer_id, contact_firstname="Ana", contact_lastname=name,
                          contact_email=f"ana{customer.customer_id}@example.com" if email else None)
        db.session.add(contact)
        db.session.commit()
        return customer.customer_id, contact.contact_id


def make_invoice(app, customer_id, total="42.50"):
    """An unpaid invoice with one billed charge (built directly: invoices are another suite's subject)."""
    with app.app_context():
        invoice = Invoice(customer_id=customer_id, title="December", start_date=datetime(2026, 12, 1),
                          end_date=datetime(2026, 12, 31), due_date=datetime(2027, 1, 14),
                          retail_cost=Decimal(total), paid=False, void=False)
        db.session.add(invoice)
        db.session.flush()
        db.session.add(Transaction(customer_id=customer_id, invoice_id=invoice.invoice_id, title="Plan",
                                   transaction_type="debit", retail_cost=Decimal(total), wholesale_cost=Decimal(0),
                                   tax_percentage=Decimal(0), tax_amount=Decimal(0)))
        db.session.commit()
        return invoice.invoice_id


def transactions(app, customer_id):
    with app.app_context():
        return [(t.title, t.transaction_type, t.credit_type, t.retail_cost, t.invoice_id)
                for t in db.session.scalars(select(Transaction).where(Transaction.customer_id == customer_id)
                                            .order_by(Transaction.transaction_id))]


def intents_of(server, stripe_customer_id):
    """Every PaymentIntent localstripe holds for a Stripe customer (its list cannot filter by customer)."""
    return [pi for pi in stripe_admin(server).v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
            if pi.customer == stripe_customer_id]
