"""Cell Broadcast (spec 05 §8): the `cbc` message with its per-language bodies and tracking areas, the audit history
of every status change, and the saved targeting zones."""
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnicrm.db import Base, UTCDateTime, utcnow

CBC_STATUSES = ("draft", "pending_approval", "active", "expired", "cancelled", "failed")


class CbcMessage(Base):
    __tablename__ = "cbc"
    cbc_message_id: Mapped[int] = mapped_column(primary_key=True)
    cbc_unique_id: Mapped[str] = mapped_column(String(36), unique=True)
    message_identifier: Mapped[str] = mapped_column(String(5), index=True)
    category: Mapped[str] = mapped_column(String(20))
    repetition_period: Mapped[int] = mapped_column(Integer)
    number_of_broadcasts: Mapped[int] = mapped_column(Integer)
    warning_period_sec: Mapped[int] = mapped_column(Integer)
    channel_indicator: Mapped[str] = mapped_column(String(20), default="basic")
    template: Mapped[str | None] = mapped_column(String(50))
    all_cells: Mapped[bool] = mapped_column(Boolean, default=False)  # no tracking areas: every cell broadcasts
    status: Mapped[str] = mapped_column(String(20), index=True)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    initiating_user: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"), index=True)
    approving_user: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"))
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    approved_at = mapped_column(UTCDateTime)
    sent_at = mapped_column(UTCDateTime)  # last time the CBC accepted it
    expires_at = mapped_column(UTCDateTime)  # sent_at + warningPeriodSec
    # What the CBC still has to be told when a send failed ("send"); the retry job picks these up.
    pending_action: Mapped[str | None] = mapped_column(String(10), index=True)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_at = mapped_column(UTCDateTime)
    cbc_ack: Mapped[str | None] = mapped_column(Text)  # JSON acknowledgement of the CBC's last accepted call
    last_error: Mapped[str | None] = mapped_column(Text)
    # An in-flight update of an approval-guarded alert waiting for a second person (JSON {values, changes}): the
    # alert keeps broadcasting its current version until another approver approves it with their own TOTP code.
    pending_update: Mapped[str | None] = mapped_column(Text)
    pending_update_by: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"))
    pending_update_at = mapped_column(UTCDateTime)

    localized_messages = relationship("CbcLocalizedMessage", cascade="all, delete-orphan",
                                      order_by="CbcLocalizedMessage.position", lazy="selectin")
    tracking_areas = relationship("CbcTrackingArea", cascade="all, delete-orphan",
                                  order_by="CbcTrackingArea.position", lazy="selectin")


class CbcLocalizedMessage(Base):
    __tablename__ = "cbc_localized_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    cbc_message_id: Mapped[int] = mapped_column(ForeignKey("cbc.cbc_message_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    language: Mapped[str] = mapped_column(String(10))
    message_body: Mapped[str] = mapped_column(Text)


class CbcTrackingArea(Base):
    __tablename__ = "cbc_tracking_area"
    id: Mapped[int] = mapped_column(primary_key=True)
    cbc_message_id: Mapped[int] = mapped_column(ForeignKey("cbc.cbc_message_id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    tracking_area: Mapped[str] = mapped_column(String(20))
    cell_id: Mapped[str | None] = mapped_column(String(20))
    operator: Mapped[str] = mapped_column(String(7))
    rat_type: Mapped[str] = mapped_column(String(10))
    zone_id: Mapped[int | None] = mapped_column(Integer)  # the saved zone it came from, if any


class CbcHistory(Base):
    """Who did what to an alert and when (created, submitted, approved, rejected, updated, sent, failed,
    cancelled, expired); never deleted."""
    __tablename__ = "cbc_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    cbc_message_id: Mapped[int] = mapped_column(ForeignKey("cbc.cbc_message_id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(255))
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[str | None] = mapped_column(Text)  # JSON
    created = mapped_column(UTCDateTime, default=utcnow, index=True)


class CbcZone(Base):
    """A saved target area: its shape (polygon, circle or rectangle, WGS84) and the tracking areas it covers."""
    __tablename__ = "cbc_zone"
    zone_id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    shape: Mapped[str] = mapped_column(String(10))
    coordinates: Mapped[str] = mapped_column(Text)  # JSON: polygon [{lat,lng}...], circle {center,radius_m}, ...
    tracking_areas: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {tracking_area,operator,...}
    created_by: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"))
    created = mapped_column(UTCDateTime, default=utcnow)
    updated = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
