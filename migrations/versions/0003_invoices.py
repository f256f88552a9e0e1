"""Invoices: the negative transaction that records a manual payment of an invoice.

Revision ID: 0003_invoices
Revises: 0002_charging
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_invoices"
down_revision = "0002_charging"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("Invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_transaction_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("Invoice", schema=None) as batch_op:
        batch_op.drop_column("payment_transaction_id")
