"""Billing e-mails: outbox retries (attempts, next attempt, the invoice an e-mail carries) and the overdue
reminders already sent (one per invoice and step).

Revision ID: 0004_billmail
Revises: 0004_ops
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_billmail"
down_revision = "0004_ops"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("Communication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_Communication_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_Communication_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "Invoice_Reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("communication_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["Invoice.invoice_id"],
                                name=op.f("fk_Invoice_Reminder_invoice_id_Invoice"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_Invoice_Reminder")),
        sa.UniqueConstraint("invoice_id", "step", name=op.f("uq_Invoice_Reminder_invoice_id_step")),
    )
    with op.batch_alter_table("Invoice_Reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_Invoice_Reminder_invoice_id"), ["invoice_id"], unique=False)

    # An existing install's "OCS Callback" role also accepts the balance alert callbacks (new installs get it from
    # the default roles). Nothing happens where the role or the permission does not exist yet.
    op.execute(
        "INSERT INTO Role_Permission (role_id, permission_id) "
        "SELECT r.id, p.id FROM Role r, Permission p "
        "WHERE r.name = 'OCS Callback' AND p.name = 'create_communication' AND NOT EXISTS "
        "(SELECT 1 FROM Role_Permission rp WHERE rp.role_id = r.id AND rp.permission_id = p.id)")


def downgrade():
    with op.batch_alter_table("Invoice_Reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_Invoice_Reminder_invoice_id"))
    op.drop_table("Invoice_Reminder")
    with op.batch_alter_table("Communication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_Communication_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_Communication_next_attempt_at"))
        batch_op.drop_column("invoice_id")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
