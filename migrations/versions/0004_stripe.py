"""Card payments through Stripe: stored cards, each customer's Stripe Customer, payment attempts (our own
idempotency), processed webhook events, sent expiry reminders; the refund transaction of an invoice.

Revision ID: 0004_stripe
Revises: 0004_cbc
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_stripe"
down_revision = "0004_cbc"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("Invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_transaction_id", sa.Integer(), nullable=True))

    op.create_table(
        "Stripe_Customer",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(255), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["Customer.customer_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
        sa.UniqueConstraint("stripe_customer_id"),
    )
    op.create_table(
        "Customer_Stripe_Card",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("customer_stripe_id", sa.String(255), nullable=False),
        sa.Column("brand", sa.String(30), nullable=True),
        sa.Column("last4", sa.String(4), nullable=True),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("nickname", sa.String(100), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("default_of", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["Customer.customer_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("card_id"),
        sa.UniqueConstraint("customer_stripe_id"),
        sa.UniqueConstraint("default_of"),
    )
    op.create_index("ix_Customer_Stripe_Card_customer_id", "Customer_Stripe_Card", ["customer_id"])
    op.create_index("ix_Customer_Stripe_Card_created", "Customer_Stripe_Card", ["created"])
    op.create_table(
        "Stripe_Payment",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(120), nullable=False),
        sa.Column("active_purpose", sa.String(120), nullable=True),
        sa.Column("idempotency_key", sa.String(150), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payment_intent_id", sa.String(255), nullable=True),
        sa.Column("failure", sa.String(500), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("payment_transaction_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.Column("last_modified", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["Customer.customer_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invoice_id"], ["Invoice.invoice_id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("payment_id"),
        sa.UniqueConstraint("active_purpose"),
    )
    op.create_index("ix_Stripe_Payment_purpose", "Stripe_Payment", ["purpose"])
    op.create_index("ix_Stripe_Payment_customer_id", "Stripe_Payment", ["customer_id"])
    op.create_index("ix_Stripe_Payment_invoice_id", "Stripe_Payment", ["invoice_id"])
    op.create_index("ix_Stripe_Payment_payment_intent_id", "Stripe_Payment", ["payment_intent_id"])
    op.create_table(
        "Stripe_Event",
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("received", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "Stripe_Card_Reminder",
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(10), nullable=False),
        sa.Column("sent", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["Customer_Stripe_Card.card_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("reminder_id"),
        sa.UniqueConstraint("card_id", "interval", name="uq_card_reminder_interval"),
    )
    op.create_index("ix_Stripe_Card_Reminder_card_id", "Stripe_Card_Reminder", ["card_id"])
    _grant("Provisioning", "view_customer_stripe_card")


def _grant(role, permission):
    """Job tokens read the customer's default card (the add-on play charges it): grant it to an existing role."""
    bind = op.get_bind()
    role_id = bind.execute(sa.text("SELECT id FROM Role WHERE name = :n"), {"n": role}).scalar()
    permission_id = bind.execute(sa.text("SELECT id FROM Permission WHERE name = :n"), {"n": permission}).scalar()
    if role_id is None or permission_id is None:
        return  # a new database: `omnicrm migrate` seeds the roles with it after the migrations
    held = bind.execute(sa.text("SELECT COUNT(*) FROM Role_Permission WHERE role_id = :r AND permission_id = :p"),
                        {"r": role_id, "p": permission_id}).scalar()
    if not held:
        bind.execute(sa.text("INSERT INTO Role_Permission (role_id, permission_id) VALUES (:r, :p)"),
                     {"r": role_id, "p": permission_id})


def downgrade():
    op.drop_table("Stripe_Card_Reminder")
    op.drop_table("Stripe_Event")
    op.drop_table("Stripe_Payment")
    op.drop_table("Customer_Stripe_Card")
    op.drop_table("Stripe_Customer")
    with op.batch_alter_table("Invoice", schema=None) as batch_op:
        batch_op.drop_column("refund_transaction_id")
