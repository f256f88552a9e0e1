"""Dashboard running totals (issue 16): invoices per month/paid/void, services per status, stock per template and
state, each kept by triggers on its source table and backfilled from the rows; an index for failed jobs per day.

Revision ID: 0004_dashboard
Revises: 0004_billrun
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_dashboard"
down_revision = "0004_billrun"
branch_labels = None
depends_on = None


def upgrade():
    from omnicrm.dashboard.models import recount_statements, trigger_statements
    op.create_table(
        "Dashboard_Invoice_Total",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False, autoincrement=False),
        sa.Column("void", sa.Boolean(), nullable=False, autoincrement=False),
        sa.Column("invoices", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.PrimaryKeyConstraint("month", "paid", "void"),
    )
    op.create_table(
        "Dashboard_Service_Count",
        sa.Column("service_status", sa.String(length=30), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("service_status"),
    )
    op.create_table(
        "Dashboard_Stock_Count",
        sa.Column("inventory_template_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("item_state", sa.String(length=30), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("inventory_template_id", "item_state"),
    )
    op.create_index("ix_Provision_status_created", "Provision", ["provisioning_status", "created"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in recount_statements() + trigger_statements(dialect):
        op.execute(statement)


def downgrade():
    from omnicrm.dashboard.models import drop_trigger_statements
    for statement in drop_trigger_statements():
        op.execute(statement)
    op.drop_index("ix_Provision_status_created", table_name="Provision")
    op.drop_table("Dashboard_Stock_Count")
    op.drop_table("Dashboard_Service_Count")
    op.drop_table("Dashboard_Invoice_Total")
