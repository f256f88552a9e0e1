"""Cell Broadcast: an in-flight update of an approval-guarded alert is held as a pending update (who proposed it,
when) until a second person approves it with their own TOTP code (issue 19, two-person rule).

Revision ID: 0005_cbc_update_approval
Revises: 0004_dashboard
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_cbc_update_approval"
down_revision = "0004_dashboard"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cbc", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_update", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pending_update_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pending_update_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_cbc_pending_update_by_User"), "User", ["pending_update_by"],
                                    ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("cbc", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cbc_pending_update_by_User"), type_="foreignkey")
        batch_op.drop_column("pending_update_at")
        batch_op.drop_column("pending_update_by")
        batch_op.drop_column("pending_update")
