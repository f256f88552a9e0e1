"""Operations: the request id that created a provisioning job, so its log lines can be traced to the request.

Revision ID: 0004_ops
Revises: 0003_invoices
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_ops"
down_revision = "0003_invoices"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("Provision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_Provision_request_id"), ["request_id"], unique=False)


def downgrade():
    with op.batch_alter_table("Provision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_Provision_request_id"))
        batch_op.drop_column("request_id")
