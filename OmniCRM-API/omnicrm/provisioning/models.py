"""Provisioning jobs and their task-by-task events (spec 02 §6.5, spec 04 §7-8)."""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnicrm.db import Base, UTCDateTime, utcnow

# provisioning_status values: 0 success, 1 running, 2 failed (events also use 3: skipped/unreachable).
STATUS_SUCCESS, STATUS_RUNNING, STATUS_FAILED, STATUS_SKIPPED = 0, 1, 2, 3


class Provision(Base):
    __tablename__ = "Provision"
    # The home dashboard counts failed jobs of the last 24 h: status then time, without walking every failure ever.
    __table_args__ = (Index("ix_Provision_status_created", "provisioning_status", "created"),)
    provision_id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("Product.product_id", ondelete="SET NULL"),
                                                   index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("Customer.customer_id", ondelete="SET NULL"),
                                                    index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("Service.service_id", ondelete="SET NULL"),
                                                   index=True)
    provisioning_play: Mapped[str] = mapped_column(String(255))
    playbook_description: Mapped[str | None] = mapped_column(String(255))
    # The merged run variables as JSON, without the job's token (minted when the run starts); every read
    # through the API, events or e-mail is redacted.
    provisioning_json_vars: Mapped[str | None] = mapped_column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql"))
    provisioning_status: Mapped[int] = mapped_column(Integer, default=STATUS_RUNNING, index=True)
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    initiating_user: Mapped[int | None] = mapped_column(ForeignKey("User.id", ondelete="SET NULL"))
    parent_provision_id: Mapped[int | None] = mapped_column(
        ForeignKey("Provision.provision_id", ondelete="SET NULL"))
    job_id: Mapped[str | None] = mapped_column(String(64))
    # The X-Request-ID of the request that created the job: the run's log lines carry it too.
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("Provision.provision_id", ondelete="SET NULL"))
    # Written by the running job every few seconds; a running job whose heartbeat stops is failed by the reaper.
    heartbeat = mapped_column(UTCDateTime)
    finished = mapped_column(UTCDateTime)
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", lazy="joined", viewonly=True)
    product = relationship("Product", lazy="joined", viewonly=True)
    events = relationship("ProvisionEvent", order_by="ProvisionEvent.event_number", lazy="selectin",
                          cascade="all, delete-orphan")


class ProvisionEvent(Base):
    __tablename__ = "Provision_Event"
    provision_event_id: Mapped[int] = mapped_column(primary_key=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("Provision.provision_id", ondelete="CASCADE"),
                                              index=True)
    event_name: Mapped[str] = mapped_column(String(500))
    event_number: Mapped[int] = mapped_column(Integer)
    provisioning_status: Mapped[int] = mapped_column(Integer)
    provisioning_result_json: Mapped[str | None] = mapped_column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql"))
    created = mapped_column(UTCDateTime, default=utcnow)
