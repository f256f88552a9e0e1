"""Stored cards (Stripe PaymentMethod references only), the Stripe Customer of each OmniCRM customer, card payment
attempts (our own idempotency: localstripe and a network retry must never charge twice), processed webhook events
and sent expiry reminders."""
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, Money, UTCDateTime, utcnow


class StripeCustomer(Base):
    """The one Stripe Customer of an OmniCRM customer, created with its first card."""
    __tablename__ = "Stripe_Customer"
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"),
                                             primary_key=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    created = mapped_column(UTCDateTime, default=utcnow)


class StripeCard(Base):
    """A saved card: brand, last 4, expiry and the PaymentMethod id; never the number or CVC."""
    __tablename__ = "Customer_Stripe_Card"
    card_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"), index=True)
    customer_stripe_id: Mapped[str] = mapped_column(String(255), unique=True)  # the pm_... id (spec's name)
    brand: Mapped[str | None] = mapped_column(String(30))
    last4: Mapped[str | None] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(Integer)
    exp_year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    nickname: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(default=False)
    # customer_id while this card is the default, else NULL: unique, so the database keeps one default per customer.
    default_of: Mapped[int | None] = mapped_column(Integer, unique=True)
    created = mapped_column(UTCDateTime, default=utcnow, index=True)


class StripePayment(Base):
    """One attempt to take money by card for a purpose ("invoice-12", "charge-<key>").

    `active_purpose` is the purpose while the attempt is in progress, waiting for 3-D Secure or succeeded, and NULL
    once it failed: unique, so a second concurrent or repeated request for the same purpose cannot start another
    charge. It is committed before Stripe is called."""
    __tablename__ = "Stripe_Payment"
    payment_id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(120), index=True)
    active_purpose: Mapped[str | None] = mapped_column(String(120), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(150))
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("Invoice.invoice_id", ondelete="SET NULL"), index=True)
    card_id: Mapped[int | None] = mapped_column(Integer)
    amount = mapped_column(Money(), default=0)
    currency: Mapped[str] = mapped_column(String(3))
    # pending (Stripe being called), requires_action (3-D Secure), succeeded, declined, error, refunded
    status: Mapped[str] = mapped_column(String(20), default="pending")
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    failure: Mapped[str | None] = mapped_column(String(500))
    transaction_id: Mapped[int | None] = mapped_column(Integer)  # what was recorded when it succeeded
    payment_transaction_id: Mapped[int | None] = mapped_column(Integer)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """A webhook event already applied: the same event delivered again changes nothing."""
    __tablename__ = "Stripe_Event"
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    received = mapped_column(UTCDateTime, default=utcnow)


class CardReminder(Base):
    """An expiry reminder sent for a card at one interval ("60", "30", "7", "expired")."""
    __tablename__ = "Stripe_Card_Reminder"
    __table_args__ = (UniqueConstraint("card_id", "interval", name="uq_card_reminder_interval"),)
    reminder_id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("Customer_Stripe_Card.card_id", ondelete="CASCADE"), index=True)
    interval: Mapped[str] = mapped_column(String(10))
    sent = mapped_column(UTCDateTime, default=utcnow)
