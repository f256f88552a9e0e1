"""account security (issue #11): login sessions, e-mail verification links, one-use temporary passwords

Revision ID: 0002_account_security
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_account_security"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "User_Session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.Column("last_used", sa.DateTime(), nullable=True),
        sa.Column("expires", sa.DateTime(), nullable=True),
        sa.Column("ended", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["User.id"], name=op.f("fk_User_Session_user_id_User"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_User_Session")),
    )
    with op.batch_alter_table("User_Session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_User_Session_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_User_Session_ended"), ["ended"], unique=False)

    op.create_table(
        "Email_Verification_Token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=True),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["User.id"], name=op.f("fk_Email_Verification_Token_user_id_User"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_Email_Verification_Token")),
    )
    with op.batch_alter_table("Email_Verification_Token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_Email_Verification_Token_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("User", schema=None) as batch_op:
        batch_op.add_column(sa.Column("temporary_password_used_at", sa.DateTime(), nullable=True))
        batch_op.drop_column("tokens_valid_after")  # replaced by ending User_Session rows


def downgrade():
    with op.batch_alter_table("User", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tokens_valid_after", sa.DateTime(), nullable=True))
        batch_op.drop_column("temporary_password_used_at")
    with op.batch_alter_table("Email_Verification_Token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_Email_Verification_Token_user_id"))
    op.drop_table("Email_Verification_Token")
    with op.batch_alter_table("User_Session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_User_Session_ended"))
        batch_op.drop_index(batch_op.f("ix_User_Session_user_id"))
    op.drop_table("User_Session")
