"""Inventory items and their templates: SIMs, numbers, CPEs, IP blocks (spec 02 §4, spec 06 §4)."""
from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnicrm.common.address import PostalAddress
from omnicrm.db import Base, Money, UTCDateTime, utcnow

ITEMTEXT_FIELDS = tuple(f"itemtext{i}" for i in range(1, 21))
LABEL_FIELDS = tuple(f"{name}_label" for name in ITEMTEXT_FIELDS)

# The one English state set (docs/decisions.md, products and inventory); Spanish and other spellings are rejected.
ITEM_STATES = ("New", "In Transit", "In Stock", "Assigned", "In Use", "Used", "Internal Use", "Damaged",
               "Out of Service", "Decommissioned", "Lost", "Stolen", "Quarantined")
# A released phone number waits out the porting period before it can be sold again (spec 06 §12).
QUARANTINED = "Quarantined"
# Only these may be picked in the inventory selector and assigned to a customer/service.
FREE_STATES = ("New", "In Stock")
# States that mean "held by a customer or service": they need a customer_id or service_id.
HELD_STATES = ("Assigned", "In Use")


class InventoryTemplate(Base):
    __tablename__ = "Inventory_Template"
    inventory_template_id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(150), unique=True)
    icon: Mapped[str | None] = mapped_column(String(100))
    wholesale_cost = mapped_column(Money(), default=0)
    retail_cost = mapped_column(Money(), default=0)
    allow_staff_dropdown: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_customer_dropdown: Mapped[bool] = mapped_column(Boolean, default=False)
    # itemtext field names whose values are secrets (Ki, OPc, Wi-Fi keys): encrypted at rest, masked in lists,
    # never logged, shown in clear only to holders of view_inventory_secrets.
    secret_fields = mapped_column(JSON, default=list)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


for _i in range(1, 21):
    setattr(InventoryTemplate, f"itemtext{_i}_label", mapped_column(String(100)))


class Inventory(PostalAddress, Base):
    __tablename__ = "Inventory"
    __table_args__ = (UniqueConstraint("inventory_template_id", "itemtext1"),)
    inventory_id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(150), index=True)
    inventory_template_id: Mapped[int] = mapped_column(
        ForeignKey("Inventory_Template.inventory_template_id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("Customer.customer_id", ondelete="SET NULL"),
                                                    index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("Service.service_id", ondelete="SET NULL"),
                                                   index=True)
    item_location: Mapped[str | None] = mapped_column(String(255), index=True)
    item_state: Mapped[str] = mapped_column(String(30), default="New", index=True)
    # Until when a Quarantined item (a released number) stays out of stock; then the quarantine job frees it.
    quarantine_until = mapped_column(UTCDateTime, index=True)
    itemtext1: Mapped[str] = mapped_column(String(255), index=True)  # the primary identifier (ICCID, MSISDN, MAC)
    wholesale_cost = mapped_column(Money(), default=0)
    retail_cost = mapped_column(Money(), default=0)
    sold_date = mapped_column(UTCDateTime)
    management_url: Mapped[str | None] = mapped_column(String(500))
    management_username: Mapped[str | None] = mapped_column(String(150))
    management_password: Mapped[str | None] = mapped_column(Text)  # Fernet token, see inventory/secrets.py
    config_content: Mapped[str | None] = mapped_column(Text)
    config_file_path: Mapped[str | None] = mapped_column(String(500))
    inventory_notes: Mapped[str | None] = mapped_column(Text)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    template = relationship(InventoryTemplate, lazy="joined")


for _i in range(2, 21):
    # Secret values are stored as Fernet tokens (~140 characters for a 32-hex-digit Ki).
    setattr(Inventory, f"itemtext{_i}", mapped_column(String(255)))
