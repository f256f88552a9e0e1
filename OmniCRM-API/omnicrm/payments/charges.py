"""Taking money by card (spec 07 §2.12, §2.15; spec 06 §9.3, §10): paying an invoice, the playbooks' charge of an
add-on or top-up, refunds.

Nothing is charged twice: before Stripe is called, an attempt row claims the purpose ("invoice-12") through the
unique `active_purpose` and is committed, so a second concurrent or repeated request finds it and never reaches
Stripe (localstripe ignores Idempotency-Key; real Stripe gets one too, derived from what is paid). A decline or an
outage frees the purpose again and leaves the invoice unpaid with no transaction. Signals fire after commit.
"""
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from omnicrm import db
from omnicrm.auth.identity import current_identity, ensure_customer_visible
from omnicrm.billing import events, invoices
from omnicrm.billing.models import Invoice
from omnicrm.billing.service import create_transaction
from omnicrm.common.serialize import plain
from omnicrm.common.validation import Checker
from omnicrm.customers.service import get_customer
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, NotFound, PaymentRequired, ValidationError
from omnicrm.integrations import stripe_client
from omnicrm.payments import cards
from omnicrm.payments.models import StripeCard, StripePayment

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
STRIPE_METHOD = "Stripe"
STALE = timedelta(minutes=5)


def cents(amount):
    return int((Decimal(amount) * 100).quantize(Decimal(1)))


# Attempts -----------------------------------------------------------------------------------------------------

def _claim(purpose, customer_id, amount, card_id, invoice_id=None):
    """Commit an attempt holding `purpose`; None when another attempt holds it (in progress or succeeded)."""
    _free_stale(purpose)
    declined = db.session.scalar(select(func.count()).select_from(StripePayment)
                                 .where(StripePayment.purpose == purpose, StripePayment.status == "declined"))
    # Derived from what is paid, the attempt (declines so far) and the card: Stripe refuses a key reused with other
    # parameters, so a retry with another card after an outage must not reuse the first card's key.
    key = f"{purpose}-{declined + 1}" + (f"-card-{card_id}" if card_id else "")
    attempt = StripePayment(purpose=purpose, active_purpose=purpose, idempotency_key=key,
                            customer_id=customer_id, invoice_id=invoice_id, card_id=card_id, amount=amount,
                            currency=stripe_client.currency() or "aud", status="pending")
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return attempt


def _free_stale(purpose):
    """An attempt left "pending" by a crashed request (Stripe's answer never recorded) would block the purpose for
    ever: after STALE it is freed as an error. The next attempt reuses its idempotency key (only declines advance
    it), so Stripe answers that first charge again instead of charging twice."""
    holder = _holder(purpose)
    if holder is not None and holder.status == "pending" and holder.last_modified is not None \
            and holder.last_modified < utcnow() - STALE:
        db.session.execute(update(StripePayment).where(StripePayment.payment_id == holder.payment_id,
                                                       StripePayment.status == "pending")
                           .values(status="error", active_purpose=None, failure="abandoned while pending",
                                   last_modified=utcnow()))
        db.session.commit()


def _holder(purpose):
    return db.session.scalar(select(StripePayment).where(StripePayment.active_purpose == purpose))


def _fail(attempt, status, message):
    """Free the purpose (a new attempt may follow) and keep the attempt as history."""
    attempt.status, attempt.active_purpose, attempt.failure = status, None, (message or "")[:500]
    db.session.commit()


def _create_intent(attempt, card, description, off_session, metadata):
    client = stripe_client.client()
    stripe_customer = db.session.scalar(select(cards.StripeCustomer.stripe_customer_id)
                                        .where(cards.StripeCustomer.customer_id == card.customer_id))
    params = {"amount": cents(attempt.amount), "currency": attempt.currency, "customer": stripe_customer,
              "payment_method": card.customer_stripe_id, "payment_method_types": ["card"], "confirm": True,
              "metadata": {"omnicrm_payment_id": str(attempt.payment_id), "description": description[:450],
                           **metadata}}
    if off_session:
        params["off_session"] = True
    try:
        intent = stripe_client.call(client.v1.payment_intents.create, params=params,
                                    options={"idempotency_key": attempt.idempotency_key})
    except PaymentRequired as exc:
        _fail(attempt, "declined", exc.message)
        raise
    except ApiError as exc:  # outage or Stripe error: nothing recorded; the next attempt reuses the same key
        _fail(attempt, "error", exc.message)
        raise
    attempt.payment_intent_id = intent.id
    return intent


