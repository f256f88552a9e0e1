"""The `omnicrm` command: serve, migrate, create the first admin, seed demo data, show the configuration."""
import json
import os
import sys

import click
from flask.cli import FlaskGroup, with_appcontext

from omnicrm.config import REPO_ROOT, ConfigError


def _create_app():
    from omnicrm import create_app
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """OmniCRM management commands (run `omnicrm run` to serve the API and console)."""


def upgrade_schema(database_url=None):
    """Bring the schema to the newest Alembic revision (tables only, no rows)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    alembic_cfg = AlembicConfig(str(REPO_ROOT / "alembic.ini"))
    alembic_cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    if database_url:
        alembic_cfg.attributes["database_url"] = database_url
    command.upgrade(alembic_cfg, "head")


def run_migrations(database_url=None):
    """Bring the schema to the newest Alembic revision and synchronise the permission catalogue."""
    from omnicrm import db
    from omnicrm.auth.permissions import sync_catalogue

    upgrade_schema(database_url)
    sync_catalogue(db.session)
    db.session.commit()


@main.command("migrate")
@with_appcontext
def migrate_command():
    """Create or upgrade the database schema and sync permissions and default roles."""
    from flask import current_app
    run_migrations(current_app.config["CRM"].database_url)
    click.echo("Database is up to date.")


@main.command("create-admin")
@click.option("--email", default=lambda: os.environ.get("OMNICRM_ADMIN_EMAIL", "admin@omnicrm.local"))
@click.option("--password", default=lambda: os.environ.get("OMNICRM_ADMIN_PASSWORD", "Admin123!"))
@click.option("--username", default=None)
@with_appcontext
def create_admin_command(email, password, username):
    """Create the first administrator (or reset its password when it exists)."""
    from omnicrm.seed import ensure_admin
    user, created = ensure_admin(email, password, username)
    click.echo(f"{'Created' if created else 'Updated'} admin {user.email}")


@main.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo telecom catalogue, inventory and customers (idempotent)."""
    from omnicrm.seed import seed_demo
    summary = seed_demo()
    click.echo("Demo data: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@main.command("rebuild-search-index")
@with_appcontext
def rebuild_search_index_command():
    """Recreate the global-search index from the records (after writes that bypassed the application)."""
    from omnicrm.utilities.search_index import rebuild
    written = rebuild(echo=click.echo)
    click.echo(f"Search index rebuilt: {sum(written.values())} tokens.")


@main.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit")
@with_appcontext
def worker_command(burst):
    """Run provisioning jobs from the Redis queue (start any number, on any machine)."""
    from omnicrm.provisioning.worker import run_worker
    run_worker(burst=burst)


@main.command("rotate-encryption-key")
@with_appcontext
def rotate_encryption_key_command():
    """Re-encrypt 2FA data and inventory secrets under the configured OMNICRM_ENCRYPTION_KEY; the previous key is
    read from OMNICRM_OLD_ENCRYPTION_KEY (an environment variable, so it stays out of the shell history)."""
    from omnicrm.auth.twofa import rotate_encryption_key
    from omnicrm.inventory import secrets
    old_key = os.environ.get("OMNICRM_OLD_ENCRYPTION_KEY")
    if not old_key:
        raise click.UsageError("Set OMNICRM_OLD_ENCRYPTION_KEY to the key the data is encrypted with now")
    users = rotate_encryption_key(old_key)
    items = secrets.rotate_key(old_key)
    click.echo(f"Re-encrypted under the configured encryption key: 2FA data of {users} user(s), secrets of "
               f"{items} inventory item(s)")


@main.command("lifecycle")
@with_appcontext
def lifecycle_command():
    """Deprovision services whose grace period is over and free numbers whose quarantine is over (cron-able; the
    embedded server and workers also run it every minute)."""
    from omnicrm.services.lifecycle import run_scheduled
    click.echo(run_scheduled())


@main.command("cbc-retry")
@with_appcontext
def cbc_retry_command():
    """Resend cell broadcast alerts the CBC did not accept, once their backoff has passed, and mark alerts past
    their warning period expired (cron-able: run every minute)."""
    from omnicrm.cbc.service import run_scheduled
    result = run_scheduled()
    click.echo(f"Cell broadcast: {result['sent']} of {result['due']} failed alert(s) sent; "
               f"{result['expired']} expired")


@main.command("stripe-card-reminders")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if it were this UTC date (default: today)")
@with_appcontext
def stripe_card_reminders_command(today):
    """E-mail customers whose saved cards expire in 60, 30 or 7 days or just expired, once per card and interval
    (run daily from cron)."""
    from omnicrm.payments.expiring import send_due_reminders
    sent = send_due_reminders(today.date() if today else None)
    click.echo(f"Sent {sent} card expiry reminder(s).")


@main.command("portal-notifications")
@with_appcontext
def portal_notifications_command():
    """E-mail subscribers' alerts (low balance, service expiry in 7/3/1 days, unpaid invoices), each event once per
    user; run it from cron, e.g. every hour: `omnicrm portal-notifications`."""
    from omnicrm.portal.notifications import send_due
    result = send_due()
    click.echo(f"Sent {result['sent']} alert e-mail(s); {result['already_sent']} already sent; "
               f"{result['failed']} failed (retried next run).")


@main.command("bill-run")
@click.option("--period", "period_label", metavar="YYYY-MM", default=None,
              help="The month to bill (default: the previous month, UTC)")
@click.option("--customer-id", type=click.IntRange(min=1), default=None, help="Bill only this customer")
@click.option("--no-email", is_flag=True, help="Issue the invoices without announcing them (no invoice e-mails)")
@click.option("--workers", type=click.IntRange(min=1, max=16), default=4, show_default=True,
              help="Threads billing disjoint customers (MariaDB; SQLite and small runs use one)")
@with_appcontext
def bill_run_command(period_label, customer_id, no_email, workers):
    """Charge the month's recurring and setup costs and issue each customer's invoice (idempotent: re-running a
    month changes nothing; cron it for the 1st of every month, README "Recurring billing")."""
    from omnicrm.billing.bill_run import run
    try:
        summary = run(period_label, customer_id=customer_id, send_email=not no_email, echo=click.echo,
                      workers=workers)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    click.echo(summary.line())
    if summary.failed:
        sys.exit(1)


@main.command("purge-invoice-pdf-cache")
@click.option("--older-than-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Delete cached PDFs not downloaded for this many days (0: all)")
@with_appcontext
def purge_invoice_pdf_cache_command(older_than_days):
    """Delete cached invoice PDFs nobody downloaded recently; they render again on the next download."""
    from omnicrm import db
    from omnicrm.billing.invoice_pdf import cleanup_old_pdf_cache
    result = cleanup_old_pdf_cache(days_old=older_than_days)
    db.session.commit()
    click.echo(f"Deleted {result['deleted_count']} cached invoice PDF(s).")


@main.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path):
    """Write the whole database to PATH (gzip'd JSON lines, readable by its owner only)."""
    from omnicrm import db
    from omnicrm.ops.backup import backup
    counts = backup(db.get_engine(), path)
    click.echo(f"Backed up {sum(counts.values())} rows of {len(counts)} tables to {path}")


