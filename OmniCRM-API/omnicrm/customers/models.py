"""The customer and what hangs off it: contacts, sites, attributes, tags (spec 02 §6.5, spec 03 §3)."""
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from omnicrm.common.address import PostalAddress
from omnicrm.db import Base, UTCDateTime, utcnow

CUSTOMER_STATUSES = ("Open", "Suspended", "Closed", "Archived")
ACCOUNT_TYPES = ("Individual", "Business")
PAYMENT_TYPES = ("prepaid", "postpaid")
CONTACT_TYPES = ("Primary", "Billing", "Technical")


# Status changes the API allows (spec 02 §6.5 names the four statuses, spec 03 §5.3 the archive/restore rule).
# Archived is entered only by deleting (archiving) and left only by restoring.
STATUS_TRANSITIONS = {
    "Open": ("Suspended", "Closed"),
    "Suspended": ("Open", "Closed"),
    "Closed": ("Open",),
    "Archived": (),
}


class Customer(Base):
    __tablename__ = "Customer"
    # The paginated list filters by status and sorts by a column: these keep the first pages index-only.
    __table_args__ = (Index("ix_Customer_status_name", "customer_status", "customer_name"),
                      Index("ix_Customer_status_created", "customer_status", "created"))
    customer_id: Mapped[int] = mapped_column(primary_key=True)
    customer_name: Mapped[str] = mapped_column(String(255), index=True)
    customer_account_type: Mapped[str] = mapped_column(String(20), default="Individual", index=True)
    customer_status: Mapped[str] = mapped_column(String(20), default="Open", index=True)
    customer_payment_type: Mapped[str] = mapped_column(String(20), default="postpaid", index=True)
    customer_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    tax_identifier: Mapped[str | None] = mapped_column(String(64))
    contract_start_date = mapped_column(UTCDateTime)
    contract_end_date = mapped_column(UTCDateTime)
    customer_notes: Mapped[str | None] = mapped_column(Text)
    status_before_archive: Mapped[str | None] = mapped_column(String(20))
    archived_at = mapped_column(UTCDateTime)
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contacts = relationship("Contact", back_populates="customer", lazy="selectin",
                            order_by="Contact.contact_id", cascade="all, delete-orphan")
    sites = relationship("Site", back_populates="customer", lazy="selectin",
                         order_by="Site.site_id", cascade="all, delete-orphan")
    attributes = relationship("CustomerAttribute", lazy="selectin", order_by="CustomerAttribute.attribute_id",
                              cascade="all, delete-orphan")
    tags = relationship("CustomerTag", lazy="selectin", order_by="CustomerTag.tag_id",
                        cascade="all, delete-orphan")


class Contact(Base):
    __tablename__ = "Customer_Contact"
    contact_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"), index=True)
    contact_firstname: Mapped[str] = mapped_column(String(100))
    contact_lastname: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str | None] = mapped_column(String(255), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    contact_phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)  # normalised for search
    contact_types: Mapped[str] = mapped_column(String(100), default="Primary")  # comma-separated CONTACT_TYPES
    contact_notes: Mapped[str | None] = mapped_column(Text)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer = relationship(Customer, back_populates="contacts")


class Site(PostalAddress, Base):
    __tablename__ = "Customer_Site"
    site_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"), index=True)
    site_name: Mapped[str] = mapped_column(String(255))
    address_notes: Mapped[str | None] = mapped_column(Text)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer = relationship(Customer, back_populates="sites")


class CustomerAttribute(Base):
    __tablename__ = "Customer_Attribute"
    # One value per name and customer: PUT /attribute/ upserts on (customer_id, attribute_name).
    __table_args__ = (Index("ix_Customer_Attribute_name_value", "attribute_name", "attribute_value"),
                      UniqueConstraint("customer_id", "attribute_name"))
    attribute_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"), index=True)
    attribute_name: Mapped[str] = mapped_column(String(100))
    attribute_value: Mapped[str] = mapped_column(String(150))
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CustomerTag(Base):
    __tablename__ = "Customer_Tag"
    # The list's tag filter probes (tag_text, customer_id) once per candidate customer while it walks a sorted
    # customer index, instead of collecting every customer holding a common tag and sorting them.
    __table_args__ = (Index("ix_Customer_Tag_text_customer", "tag_text", "customer_id"),)
    tag_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id", ondelete="CASCADE"), index=True)
    tag_text: Mapped[str] = mapped_column(String(100))
    tag_hex_color: Mapped[str] = mapped_column(String(6))
    tag_link: Mapped[str | None] = mapped_column(String(500))
    tag_active_date = mapped_column(UTCDateTime)
    tag_deactivate_date = mapped_column(UTCDateTime)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CustomerCount(Base):
    """How many customers exist per (status, account type, payment type), kept by the customer service.

    The paginated list reports `total_items`; counting 900,000 Open rows on every page costs ~100 ms at 1M
    customers, while summing these few rows costs nothing. Filters beyond these three columns count for real.
    """

    __tablename__ = "Customer_Count"
    customer_status: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer_account_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    customer_payment_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    customers: Mapped[int] = mapped_column(Integer, default=0)


from omnicrm.customers import counts  # noqa: E402,F401 - registers the Customer_Count maintenance
