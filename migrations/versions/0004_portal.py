"""Self-care portal (issue #17): impersonation log, subscribers' notification preferences, alerts already sent,
subscribers' own API keys (Api_Key.owner_user_id).

Revision ID: 0004_portal
Revises: 0004_stripe
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_portal"
down_revision = "0004_stripe"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "Impersonation_Log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("impersonating_user_id", sa.Integer(), nullable=False),
        sa.Column("target_user_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("impersonation_start", sa.DateTime(), nullable=True),
        sa.Column("impersonation_end", sa.DateTime(), nullable=True),
        sa.Column("impersonation_duration", sa.Integer(), nullable=True),
        sa.Column("expires", sa.DateTime(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("staff_session_id", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(["impersonating_user_id"], ["User.id"],
                                name=op.f("fk_Impersonation_Log_impersonating_user_id_User")),
        sa.ForeignKeyConstraint(["target_user_id"], ["User.id"], name=op.f("fk_Impersonation_Log_target_user_id_User")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_Impersonation_Log")),
    )
    with op.batch_alter_table("Impersonation_Log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_Impersonation_Log_impersonating_user_id"), ["impersonating_user_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_Impersonation_Log_target_user_id"), ["target_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_Impersonation_Log_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_Impersonation_Log_impersonation_start"), ["impersonation_start"],
                              unique=False)

    op.create_table(
        "Portal_Notification_Preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column("low_balance_percent", sa.Integer(), nullable=False),
        sa.Column("billing", sa.Boolean(), nullable=False),
        sa.Column("usage", sa.Boolean(), nullable=False),
        sa.Column("service", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["User.id"], name=op.f("fk_Portal_Notification_Preference_user_id_User"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_Portal_Notification_Preference")),
    )

    op.create_table(
        "Portal_Notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("communication_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_Portal_Notification")),
        sa.UniqueConstraint("event_key", name=op.f("uq_Portal_Notification_event_key")),
    )
    with op.batch_alter_table("Portal_Notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_Portal_Notification_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_Portal_Notification_customer_id"), ["customer_id"], unique=False)

    with op.batch_alter_table("Api_Key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_Api_Key_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_Api_Key_owner_user_id_User"), "User", ["owner_user_id"], ["id"],
                                    ondelete="CASCADE")


def downgrade():
    with op.batch_alter_table("Api_Key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_Api_Key_owner_user_id_User"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_Api_Key_owner_user_id"))
        batch_op.drop_column("owner_user_id")
    op.drop_table("Portal_Notification")
    op.drop_table("Portal_Notification_Preference")
    op.drop_table("Impersonation_Log")
