"""The product catalogue: templates that provisioning turns into services (spec 04 §2)."""
from sqlalchemy import JSON, Boolean, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, Money, UTCDateTime, utcnow

PRODUCT_CATEGORIES = ("standalone", "addon", "bundle", "promo")
AUTO_RENEW_CHOICES = ("prompt", "true", "false")


class Product(Base):
    __tablename__ = "Product"
    product_id: Mapped[int] = mapped_column(primary_key=True)
    product_name: Mapped[str] = mapped_column(String(255))
    product_slug: Mapped[str] = mapped_column(String(255), unique=True)
    category: Mapped[str] = mapped_column(String(20), index=True)
    service_type: Mapped[str | None] = mapped_column(String(50), index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(String(100))
    retail_cost = mapped_column(Money(), default=0)
    wholesale_cost = mapped_column(Money(), default=0)
    retail_setup_cost = mapped_column(Money(), default=0)
    wholesale_setup_cost = mapped_column(Money(), default=0)
    tax_percentage = mapped_column(Numeric(6, 3), default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    residential: Mapped[bool] = mapped_column(Boolean, default=True)
    business: Mapped[bool] = mapped_column(Boolean, default=True)
    customer_can_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    available_from = mapped_column(UTCDateTime)
    available_until = mapped_column(UTCDateTime)
    contract_days: Mapped[int] = mapped_column(Integer, default=0)
    auto_renew: Mapped[str] = mapped_column(String(10), default="false")
    allow_auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    terms: Mapped[str | None] = mapped_column(Text)
    # Lists are stored as real JSON lists, whatever spelling the caller used (spec 04 A4, products/lists.py).
    features_list = mapped_column(JSON, default=list)  # customer-visible bullet points
    provisioning_play: Mapped[str | None] = mapped_column(String(255))
    provisioning_json_vars: Mapped[str] = mapped_column(Text, default="{}")  # JSON object text, as given
    inventory_items_list = mapped_column(JSON, default=list)  # Inventory_Template names (exact)
    relies_on_list = mapped_column(JSON, default=list)  # product ids (int) and/or service types (str)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
