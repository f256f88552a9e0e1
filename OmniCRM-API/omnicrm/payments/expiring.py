"""Expiring cards (spec 07 §1.8-1.9): the system-wide list and the reminder e-mails at 60, 30 and 7 days before
expiry and at expiry, each sent once per card and interval (`Stripe_Card_Reminder`), by `omnicrm
stripe-card-reminders` run daily (README) or on demand ("Notify", "Send Reminder Emails").

The spec names no Mailjet template for these reminders (spec 06 §19.16), so they go out as plain e-mails through
the mail module (`send_plain_email`) with the template's variables in the text: customer name, card brand and last
4, expiry date and the self-care payment-methods link."""
import calendar
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from omnicrm import db
from omnicrm.common.validation import Checker
from omnicrm.communications import service as mail
from omnicrm.customers.models import Customer
from omnicrm.db import utcnow
from omnicrm.payments import cards
from omnicrm.payments.models import CardReminder, StripeCard

log = logging.getLogger(__name__)
INTERVALS = (("expired", -1), ("7", 7), ("30", 30), ("60", 60))  # tightest first
MONTH_INDEX = StripeCard.exp_year * 12 + StripeCard.exp_month


def _index(day):
    return day.year * 12 + day.month


def _expiring_within(days, today):
    """Not expired and valid only up to today + days (a card runs to the end of its expiry month)."""
    cutoff = today + timedelta(days=days)
    last_day_of_month = cutoff.day == calendar.monthrange(cutoff.year, cutoff.month)[1]
    upper = MONTH_INDEX <= _index(cutoff) if last_day_of_month else MONTH_INDEX < _index(cutoff)
    return and_(MONTH_INDEX >= _index(today), upper)


def _expired(today):
    return MONTH_INDEX < _index(today)


def _range_filter(today):
    def where(values):
        clauses = []
        for value in values:
            if str(value) == "expired":
                clauses.append(_expired(today))
            elif str(value) in ("30", "60", "90"):
                clauses.append(_expiring_within(int(value), today))
            else:
                from omnicrm.errors import ValidationError
                raise ValidationError("Invalid list parameters",
                                      errors={"filters.expiry_range": "values: 30, 60, 90, expired"})
        return or_(*clauses)
    return where


def _service_type_filter(values):
    from omnicrm.services.models import Service
    return StripeCard.customer_id.in_(select(Service.customer_id).where(Service.service_type.in_(values),
                                                                        Service.service_status == "Active"))


def due_count(today=None):
    """How many cards are expired or expire within 60 days (the Expiring Cards list without filters)."""
    today = today or utcnow().date()
    return db.session.scalar(select(func.count()).select_from(StripeCard)
                             .where(or_(_expired(today), _expiring_within(60, today))))


def list_query(params, today=None):
    """All cards joined to their customer; without an expiry_range filter: expired or expiring within 60 days."""
    today = today or utcnow().date()
    stmt = select(StripeCard).join(Customer, Customer.customer_id == StripeCard.customer_id)
    if "expiry_range" not in params.filters:
        stmt = stmt.where(or_(_expired(today), _expiring_within(60, today)))
    return stmt


def filterable(today=None):
    today = today or utcnow().date()
    return {"expiry_range": _range_filter(today), "customer_account_type": Customer.customer_account_type,
            "service_type": _service_type_filter}


SORTABLE = {"days_until_expiry": MONTH_INDEX, "customer_name": Customer.customer_name,
            "created": StripeCard.created, "card_id": StripeCard.card_id}


def search_clause(text):
    like = f"%{text}%"
    return or_(Customer.customer_name.ilike(like), StripeCard.brand.ilike(like), StripeCard.last4.ilike(like),
               StripeCard.nickname.ilike(like))


def last_reminder(card_id):
    rows = set(db.session.scalars(select(CardReminder.interval).where(CardReminder.card_id == card_id)))
    return next((name for name, _ in INTERVALS if name in rows), None)


