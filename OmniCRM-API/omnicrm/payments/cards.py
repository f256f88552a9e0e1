"""Stored cards (spec 07 §1): the Stripe Customer of an OmniCRM customer, SetupIntents for Stripe Elements, saving a
confirmed PaymentMethod (its brand, last 4 and expiry are read from Stripe, never from the caller), one default per
customer, deleting (detached at Stripe). Card numbers and CVCs never reach this server."""
import calendar
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import ensure_customer_visible
from omnicrm.common.serialize import iso
from omnicrm.common.validation import INT_MAX, Checker
from omnicrm.customers.models import Contact, Customer
from omnicrm.customers.service import get_customer
from omnicrm.db import utcnow
from omnicrm.errors import Conflict, DependencyError, NotFound, ValidationError
from omnicrm.integrations import stripe_client
from omnicrm.payments.models import StripeCard, StripeCustomer

DEFAULT_JS_URL = "https://js.stripe.com/v3/"
PM_PATTERN = r"^pm_[A-Za-z0-9_]{1,200}$"
SETI_PATTERN = r"^seti_[A-Za-z0-9_]{1,200}$"


def js_url():
    return stripe_client.settings().get("js_url") or DEFAULT_JS_URL


def public_config():
    """What the SPA needs to load Stripe Elements: only the publishable key, never the secret one."""
    return {"configured": stripe_client.configured(),
            "publishable_key": stripe_client.settings().get("publishable_key") or "",
            "js_url": js_url(), "currency": stripe_client.currency()}


# Expiry -------------------------------------------------------------------------------------------------------

def last_valid_day(card):
    """A card is valid through the last day of its expiry month."""
    return date(card.exp_year, card.exp_month, calendar.monthrange(card.exp_year, card.exp_month)[1])


def days_until_expiry(card, today=None):
    return (last_valid_day(card) - (today or utcnow().date())).days


def brand_label(brand):
    return {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover"}.get(
        (brand or "").lower(), (brand or "Card").title())


def describe(card):
    return f"{brand_label(card.brand)} ending in {card.last4}"


def card_to_dict(card, today=None):
    days = days_until_expiry(card, today)
    return {"card_id": card.card_id, "customer_id": card.customer_id, "customer_stripe_id": card.customer_stripe_id,
            "brand": card.brand, "last4": card.last4, "exp_month": card.exp_month, "exp_year": card.exp_year,
            "expiry": f"{card.exp_month:02d}/{card.exp_year}", "name": card.name, "nickname": card.nickname,
            "country": card.country, "is_default": bool(card.is_default),
            "default_payment_method": "true" if card.is_default else "false", "created": iso(card.created),
            "expired": days < 0, "days_until_expiry": days}


# Lookups ------------------------------------------------------------------------------------------------------

def customer_cards(customer_id):
    """A customer's cards, the default first, then the newest."""
    return db.session.scalars(select(StripeCard).where(StripeCard.customer_id == customer_id)
                              .order_by(StripeCard.is_default.desc(), StripeCard.created.desc(),
                                        StripeCard.card_id.desc())).all()


def get_card(card_id):
    """The card, 404 when missing or (for a customer user) another customer's."""
    card = db.session.get(StripeCard, card_id) if 0 < card_id <= INT_MAX else None
    if card is None:
        raise NotFound(f"Card {card_id} not found")
    ensure_customer_visible(card.customer_id)
    return card


def default_card(customer_id):
    return db.session.scalar(select(StripeCard).where(StripeCard.customer_id == customer_id,
                                                      StripeCard.is_default.is_(True)))


def card_for_payment(customer_id, card_id=None):
    """The chosen card (must be the customer's) or the default one; 400 naming `card_id` otherwise."""
    if card_id is not None:
        card = db.session.get(StripeCard, card_id)
        if card is None or card.customer_id != customer_id:
            raise NotFound("Card not found", errors={"card_id": "is not a card of this customer"})
        return card
    card = default_card(customer_id)
    if card is None:
        raise ValidationError("The customer has no saved card: add a payment method first",
                              errors={"card_id": "the customer has no saved card"})
    return card