def _intent_failure(intent):
    error = getattr(intent, "last_payment_error", None)
    message = getattr(error, "message", None) or "the payment was not completed"
    return f"The card was declined: {message}"


# Invoices -----------------------------------------------------------------------------------------------------

def _open_invoice(invoice):
    if invoice.void or invoice.paid:
        raise Conflict("Only an unpaid, not voided invoice can be paid",
                       errors={"invoice_id": "is already paid or void"})
    if Decimal(invoice.retail_cost or 0) <= 0:
        raise Conflict("The invoice has nothing to pay", errors={"invoice_id": "total is not above 0"})


def pay_invoice(invoice, data):
    """Charge the chosen (else default) card for the invoice total; see the module doc for double charges."""
    check = Checker(data)
    check.reject_unknown(("card_id",))
    card_id = check.integer("card_id", minimum=1)
    check.done()
    _open_invoice(invoice)
    card = cards.card_for_payment(invoice.customer_id, card_id)
    stripe_client.client()  # 503 before anything is claimed when card payments are not configured
    purpose = f"invoice-{invoice.invoice_id}"
    invoice_id = invoice.invoice_id
    amount = Decimal(invoice.retail_cost).quantize(CENT)
    attempt = _claim(purpose, invoice.customer_id, amount, card.card_id, invoice_id)
    if attempt is None and _abandon_authentication(purpose, card):
        attempt = _claim(purpose, invoice.customer_id, amount, card.card_id, invoice_id)
    if attempt is None:
        return _already(purpose, invoice_id)
    intent = _create_intent(attempt, card, f"Invoice {invoice_id}", off_session=False,
                            metadata={"omnicrm_invoice_id": str(invoice_id)})
    return _settle_invoice(attempt, intent)


def _abandon_authentication(purpose, card):
    """Paying with another card while the first one waits for 3-D Secure: cancel that PaymentIntent at Stripe and
    free the invoice for the new card. True when the purpose was freed."""
    holder = _holder(purpose)
    if holder is None or holder.status != "requires_action" or holder.card_id == card.card_id:
        return False
    stripe_client.call(stripe_client.client().v1.payment_intents.cancel, holder.payment_intent_id)
    _fail(holder, "canceled", "another card was chosen instead of finishing 3-D Secure")
    return True


def _already(purpose, invoice_id):
    holder = _holder(purpose)
    if holder is not None and holder.status == "requires_action":
        intent = stripe_client.call(stripe_client.client().v1.payment_intents.retrieve, holder.payment_intent_id)
        return _settle_invoice(holder, intent)
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is not None and invoice.paid:
        raise Conflict("The invoice is already paid", errors={"invoice_id": "is already paid"})
    raise Conflict("A payment of this invoice is already in progress", errors={"invoice_id": "payment in progress"})


def _settle_invoice(attempt, intent):
    """Act on the PaymentIntent's status: paid, 3-D Secure needed, declined or still processing."""
    if intent.status == "succeeded":
        return {"status": "succeeded", "invoice": invoices.detail(_complete_invoice(attempt, intent.id))}
    if intent.status == "requires_action":
        attempt.status = "requires_action"
        db.session.commit()
        return {"status": "requires_action", "client_secret": intent.client_secret, "payment_intent_id": intent.id}
    if intent.status == "processing":
        attempt.status = "processing"
        db.session.commit()
        return {"status": "processing", "payment_intent_id": intent.id}
    message = _intent_failure(intent)
    _fail(attempt, "declined", message)
    raise PaymentRequired(message)


