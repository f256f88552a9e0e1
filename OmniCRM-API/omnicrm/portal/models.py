"""Self-care portal records: impersonation sessions (spec 05 §7.7), subscribers' notification preferences and the
notifications already sent (each event once, spec 07 §6.9)."""
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, UTCDateTime, utcnow


class ImpersonationLog(Base):
    """One staff member acting as a subscriber: who, as whom, why, from when to when (never hidden, never deleted)."""

    __tablename__ = "Impersonation_Log"
    id: Mapped[int] = mapped_column(primary_key=True)
    impersonating_user_id: Mapped[int] = mapped_column(ForeignKey("User.id"), index=True)
    target_user_id: Mapped[int] = mapped_column(ForeignKey("User.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(500))
    impersonation_start = mapped_column(UTCDateTime, default=utcnow, index=True)
    impersonation_end = mapped_column(UTCDateTime)
    impersonation_duration: Mapped[int | None] = mapped_column(Integer)  # seconds, set when it ends
    expires = mapped_column(UTCDateTime)  # the time limit (security.impersonation_minutes)
    session_id: Mapped[int | None] = mapped_column(Integer)  # the impersonation's own login session
    staff_session_id: Mapped[int | None] = mapped_column(Integer)  # the staff session it returns to
    end_reason: Mapped[str | None] = mapped_column(String(30))  # stopped, replaced, expired


class NotificationPreference(Base):
    """A subscriber's alert settings; without a row the defaults apply (e-mail on, low balance at 10 %)."""

    __tablename__ = "Portal_Notification_Preference"
    user_id: Mapped[int] = mapped_column(ForeignKey("User.id", ondelete="CASCADE"), primary_key=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    low_balance_percent: Mapped[int] = mapped_column(Integer, default=10)
    billing: Mapped[bool] = mapped_column(Boolean, default=True)
    usage: Mapped[bool] = mapped_column(Boolean, default=True)
    service: Mapped[bool] = mapped_column(Boolean, default=True)


class PortalNotification(Base):
    """An alert e-mail already sent: `event_key` (kind + record + threshold) makes every event go out once."""

    __tablename__ = "Portal_Notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)  # low_balance, service_expiry, unpaid_invoice
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    communication_id: Mapped[int | None] = mapped_column(Integer)
    created = mapped_column(UTCDateTime, default=utcnow)