def contact_email(customer_id):
    """The customer's primary (else first) contact with an e-mail address: (email, name) or (None, None)."""
    contacts = db.session.scalars(select(Contact).where(Contact.customer_id == customer_id,
                                                        Contact.contact_email.is_not(None))
                                  .order_by(Contact.contact_id)).all()
    if not contacts:
        return None, None
    primary = next((c for c in contacts if "Primary" in (c.contact_types or "")), contacts[0])
    return primary.contact_email, f"{primary.contact_firstname} {primary.contact_lastname}".strip()


# Stripe Customer ----------------------------------------------------------------------------------------------

def stripe_customer_id(customer, create=True):
    """The Stripe Customer of `customer`, created (once) when missing and `create`."""
    row = db.session.get(StripeCustomer, customer.customer_id)
    if row is not None or not create:
        return row.stripe_customer_id if row else None
    client = stripe_client.client()
    email, _ = contact_email(customer.customer_id)
    params = {"name": customer.customer_name, "metadata": {"omnicrm_customer_id": str(customer.customer_id)}}
    if email:
        params["email"] = email
    created = stripe_client.call(client.v1.customers.create, params=params,
                                 options={"idempotency_key": f"omnicrm-customer-{customer.customer_id}"})
    try:
        db.session.add(StripeCustomer(customer_id=customer.customer_id, stripe_customer_id=created.id))
        db.session.commit()
    except IntegrityError:  # a concurrent request created it first: use theirs
        db.session.rollback()
        return db.session.get(StripeCustomer, customer.customer_id).stripe_customer_id
    return created.id


def setup_intent(customer_id):
    """A SetupIntent the browser confirms with Stripe Elements (card data goes straight to Stripe)."""
    ensure_customer_visible(customer_id)
    customer = get_customer(customer_id)
    client = stripe_client.client()
    stripe_id = stripe_customer_id(customer)
    intent = stripe_client.call(client.v1.setup_intents.create, params={
        "customer": stripe_id, "usage": "off_session", "payment_method_types": ["card"],
        "metadata": {"omnicrm_customer_id": str(customer_id)}})
    return {"client_secret": intent.client_secret, "setup_intent_id": intent.id,
            "publishable_key": stripe_client.settings().get("publishable_key") or "", "js_url": js_url()}


def _field(obj, name, default=None):
    try:
        value = obj[name]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def add_card(customer_id, data):
    """Save a PaymentMethod the browser created and confirmed at Stripe; details are read back from Stripe."""
    ensure_customer_visible(customer_id)
    check = Checker(data)
    check.reject_unknown(("payment_method_id", "nickname", "setup_intent_id"))
    pm_id = check.string("payment_method_id", required=True, pattern=PM_PATTERN)
    nickname = check.string("nickname", max_length=100)
    seti_id = check.string("setup_intent_id", pattern=SETI_PATTERN)
    check.done()
    customer = get_customer(customer_id)
    if db.session.scalar(select(StripeCard.card_id).where(StripeCard.customer_stripe_id == pm_id)):
        raise Conflict("This card is already saved", errors={"payment_method_id": "is already saved"})
    client = stripe_client.client()
    stripe_id = stripe_customer_id(customer)
    if seti_id:
        intent = stripe_client.call(client.v1.setup_intents.retrieve, seti_id)
        if intent.customer != stripe_id or intent.payment_method != pm_id or intent.status != "succeeded":
            raise ValidationError("Validation failed", errors={
                "setup_intent_id": "is not a confirmed setup of this card for this customer"})
    method = stripe_client.call(client.v1.payment_methods.retrieve, pm_id)
    if method.type != "card":
        raise ValidationError("Validation failed", errors={"payment_method_id": "is not a card"})
    owner = _field(method, "customer")
    if owner and owner != stripe_id:
        raise ValidationError("Validation failed", errors={"payment_method_id": "belongs to another customer"})
    if not owner:
        method = stripe_client.call(client.v1.payment_methods.attach, pm_id, params={"customer": stripe_id})
    card_info, billing = method.card, _field(method, "billing_details", {})
    first = not db.session.scalar(select(func.count()).select_from(StripeCard)
                                  .where(StripeCard.customer_id == customer_id))
    card = StripeCard(customer_id=customer_id, customer_stripe_id=pm_id, brand=_field(card_info, "brand"),
                      last4=_field(card_info, "last4"), exp_month=int(card_info.exp_month),
                      exp_year=int(card_info.exp_year), name=_field(billing, "name"), nickname=nickname,
                      country=(_field(_field(billing, "address", {}), "country") or _field(card_info, "country")),
                      is_default=first, default_of=customer_id if first else None)
    db.session.add(card)
    try:
        db.session.flush()
    except IntegrityError:  # the same card saved concurrently, or a concurrent first card took the default
        db.session.rollback()
        raise Conflict("The customer's cards changed meanwhile: reload and try again") from None
    activity.record("customer_stripe_card", card.card_id, "create",
                    f"Payment method added: {describe(card)}, expiry {card.exp_month:02d}/{card.exp_year}"
                    + (" (default)" if first else ""), customer_id=customer_id)
    return card