def _complete_invoice(attempt, intent_id):
    """Record a succeeded card payment of an invoice (once); a refund when the invoice closed meanwhile."""
    invoice = db.session.get(Invoice, attempt.invoice_id)
    try:
        invoices.record_payment(invoice, STRIPE_METHOD, "Card", intent_id)
    except Conflict:
        db.session.expire_all()
        invoice = db.session.get(Invoice, attempt.invoice_id)
        attempt = db.session.get(StripePayment, attempt.payment_id)
        if invoice.paid and invoice.payment_reference == intent_id:  # this very payment, recorded by the webhook
            return invoice
        # paid by another method or voided while the card was charged: give the money back
        _refund_intent(intent_id, f"{attempt.purpose}-closed-refund")
        _fail(attempt, "refunded", "the invoice was closed while the card was charged; refunded")
        raise
    attempt.status, attempt.payment_intent_id = "succeeded", intent_id
    attempt.transaction_id = invoice.payment_transaction_id
    db.session.commit()
    events.invoice_paid.send(invoice)
    return invoice


def confirm_invoice(invoice, data):
    """After 3-D Secure in the browser: check the PaymentIntent with Stripe and record the payment."""
    check = Checker(data)
    check.reject_unknown(("payment_intent_id",))
    intent_id = check.string("payment_intent_id", required=True, pattern=r"^pi_[A-Za-z0-9_]{1,200}$")
    check.done()
    attempt = db.session.scalar(select(StripePayment).where(StripePayment.invoice_id == invoice.invoice_id,
                                                            StripePayment.payment_intent_id == intent_id))
    if attempt is None:
        raise NotFound("No card payment of this invoice with that payment intent")
    if attempt.status == "succeeded":
        return {"status": "succeeded", "invoice": invoices.detail(invoice)}
    if attempt.status not in ("requires_action", "processing", "pending"):
        raise Conflict("This payment attempt has ended; start a new payment",
                       errors={"payment_intent_id": f"is {attempt.status}"})
    intent = stripe_client.call(stripe_client.client().v1.payment_intents.retrieve, intent_id)
    return _settle_invoice(attempt, intent)


def _refund_intent(intent_id, key):
    client = stripe_client.client()
    return stripe_client.call(client.v1.refunds.create, params={"payment_intent": intent_id},
                              options={"idempotency_key": key})


def refund_invoice(invoice):
    """Refund a card-paid invoice in full, once (spec 07 §2.15); staff only."""
    if invoice.refunded:
        raise Conflict("The invoice was already refunded", errors={"invoice_id": "already refunded"})
    if not invoice.paid or invoice.payment_method != STRIPE_METHOD or \
            not (invoice.payment_reference or "").startswith("pi_"):
        raise Conflict("Only an invoice paid by card (Stripe) can be refunded",
                       errors={"invoice_id": "not paid by card"})
    stripe_client.client()
    purpose = f"refund-invoice-{invoice.invoice_id}"
    attempt = _claim(purpose, invoice.customer_id, Decimal(invoice.retail_cost).quantize(CENT), None,
                     invoice.invoice_id)
    if attempt is None:
        raise Conflict("A refund of this invoice is in progress or done", errors={"invoice_id": "already refunded"})
    try:
        refund = _refund_intent(invoice.payment_reference, attempt.idempotency_key)
    except ApiError as exc:
        _fail(attempt, "error", exc.message)
        raise
    invoice_id = invoice.invoice_id
    attempt.status, attempt.payment_intent_id = "succeeded", invoice.payment_reference
    try:
        invoices.record_refund(invoice, refund.id)
    except Conflict:  # Stripe's charge.refunded webhook recorded this very refund first
        db.session.rollback()
        _fail(db.session.get(StripePayment, attempt.payment_id), "succeeded", "recorded by the webhook")
        return db.session.get(Invoice, invoice_id)
    db.session.commit()
    invoice = db.session.get(Invoice, invoice_id)
    events.invoice_refunded.send(invoice)
    return invoice


# Playbook charges ---------------------------------------------------------------------------------------------

