"""Transactions, invoices and the invoice PDF cache (spec 07 §2, §4; spec 02 §2.7)."""
from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, Money, UTCDateTime, utcnow

TRANSACTION_TYPES = ("debit", "credit")
CREDIT_TYPES = ("Cash", "Card", "Bank Transfer")


class Invoice(Base):
    __tablename__ = "Invoice"
    invoice_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id"), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    start_date = mapped_column(UTCDateTime)
    end_date = mapped_column(UTCDateTime)
    due_date = mapped_column(UTCDateTime)
    retail_cost = mapped_column(Money(), default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    void: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method: Mapped[str | None] = mapped_column(String(50))
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    refund_reference: Mapped[str | None] = mapped_column(String(255))
    # The negative transaction recording a manual payment (spec 07 §2.12); no FK, so Invoice and Transaction
    # do not reference each other in a cycle.
    payment_transaction_id: Mapped[int | None] = mapped_column(Integer)
    # The transaction recording a card refund (reverses the payment transaction); not a line of the invoice either.
    refund_transaction_id: Mapped[int | None] = mapped_column(Integer)
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Transaction(Base):
    __tablename__ = "Transaction"
    transaction_id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("Customer.customer_id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("Service.service_id", ondelete="SET NULL"),
                                                   index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("Customer_Site.site_id", ondelete="SET NULL"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("Invoice.invoice_id", ondelete="SET NULL"),
                                                   index=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    transaction_type: Mapped[str] = mapped_column(String(10), default="debit")
    credit_type: Mapped[str | None] = mapped_column(String(30))
    retail_cost = mapped_column(Money(), default=0)  # signed: credits are stored negative
    wholesale_cost = mapped_column(Money(), default=0)
    tax_percentage = mapped_column(Numeric(6, 3), default=0)
    tax_amount = mapped_column(Money(), default=0)
    void: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_modified = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InvoicePdfCache(Base):
    __tablename__ = "Invoice_PDF_Cache"
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("Invoice.invoice_id", ondelete="CASCADE"), unique=True)
    pdf_data: Mapped[str] = mapped_column(Text().with_variant(mysql.LONGTEXT(), "mysql"))  # Base64
    filename: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(Integer, default=0)
    created = mapped_column(UTCDateTime, default=utcnow)
    last_accessed = mapped_column(UTCDateTime, default=utcnow)


class InvoiceReminder(Base):
    """One overdue reminder of an invoice: (invoice_id, step) is unique, so a reminder step is sent once even when
    two reminder runs overlap (the row is inserted, and committed, before the e-mail is sent)."""
    __tablename__ = "Invoice_Reminder"
    __table_args__ = (UniqueConstraint("invoice_id", "step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("Invoice.invoice_id", ondelete="CASCADE"), index=True)
    step: Mapped[int] = mapped_column(Integer)  # 0: first reminder after the due date, 1: one interval later...
    communication_id: Mapped[int | None] = mapped_column(Integer)
    created = mapped_column(UTCDateTime, default=utcnow)
