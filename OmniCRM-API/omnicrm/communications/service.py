"""Sending e-mail: Mailjet templates (the mailjet.<key> blocks of crm_config.yaml) and plain text notices.

Every e-mail leaves a `Communication` row: `sent` (Mailjet accepted it), `recorded` (Mailjet is not configured, so
the row is the outbox) or `failed` (Mailjet refused it or could not be reached). A failed row is sent again by
`retry_outbox()` (the `omnicrm send-mail-outbox` command and the worker loop) with a growing delay, until it is
sent or `given_up` after `mailjet.retry_max_attempts` tries; each retry first claims the row with one conditional
UPDATE, so two overlapping runs never send it twice. A row whose variables carried a credential (a reset link,
stored as "***") is never retried: the credential is not kept, and the user can ask for a new one.

An e-mail cannot be rolled back, so these functions commit the session themselves: call them after your own
changes are committed, never half-way through a change.
"""
import json
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update

from omnicrm import db
from omnicrm.common.serialize import plain
from omnicrm.common.validation import EMAIL_RE
from omnicrm.communications.models import Communication
from omnicrm.config import MAILJET_TEMPLATE_KEYS, OPTIONAL_MAILJET_TEMPLATE_KEYS
from omnicrm.db import utcnow
from omnicrm.errors import DependencyError, DependencyUnavailable, ValidationError
from omnicrm.integrations import mailjet

log = logging.getLogger(__name__)

# Template variables that carry a credential: sent to Mailjet, stored as "***" (the outbox is readable by staff).
SECRET_VARIABLES = frozenset({"reset_url", "reset_link", "set_password_url", "temp_password", "verification_url",
                              "verification_code"})
# Plain notices (no template) are sent from the staff-facing sender of this block unless a sender is given.
PLAIN_SENDER_KEY = "api_crmCommunicationUserWelcome"
# Retries of failed e-mails: the delay doubles from RETRY_BASE (5, 10, 20... minutes) up to RETRY_CAP; after
# `mailjet.retry_max_attempts` tries (first send included) the row is given up.
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)
DEFAULT_MAX_ATTEMPTS = 6
# A row claimed by a retry run is `sending` until this lease ends; a run that died mid-send is taken over then.
CLAIM_LEASE = timedelta(minutes=10)
# Rows `retry_outbox` sends when their next_attempt_at is due.
RETRIED_STATUSES = ("queued", "failed", "sending")


def _config():
    return current_app.config["CRM"]["mailjet"]


def template_block(template_key):
    """The from_email/from_name/template_id/subject block of one of the template keys."""
    if template_key not in MAILJET_TEMPLATE_KEYS + OPTIONAL_MAILJET_TEMPLATE_KEYS:
        raise ValueError(f"unknown Mailjet template key {template_key!r}")
    return _config()[template_key]


def has_template(template_key):
    """Whether the configuration has this template (the optional ones may be left out)."""
    return template_key in MAILJET_TEMPLATE_KEYS or template_key in _config()


def _recipients(to):
    """`to` as an address, {"email", "name"}, or a list of those -> Mailjet recipients; 400 when none is valid."""
    items = to if isinstance(to, (list, tuple)) else [to]
    recipients, bad = [], []
    for item in items:
        email, name = (item.get("email"), item.get("name")) if isinstance(item, dict) else (item, None)
        email = (email or "").strip()
        if EMAIL_RE.match(email):
            recipients.append(mailjet.recipient(email, name))
        else:
            bad.append(email or "(empty)")
    if bad or not recipients:
        raise ValidationError("No valid e-mail recipient",
                              errors={"to": f"invalid address: {', '.join(bad)}" if bad else "is required"})
    return recipients


def _json_value(value):
    if isinstance(value, (Decimal, date, datetime)):
        return plain(value)
    return str(value)


def _attachments(attachments):
    """[{"filename", "content" (bytes), "content_type"}] -> Mailjet attachments; 400 above Mailjet's 15 MB."""
    result = [mailjet.attachment(a["filename"], a["content"], a.get("content_type") or "application/octet-stream")
              for a in attachments or ()]
    if sum(len(a["content"]) for a in attachments or ()) > mailjet.MAX_MESSAGE_BYTES:
        raise ValidationError("Attachments too large for e-mail",
                              errors={"attachments": "must be at most 15 MB in total (Mailjet limit)"})
    return result


