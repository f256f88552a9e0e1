"""Every e-mail the CRM sends, or would send when Mailjet is not configured (the recorded outbox)."""
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base, UTCDateTime, utcnow

# failed: Mailjet refused or was unreachable; retried by `omnicrm send-mail-outbox` while next_attempt_at is set.
# queued: written by a batch sender (bill run), sent by the same command. sending: claimed by one run
# (next_attempt_at is then the claim's lease); given_up: retries exhausted.
COMMUNICATION_STATUSES = ("sent", "recorded", "queued", "failed", "sending", "given_up")


class Communication(Base):
    __tablename__ = "Communication"
    communication_id: Mapped[int] = mapped_column(primary_key=True)
    # One of the mailjet.<key> template blocks; NULL for plain text notices (send_plain_email).
    template_key: Mapped[str | None] = mapped_column(String(100), index=True)
    template_id: Mapped[int | None] = mapped_column(Integer)
    from_email: Mapped[str] = mapped_column(String(255))
    from_name: Mapped[str | None] = mapped_column(String(255))
    to_email: Mapped[str] = mapped_column(String(1000))  # comma-separated recipient addresses
    subject: Mapped[str] = mapped_column(String(500), default="")
    variables: Mapped[str | None] = mapped_column(Text)  # JSON; secret values (reset links) stored as "***"
    text_part: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[str | None] = mapped_column(Text)  # JSON list of file names (content is not kept)
    status: Mapped[str] = mapped_column(String(20), index=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("Customer.customer_id", ondelete="SET NULL"),
                                                    index=True)
    created = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # sends tried so far
    next_attempt_at = mapped_column(UTCDateTime, index=True)  # NULL: never retried (sent, given up, secret)
    # The invoice an invoice e-mail carries: its PDF is rendered again when the e-mail is retried.
    invoice_id: Mapped[int | None] = mapped_column(Integer, index=True)
