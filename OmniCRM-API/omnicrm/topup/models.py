"""`hotspot_topup`: one row per PaymentIntent used for a top-up (spec 05 §10.7). The unique payment_intent_id is
what makes a PaymentIntent usable once, even for two requests racing each other."""
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, Money, UTCDateTime, utcnow

# Pending: provisioning running; Success; Failed: provisioning failed and the refund could not be made (staff must
# refund by hand); Refunded: provisioning failed and the payment was refunded.
HOTSPOT_STATUSES = ("Pending", "Success", "Failed", "Refunded")


class HotspotTopup(Base):
    __tablename__ = "hotspot_topup"
    hotspot_topup_id: Mapped[int] = mapped_column(primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    service_uuid: Mapped[str] = mapped_column(String(255), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("Service.service_id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("Customer.customer_id", ondelete="SET NULL"),
                                                    index=True)
    imsi: Mapped[str] = mapped_column(String(32))
    days: Mapped[int] = mapped_column(Integer)
    topup_amount = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="Pending", index=True)
    provision_id: Mapped[int | None] = mapped_column(Integer)
    invoice_id: Mapped[int | None] = mapped_column(Integer)
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    refund_reference: Mapped[str | None] = mapped_column(String(255))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    requesting_ip: Mapped[str | None] = mapped_column(String(64))
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