def charge_card(customer_stripe_id, data):
    """Charge a stored card for an add-on or top-up (spec 06 §9.3) and record the charge and the card payment.

    Repeating the same charge (the playbook task retried, the same `idempotency_key`) answers the first result."""
    check = Checker(data)
    check.reject_unknown(("retail_cost", "description", "customer_id", "service_id", "product_id", "wholesale_cost",
                          "invoice", "idempotency_key", "title"))
    amount = check.money("retail_cost", required=True)
    if amount is not None and amount <= 0:
        check.error("retail_cost", "must be more than 0")
    wholesale = check.money("wholesale_cost")
    description = check.string("description", required=True, max_length=255)
    title = check.string("title", max_length=255)
    customer_id = check.integer("customer_id", required=True, minimum=1)
    service_id = check.integer("service_id", minimum=1)
    product_id = check.integer("product_id", minimum=1)
    check.boolean("invoice")
    key = check.string("idempotency_key", max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")
    check.done()
    ensure_customer_visible(customer_id)
    get_customer(customer_id)
    card = db.session.scalar(select(StripeCard).where(StripeCard.customer_stripe_id == customer_stripe_id))
    if card is None or card.customer_id != customer_id:
        raise NotFound("No such card for this customer")
    if service_id:
        from omnicrm.services.models import Service
        service = db.session.get(Service, service_id)
        if service is None or service.customer_id != customer_id:
            raise ValidationError("Validation failed", errors={
                "service_id": f"service {service_id} is not a service of customer {customer_id}"})
    stripe_client.client()
    purpose = _charge_purpose(customer_id, key, service_id, product_id, amount)
    attempt = _claim(purpose, customer_id, amount, card.card_id)
    if attempt is None:
        holder = _holder(purpose)
        if holder is not None and holder.status == "succeeded":
            return _charge_result(holder)
        raise Conflict("This charge is already in progress", errors={"idempotency_key": "charge in progress"})
    intent = _create_intent(attempt, card, description, off_session=True,
                            metadata={"omnicrm_customer_id": str(customer_id),
                                      "omnicrm_service_id": str(service_id or ""),
                                      "omnicrm_product_id": str(product_id or "")})
    if intent.status != "succeeded":
        if intent.status == "requires_action":
            _fail(attempt, "declined", "the card needs authentication by the cardholder")
            raise Conflict("The card needs authentication by the cardholder; it cannot be charged automatically",
                           errors={"customer_stripe_id": "requires authentication"})
        message = _intent_failure(intent)
        _fail(attempt, "declined", message)
        raise PaymentRequired(message)
    charge = create_transaction({"customer_id": customer_id, "service_id": service_id, "title": title or description,
                                 "description": description, "retail_cost": str(amount),
                                 "wholesale_cost": str(wholesale or 0), "tax_percentage": "0"})
    paid = create_transaction({"customer_id": customer_id, "service_id": service_id,
                               "title": f"Card payment: {title or description}",
                               "description": f"Stripe {intent.id} ({cards.describe(card)})",
                               "transaction_type": "credit", "credit_type": "Card", "retail_cost": str(amount)})
    attempt.status, attempt.transaction_id, attempt.payment_transaction_id = \
        "succeeded", charge.transaction_id, paid.transaction_id
    db.session.commit()
    return _charge_result(attempt)


def _charge_purpose(customer_id, key, service_id, product_id, amount):
    if key:
        return f"charge-{customer_id}-{key}"
    scope = getattr(current_identity(), "job_scope", None)
    if scope is not None:  # one charge per provisioning job and item: a retried task is the same charge
        return f"charge-job-{scope.provision_id}-{service_id or 0}-{product_id or 0}-{cents(amount)}"
    return f"charge-{customer_id}-{uuid.uuid4().hex}"


def _charge_result(attempt):
    return {"status": "succeeded", "payment_intent_id": attempt.payment_intent_id,
            "transaction_id": attempt.transaction_id, "payment_transaction_id": attempt.payment_transaction_id,
            "amount": plain(Decimal(attempt.amount).quantize(CENT))}
