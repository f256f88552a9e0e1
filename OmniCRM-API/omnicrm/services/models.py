"""A service: one product instance for one customer; its money and allowances live in CGRateS (spec 04 §6)."""
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnicrm.db import Base, Money, UTCDateTime, utcnow

SERVICE_STATUSES = ("Active", "Inactive", "Suspended", "Pending Cancellation", "Deactivated")
# Statuses after which the service is over: the deactivation date is stamped when it is reached.
ENDED_STATUSES = ("Inactive", "Deactivated")
# Spec 06 §11.2: cancel requested or renewal failed; still usable until the grace period ends, then deprovisioned.
PENDING_CANCELLATION = "Pending Cancellation"

# Spec 04 §6.1: the only fields PATCH /crm/service/{id} may change.
EDITABLE_FIELDS = (
    "service_name", "service_type", "service_status", "service_notes", "retail_cost", "wholesale_cost",
    "service_billed", "service_taxable", "service_visible_to_customer", "service_usage_visible_to_customer",
    "service_active_date", "service_deactivate_date", "contract_end_date", "icon", "promo_code", "site_id",
)
READ_ONLY_FIELDS = (
    "service_id", "customer_id", "product_id", "service_uuid", "service_provisioned_date", "provisioning_play",
    "provisioning_json_vars", "deprovisioning_play", "deprovisioning_json_vars", "bundled_parent", "invoiced",
    "created", "last_modified", "grace_period_end", "paused_action_plans",
)


class Service(Base):
    __tablename__ = "Service"
    service_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("Product.product_id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("Customer_Site.site_id", ondelete="SET NULL"),
                                                index=True)
    service_name: Mapped[str] = mapped_column(String(255), index=True)
    service_type: Mapped[str | None] = mapped_column(String(50), index=True)
    service_uuid: Mapped[str] = mapped_column(String(100), unique=True)
    icon: Mapped[str | None] = mapped_column(String(100))
    service_status: Mapped[str] = mapped_column(String(30), default="Active", index=True)
    service_provisioned_date = mapped_column(UTCDateTime)
    service_active_date = mapped_column(UTCDateTime, index=True)
    service_deactivate_date = mapped_column(UTCDateTime, index=True)
    contract_end_date = mapped_column(UTCDateTime)
    retail_cost = mapped_column(Money(), default=0)
    wholesale_cost = mapped_column(Money(), default=0)
    service_billed: Mapped[bool] = mapped_column(Boolean, default=True)
    service_taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    invoiced: Mapped[bool] = mapped_column(Boolean, default=False)
    promo_code: Mapped[str | None] = mapped_column(String(100))
    service_visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    service_usage_visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    provisioning_play: Mapped[str | None] = mapped_column(String(255))
    provisioning_json_vars: Mapped[str | None] = mapped_column(Text)
    deprovisioning_play: Mapped[str | None] = mapped_column(String(255))
    deprovisioning_json_vars: Mapped[str | None] = mapped_column(Text)
    bundled_parent: Mapped[int | None] = mapped_column(ForeignKey("Service.service_id", ondelete="SET NULL"),
                                                       index=True)
    service_notes: Mapped[str | None] = mapped_column(Text)
    # When a Pending Cancellation service is deprovisioned unless it is paid (spec 06 §11.2 grace period).
    grace_period_end = mapped_column(UTCDateTime, index=True)
    # The CGRateS ActionPlans taken off the service while it is not Active (JSON), re-created on reactivation.
    paused_action_plans: Mapped[str | None] = mapped_column(Text)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer = relationship("Customer", lazy="joined")
    product = relationship("Product", lazy="joined")