@main.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(path):
    """Load a backup into the configured database, which must be empty (it is migrated first)."""
    from flask import current_app

    from omnicrm import db
    from omnicrm.ops.backup import BackupError, restore
    upgrade_schema(current_app.config["CRM"].database_url)
    try:
        counts = restore(db.get_engine(), path)
    except BackupError as exc:
        click.echo(f"Restore refused: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Restored {sum(counts.values())} rows of {len(counts)} tables from {path}")


@main.command("send-mail-outbox")
@with_appcontext
def send_mail_outbox_command():
    """Send again the e-mails Mailjet refused whose next attempt is due (growing delay; given up after
    mailjet.retry_max_attempts tries). Safe to run from several places at once: each e-mail is claimed first."""
    from omnicrm.communications.service import retry_outbox
    result = retry_outbox()
    click.echo(f"Outbox: {len(result['sent'])} sent, {len(result['failed'])} failed again (retried later), "
               f"{len(result['given_up'])} given up.")


@main.command("invoice-reminders")
@with_appcontext
def invoice_reminders_command():
    """E-mail overdue reminders (api_crmCommunicationCustomerInvoiceReminder): one per invoice per
    invoice.reminder_interval_days, at most invoice.reminder_max, never twice (cron-able; the worker loop runs it)."""
    from omnicrm.billing.mail import send_due_reminders
    reminded = send_due_reminders()
    click.echo(f"Overdue reminders sent for {len(reminded)} invoice(s): {reminded}")


@main.command("show-config")
@with_appcontext
def show_config_command():
    """Print the effective configuration with secrets masked."""
    from flask import current_app
    config = current_app.config["CRM"]
    view = config.public_view()
    view["database_url"] = config.database_url.split("@")[-1] if "@" in config.database_url \
        else config.database_url
    click.echo(json.dumps(view, indent=2, default=str))


if __name__ == "__main__":
    main()
