"""The append-only activity log: who changed what, when, on which customer (spec 04 §17)."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, UTCDateTime, utcnow


class ActivityLog(Base):
    __tablename__ = "Activity_Log"
    __table_args__ = (Index("ix_Activity_Log_customer_created", "customer_id", "created"),)
    activity_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("Customer.customer_id", ondelete="SET NULL"))
    entity_type: Mapped[str] = mapped_column(String(50), index=True)  # customer, contact, site, service, ...
    entity_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(30), index=True)  # create, update, delete, status, ...
    description: Mapped[str] = mapped_column(String(1000))
    changes: Mapped[str | None] = mapped_column(Text)  # JSON {field: {"before": .., "after": ..}}
    user_id: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(255))  # "user:alice@x", "api_key:Billing sync", "ip:10.0.0.5"
    impersonator_id: Mapped[int | None] = mapped_column(Integer)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
