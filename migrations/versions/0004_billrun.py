"""Bill run: the unique charge key on transactions, the bill-run period on invoices (one per customer and month)
and the open-invoice index behind amount owed / overdue.

Revision ID: 0004_billrun
Revises: 0004_portal
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_billrun"
down_revision = "0004_portal"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("Transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("charge_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_Transaction_charge_key", ["charge_key"])
    with op.batch_alter_table("Invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bill_run_period", sa.String(length=7), nullable=True))
        batch_op.create_unique_constraint("uq_Invoice_bill_run_period_customer_id", ["bill_run_period", "customer_id"])
        batch_op.create_index("ix_Invoice_open_customer", ["paid", "void", "customer_id", "due_date", "retail_cost"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("Invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_Invoice_open_customer")
        batch_op.drop_constraint("uq_Invoice_bill_run_period_customer_id", type_="unique")
        batch_op.drop_column("bill_run_period")
    with op.batch_alter_table("Transaction", schema=None) as batch_op:
        batch_op.drop_constraint("uq_Transaction_charge_key", type_="unique")
        batch_op.drop_column("charge_key")
