"""Charging: the grace period end of a Pending Cancellation service, the ActionPlans paused while a service is not
Active, and the quarantine end of a released inventory item (numbers).

Revision ID: 0002_charging
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_charging"
down_revision = "0002_account_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("Service", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grace_period_end", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("paused_action_plans", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_Service_grace_period_end"), ["grace_period_end"], unique=False)
    with op.batch_alter_table("Inventory", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quarantine_until", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_Inventory_quarantine_until"), ["quarantine_until"], unique=False)


def downgrade():
    with op.batch_alter_table("Inventory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_Inventory_quarantine_until"))
        batch_op.drop_column("quarantine_until")
    with op.batch_alter_table("Service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_Service_grace_period_end"))
        batch_op.drop_column("paused_action_plans")
        batch_op.drop_column("grace_period_end")
