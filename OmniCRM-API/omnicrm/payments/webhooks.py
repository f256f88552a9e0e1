"""`POST /crm/stripe/webhook` (spec 06 §14): Stripe's signature is checked with `stripe.webhook_secret` by the
library; each event id is applied once (an event delivered again changes nothing).

payment_intent.succeeded       completes a card payment still waiting (3-D Secure finished, processing ended)
payment_intent.payment_failed  ends such an attempt (the invoice stays unpaid)
charge.refunded                marks the invoice paid by that payment refunded (a refund made in Stripe's dashboard)
payment_method.updated         refreshes a stored card's expiry, brand, last 4 and name (e.g. card updater)
"""
import json
import logging

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.billing import events, invoices
from omnicrm.billing.models import Invoice
from omnicrm.errors import Conflict, DependencyUnavailable, ValidationError
from omnicrm.integrations import stripe_client
from omnicrm.payments import charges
from omnicrm.payments.models import StripeCard, StripeEvent, StripePayment

log = logging.getLogger(__name__)
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "payment_method.updated")


def _secret():
    return stripe_client.settings().get("webhook_secret") or ""


def verify(payload, signature):
    """The event, or 400 for a missing or bad signature (503 when no secret is configured)."""
    secret = _secret()
    if not secret:
        raise DependencyUnavailable("Stripe webhooks are not configured (stripe.webhook_secret is empty)")
    try:
        stripe.Webhook.construct_event(payload, signature or "", secret)
        event = json.loads(payload)
    except (ValueError, stripe.SignatureVerificationError):
        raise ValidationError("Invalid Stripe signature") from None
    if not isinstance(event, dict) or not isinstance((event.get("data") or {}).get("object"), dict):
        raise ValidationError("Not a Stripe event")
    return event


def handle(payload, signature):
    event = verify(payload, signature)
    kind = event.get("type")
    if kind not in HANDLED:
        return {"received": True, "handled": False}
    db.session.add(StripeEvent(event_id=str(event.get("id"))[:255], event_type=kind))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return {"received": True, "duplicate": True}
    obj = event["data"]["object"]
    fired = []
    if kind == "payment_intent.succeeded":
        fired = _succeeded(obj, str(event.get("id"))[:255])
    elif kind == "payment_intent.payment_failed":
        _failed(obj)
    elif kind == "charge.refunded":
        fired = _refunded(obj)
    elif kind == "payment_method.updated":
        _card_updated(obj)
    try:
        db.session.commit()
    except IntegrityError:  # the same event processed concurrently
        db.session.rollback()
        return {"received": True, "duplicate": True}
    for signal, invoice in fired:
        signal.send(invoice)
    return {"received": True, "duplicate": False}


def _attempt(intent_id):
    return db.session.scalar(select(StripePayment).where(StripePayment.payment_intent_id == intent_id)
                             .order_by(StripePayment.payment_id.desc()))


def _succeeded(intent, event_id):
    attempt = _attempt(intent.get("id"))
    if attempt is None or attempt.status not in ("pending", "requires_action", "processing") \
            or attempt.invoice_id is None:
        return []
    invoice = db.session.get(Invoice, attempt.invoice_id)
    if invoice is None or invoice.paid or invoice.void:
        log.warning("Webhook: card payment %s arrived for invoice %s, which is closed: refund it in Stripe",
                    attempt.payment_intent_id, attempt.invoice_id)
        attempt.status, attempt.active_purpose, attempt.failure = "orphaned", None, "invoice closed before payment"
        return []
    try:
        invoices.record_payment(invoice, charges.STRIPE_METHOD, "Card", attempt.payment_intent_id)
    except Conflict:  # the browser's confirm recorded it at the same moment (the rollback dropped the event row)
        db.session.add(StripeEvent(event_id=event_id, event_type="payment_intent.succeeded"))
        return []
    attempt.status, attempt.transaction_id = "succeeded", invoice.payment_transaction_id
    return [(events.invoice_paid, invoice)]


def _failed(intent):
    attempt = _attempt(intent.get("id"))
    if attempt is not None and attempt.status in ("pending", "requires_action", "processing"):
        error = intent.get("last_payment_error") or {}
        attempt.status, attempt.active_purpose = "declined", None
        attempt.failure = (error.get("message") or "payment failed")[:500]


def _refunded(charge):
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return []
    invoice = db.session.scalar(select(Invoice).where(Invoice.payment_reference == intent_id,
                                                      Invoice.payment_method == charges.STRIPE_METHOD))
    if invoice is None or invoice.refunded or not invoice.paid:
        return []
    refunds = (charge.get("refunds") or {}).get("data") or []
    reference = str(refunds[0].get("id") if refunds else charge.get("id"))[:255]
    invoices.record_refund(invoice, reference)
    return [(events.invoice_refunded, invoice)]


def _card_updated(method):
    card = db.session.scalar(select(StripeCard).where(StripeCard.customer_stripe_id == method.get("id")))
    if card is None or not isinstance(method.get("card"), dict):
        return
    info, billing = method["card"], method.get("billing_details") or {}
    before = (card.exp_month, card.exp_year, card.last4)
    card.exp_month = int(info.get("exp_month") or card.exp_month)
    card.exp_year = int(info.get("exp_year") or card.exp_year)
    card.brand, card.last4 = info.get("brand") or card.brand, info.get("last4") or card.last4
    card.name = billing.get("name") or card.name
    activity.record("customer_stripe_card", card.card_id, "update",
                    f"Payment method updated by Stripe: expiry {card.exp_month:02d}/{card.exp_year}",
                    customer_id=card.customer_id,
                    changes={"expiry": {"before": f"{before[0]:02d}/{before[1]}",
                                        "after": f"{card.exp_month:02d}/{card.exp_year}"}})