def send_template_email(template_key, to, variables, customer_id=None, attachments=None, subject_suffix="",
                        raise_errors=True, invoice_id=None):
    """Send template `mailjet.<template_key>` to `to` with `variables`; returns the Communication row.

    Without Mailjet credentials the e-mail is only recorded (status "recorded"). When Mailjet fails the row is
    `failed` and DependencyError (502) / DependencyUnavailable (503) is raised, unless `raise_errors=False`.
    Attachments are not stored: `invoice_id` names the invoice whose PDF is attached again when the e-mail is
    retried (any other attachment makes a failed row not retryable).
    """
    block = template_block(template_key)
    recipients = _recipients(to)
    variables = json.loads(json.dumps(variables or {}, default=_json_value))
    files = _attachments(attachments)
    subject = f"{block['subject']}{subject_suffix or ''}"
    message = mailjet.template_message(block["from_email"], block["from_name"], recipients, block["template_id"],
                                       subject, variables, files)
    secret = any(k in SECRET_VARIABLES and v for k, v in variables.items())
    row = Communication(template_key=template_key, template_id=block["template_id"],
                        variables=json.dumps({k: ("***" if k in SECRET_VARIABLES and v else v)
                                              for k, v in variables.items()}),
                        attachments=json.dumps([a["Filename"] for a in files]) if files else None,
                        invoice_id=invoice_id)
    retryable = not secret and (not files or invoice_id is not None)
    return _deliver(row, message, customer_id, raise_errors, retryable=retryable)


def queue_template_email(template_key, to, variables, customer_id=None, subject_suffix="", invoice_id=None,
                         attachment_names=()):
    """Like `send_template_email`, but the e-mail is only written to the outbox (`queued`, due now) and
    `retry_outbox` sends it; for batch senders (the bill run) that must not wait on Mailjet or render PDFs inline.
    An invoice e-mail's PDF (`invoice_id`, `attachment_names`) is rendered when it is sent. Without Mailjet
    credentials the row is `recorded` at once. Commits; returns the row."""
    block = template_block(template_key)
    variables = json.loads(json.dumps(variables or {}, default=_json_value))
    if any(k in SECRET_VARIABLES and v for k, v in variables.items()):
        raise ValueError("an e-mail carrying a credential cannot wait in the outbox")
    message = mailjet.template_message(block["from_email"], block["from_name"], _recipients(to),
                                       block["template_id"], f"{block['subject']}{subject_suffix or ''}", variables)
    row = Communication(template_key=template_key, template_id=block["template_id"], variables=json.dumps(variables),
                        attachments=json.dumps(list(attachment_names)) if attachment_names else None,
                        invoice_id=invoice_id, attempts=0)
    row.from_email, row.from_name = message["From"]["Email"], message["From"].get("Name")
    row.to_email = ", ".join(r["Email"] for r in message["To"])[:1000]
    row.subject, row.customer_id = message["Subject"][:500], customer_id
    if mailjet.MailjetClient.from_config(_config()) is None:
        row.status = "recorded"
    else:
        row.status, row.next_attempt_at = "queued", utcnow()
    db.session.add(row)
    db.session.commit()
    return row


def send_plain_email(to_list, subject, text, customer_id=None, from_email=None, from_name=None, raise_errors=True,
                     invoice_id=None):
    """Send a plain text notice (e.g. a provisioning failure to provisioning.failure_list); None when `to_list`
    is empty. Same outbox, statuses and errors as `send_template_email`."""
    if not to_list:
        return None
    sender = _config()[PLAIN_SENDER_KEY]
    message = mailjet.text_message(from_email or sender["from_email"],
                                   from_name or (None if from_email else sender["from_name"]),
                                   _recipients(to_list), subject, text)
    return _deliver(Communication(text_part=text, invoice_id=invoice_id), message, customer_id, raise_errors,
                    retryable=True)


def _deliver(row, message, customer_id, raise_errors, retryable):
    row.from_email = message["From"]["Email"]
    row.from_name = message["From"].get("Name")
    row.to_email = ", ".join(r["Email"] for r in message["To"])[:1000]
    row.subject = message["Subject"][:500]
    row.customer_id = customer_id
    row.attempts = 0
    client = mailjet.MailjetClient.from_config(_config())
    failure = None
    if client is None:
        row.status = "recorded"
        log.info("Mailjet not configured: e-mail %r to %s recorded in the outbox", row.subject, row.to_email)
    else:
        failure = _attempt(row, client, message, retryable)
    db.session.add(row)
    db.session.commit()
    if failure is not None and raise_errors:
        kind = DependencyUnavailable if isinstance(failure, mailjet.MailjetUnavailable) else DependencyError
        raise kind(f"The e-mail could not be sent: {failure.message}", communication_id=row.communication_id)
    return row


