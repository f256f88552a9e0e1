"""Hotspot top-ups: one row per Stripe PaymentIntent used on the public top-up portal (spec 05 §10.7).

Revision ID: 0004_topup
Revises: 0004_billmail
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_topup"
down_revision = "0004_billmail"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hotspot_topup",
        sa.Column("hotspot_topup_id", sa.Integer(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=False),
        sa.Column("service_uuid", sa.String(length=255), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("imsi", sa.String(length=32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("topup_amount", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provision_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("refund_reference", sa.String(length=255), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("requesting_ip", sa.String(length=64), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.Column("last_modified", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["Customer.customer_id"],
                                name=op.f("fk_hotspot_topup_customer_id_Customer"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["service_id"], ["Service.service_id"],
                                name=op.f("fk_hotspot_topup_service_id_Service"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("hotspot_topup_id", name=op.f("pk_hotspot_topup")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_hotspot_topup_payment_intent_id")),
    )
    with op.batch_alter_table("hotspot_topup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotspot_topup_service_uuid"), ["service_uuid"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotspot_topup_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotspot_topup_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotspot_topup_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotspot_topup_created"), ["created"], unique=False)


def downgrade():
    op.drop_table("hotspot_topup")