def update_card(card, data):
    check = Checker(data)
    check.reject_unknown(("nickname",), read_only=("brand", "last4", "exp_month", "exp_year", "customer_stripe_id"))
    nickname = check.string("nickname", max_length=100)
    check.done()
    before = card.nickname
    card.nickname = nickname
    activity.record("customer_stripe_card", card.card_id, "update", f"Payment method {describe(card)} renamed",
                    customer_id=card.customer_id, changes={"nickname": {"before": before, "after": nickname}})
    return card


def set_default(card):
    """Move the customer's one default to `card` (the unique `default_of` keeps it one in the database)."""
    if card.is_default:
        return card
    db.session.execute(update(StripeCard).where(StripeCard.customer_id == card.customer_id,
                                                StripeCard.card_id != card.card_id)
                       .values(is_default=False, default_of=None).execution_options(synchronize_session=False))
    card.is_default, card.default_of = True, card.customer_id
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("The customer's default card changed meanwhile: reload and try again") from None
    activity.record("customer_stripe_card", card.card_id, "update", f"Default payment method: {describe(card)}",
                    customer_id=card.customer_id)
    return card


def has_auto_renewals(customer_id):
    """Whether an Active service of the customer auto-renews: its product, or an add-on provisioned onto it, has
    `auto_renew` "true" (the renewal charges the default card, spec 06 §10)."""
    from omnicrm.products.models import Product
    from omnicrm.provisioning.models import Provision
    from omnicrm.services.models import Service
    active = select(Service.service_id).where(Service.customer_id == customer_id, Service.service_status == "Active")
    renewing = select(Product.product_id).where(Product.auto_renew == "true")
    own = select(func.count()).select_from(Service).where(Service.service_id.in_(active),
                                                           Service.product_id.in_(renewing))
    addons = select(func.count()).select_from(Provision).where(Provision.service_id.in_(active),
                                                               Provision.product_id.in_(renewing))
    return bool(db.session.scalar(own)) or bool(db.session.scalar(addons))


def delete_card(card, confirmed=False):
    """Detach at Stripe and delete; the last card of a customer with auto-renewals needs `confirmed`.
    A deleted default passes to the most recently added other card. Returns the new default (or None)."""
    others = [c for c in customer_cards(card.customer_id) if c.card_id != card.card_id]
    if not others and not confirmed and has_auto_renewals(card.customer_id):
        raise Conflict("This is the customer's only payment method; automatic renewals will fail without one. "
                       "Delete anyway?", confirmation_required=True)
    client = stripe_client.client()
    try:
        stripe_client.call(client.v1.payment_methods.detach, card.customer_stripe_id)
    except DependencyError:  # Stripe refused: already detached or removed there, nothing left to detach
        pass
    label, customer_id, was_default = describe(card), card.customer_id, card.is_default
    db.session.delete(card)
    db.session.flush()
    new_default = None
    if was_default and others:
        new_default = max(others, key=lambda c: (c.created, c.card_id))
        new_default.is_default, new_default.default_of = True, customer_id
        db.session.flush()
    activity.record("customer_stripe_card", card.card_id, "delete", f"Payment method deleted: {label}"
                    + (f"; default is now {describe(new_default)}" if new_default else ""), customer_id=customer_id)
    return label, new_default


def customer_visible(customer_id):
    ensure_customer_visible(customer_id)
    return db.session.get(Customer, customer_id) or get_customer(customer_id)