def _attempt(row, client, message, retryable, now=None):
    """One send of `message` for `row`: sent, or failed with the next attempt's time (or given up)."""
    row.attempts = (row.attempts or 0) + 1
    try:
        result = client.send([message])[0]
    except mailjet.MailjetError as exc:
        row.error = exc.message
        log.warning("Mailjet refused e-mail %r to %s (attempt %s): %s", row.subject, row.to_email, row.attempts,
                    exc.message)
        if retryable and row.attempts < max_attempts():
            row.status, row.next_attempt_at = "failed", (now or utcnow()) + retry_delay(row.attempts)
        else:
            row.status, row.next_attempt_at = ("given_up" if retryable else "failed"), None
        return exc
    row.status, row.error, row.next_attempt_at = "sent", None, None
    row.provider_message_id = mailjet.message_ids(result)[:255] or None
    return None


def max_attempts():
    return int(_config().get("retry_max_attempts") or DEFAULT_MAX_ATTEMPTS)


def retry_delay(attempts):
    """The wait after the `attempts`-th failed try: 5 min, 10 min, 20 min... at most 6 hours."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def _message_of(row):
    """The Mailjet message of a stored row; an invoice e-mail gets its invoice's PDF again."""
    to = [mailjet.recipient(address.strip()) for address in row.to_email.split(",") if address.strip()]
    if row.template_key is None:
        return mailjet.text_message(row.from_email, row.from_name, to, row.subject, row.text_part or "")
    files = []
    if row.invoice_id is not None and row.attachments:  # an invoice e-mail: its PDF again
        from omnicrm.billing.invoice_pdf import invoice_pdf
        from omnicrm.billing.models import Invoice
        invoice = db.session.get(Invoice, row.invoice_id)
        if invoice is None:
            raise LookupError(f"invoice {row.invoice_id} no longer exists")
        filename, pdf = invoice_pdf(invoice)
        files = [mailjet.attachment(filename, pdf, "application/pdf")]
    return mailjet.template_message(row.from_email, row.from_name, to, row.template_id, row.subject,
                                    json.loads(row.variables or "{}"), files)


def _claim(row_id, now):
    """Take one due row for this run: a single conditional UPDATE, so of two overlapping runs only one wins."""
    claimed = db.session.execute(
        update(Communication)
        .where(Communication.communication_id == row_id, Communication.status.in_(RETRIED_STATUSES),
               Communication.next_attempt_at.isnot(None), Communication.next_attempt_at <= now)
        .values(status="sending", next_attempt_at=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def retry_outbox(now=None, limit=200):
    """Send every queued e-mail, and again every failed one, whose next attempt is due. Returns
    {"sent": [...], "failed": [...], "given_up": [...]} (communication ids). Without Mailjet credentials nothing
    is tried."""
    client = mailjet.MailjetClient.from_config(_config())
    result = {"sent": [], "failed": [], "given_up": []}
    if client is None:
        return result
    now = now or utcnow()
    due = db.session.scalars(
        select(Communication.communication_id)
        .where(Communication.status.in_(RETRIED_STATUSES), Communication.next_attempt_at.isnot(None),
               Communication.next_attempt_at <= now)
        .order_by(Communication.next_attempt_at, Communication.communication_id).limit(limit)).all()
    for row_id in due:
        if not _claim(row_id, now):
            continue  # another run took it
        row = db.session.get(Communication, row_id, populate_existing=True)
        try:
            message = _message_of(row)
        except Exception as exc:  # noqa: BLE001 - e.g. the invoice template broke: keep the row, try later
            log_unexpected_mail(exc, row_id)
            message = None
            row.attempts = (row.attempts or 0) + 1
            row.error = f"The e-mail could not be rebuilt: {exc.__class__.__name__}"
            if row.attempts < max_attempts():
                row.status, row.next_attempt_at = "failed", now + retry_delay(row.attempts)
            else:
                row.status, row.next_attempt_at = "given_up", None
        if message is not None:
            _attempt(row, client, message, retryable=True, now=now)
        db.session.commit()
        result["sent" if row.status == "sent" else row.status].append(row_id)
    return result


def log_unexpected_mail(error, row_id):
    from omnicrm.common.safe_log import log_unexpected
    db.session.rollback()
    log_unexpected(log, error, "e-mail %s could not be rebuilt for a retry", row_id)


def communication_to_dict(row):
    return {
        "communication_id": row.communication_id, "template_key": row.template_key,
        "template_id": row.template_id, "from_email": row.from_email, "from_name": row.from_name,
        "to_email": row.to_email, "subject": row.subject,
        "variables": json.loads(row.variables) if row.variables else None, "text_part": row.text_part,
        "attachments": json.loads(row.attachments) if row.attachments else [], "status": row.status,
        "provider_message_id": row.provider_message_id, "error": row.error, "customer_id": row.customer_id,
        "created": plain(row.created), "attempts": row.attempts or 0, "next_attempt_at": plain(row.next_attempt_at),
        "invoice_id": row.invoice_id,
    }