def row_to_dict(card, today=None):
    customer = db.session.get(Customer, card.customer_id)
    return {**cards.card_to_dict(card, today), "customer_name": customer.customer_name,
            "customer_account_type": customer.customer_account_type, "last_reminder": last_reminder(card.card_id)}


# Reminders ----------------------------------------------------------------------------------------------------

def interval_for(card, today):
    """The tightest reminder interval the card has reached, or None when it expires in more than 60 days."""
    days = cards.days_until_expiry(card, today)
    for name, limit in INTERVALS:
        if days <= limit:
            return name
    return None


def portal_link():
    base = (current_app.config["CRM"].get("crm") or {}).get("base_url") or ""
    return f"{base.rstrip('/')}/selfcare/billing/payment-methods"


def _text(card, customer_name, interval, today):
    expiry = f"{card.exp_month:02d}/{card.exp_year}"
    card_text = cards.describe(card)
    if interval == "expired":
        head = f"Your {card_text} expired at the end of {expiry}."
    else:
        days = max(cards.days_until_expiry(card, today), 0)
        head = f"Your {card_text} expires at the end of {expiry} (in {days} days)."
    return (f"Dear {customer_name},\n\n{head}\nPlease add a new card and make it your default so your services and "
            f"automatic renewals keep working:\n{portal_link()}\n\nWe will never ask you to send card details by "
            "e-mail or text message.\n")


def _subject(card, interval):
    if interval == "expired":
        return f"Your {cards.describe(card)} has expired"
    return f"Your {cards.describe(card)} expires soon ({card.exp_month:02d}/{card.exp_year})"


def send_reminder(card, interval, today=None):
    """E-mail the card's customer; False when the customer has no contact e-mail. The caller records and commits."""
    email, _ = cards.contact_email(card.customer_id)
    if not email:
        return False
    customer = db.session.get(Customer, card.customer_id)
    mail.send_plain_email([email], _subject(card, interval), _text(card, customer.customer_name, interval, today),
                          customer_id=card.customer_id, raise_errors=False)
    return True


def send_due_reminders(today=None):
    """Send each card's reminder for the interval it reached, once per card and interval. Returns the count sent."""
    today = today or utcnow().date()
    due = db.session.scalars(select(StripeCard).where(or_(_expired(today), _expiring_within(60, today)))
                             .order_by(StripeCard.card_id)).all()
    sent = 0
    for card in due:
        interval = interval_for(card, today)
        if interval is None or db.session.scalar(select(func.count()).select_from(CardReminder).where(
                CardReminder.card_id == card.card_id, CardReminder.interval == interval)):
            continue
        if _expired_long_ago(card, today, interval):
            continue
        if send_reminder(card, interval, today):
            db.session.add(CardReminder(card_id=card.card_id, interval=interval))
            db.session.commit()
            sent += 1
    return sent


def _expired_long_ago(card, today, interval):
    """An "expired" notice is for a card that just expired, not for one that expired years before it was saved."""
    return interval == "expired" and cards.days_until_expiry(card, today) < -31


def notify(data):
    """Send the reminder now for the chosen cards (Notify / "Send Reminder Emails"), whatever was sent before."""
    check = Checker(data)
    check.reject_unknown(("card_ids",))
    raw = data.get("card_ids")
    if not isinstance(raw, list) or not raw or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0
                                                       for i in raw):
        check.error("card_ids", "must be a non-empty list of card ids")
    check.done()
    today = utcnow().date()
    sent, skipped = [], []
    for card_id in dict.fromkeys(raw):
        card = db.session.get(StripeCard, card_id)
        if card is None:
            skipped.append({"card_id": card_id, "reason": "not found"})
            continue
        interval = interval_for(card, today) or "60"
        if send_reminder(card, interval, today):
            sent.append(card_id)
        else:
            skipped.append({"card_id": card_id, "reason": "no contact e-mail"})
    db.session.commit()
    return {"sent": sent, "skipped": skipped}
