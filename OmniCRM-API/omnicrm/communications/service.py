"""Sending e-mail: Mailjet templates (the mailjet.<key> blocks of crm_config.yaml) and plain text notices.

Every e-mail leaves a `Communication` row: `sent` (Mailjet accepted it), `recorded` (Mailjet is not configured, so
the row is the outbox) or `failed` (Mailjet refused it or could not be reached).

An e-mail cannot be rolled back, so these functions commit the session themselves: call them after your own
changes are committed, never half-way through a change.
"""
import json
import logging
from datetime import date, datetime
from decimal import Decimal

from flask import current_app

from omnicrm import db
from omnicrm.common.serialize import plain
from omnicrm.common.validation import EMAIL_RE
from omnicrm.communications.models import Communication
from omnicrm.config import MAILJET_TEMPLATE_KEYS
from omnicrm.errors import DependencyError, DependencyUnavailable, ValidationError
from omnicrm.integrations import mailjet

log = logging.getLogger(__name__)

# Template variables that carry a credential: sent to Mailjet, stored as "***" (the outbox is readable by staff).
SECRET_VARIABLES = frozenset({"reset_url", "reset_link", "set_password_url", "temp_password", "verification_url",
                              "verification_code"})
# Plain notices (no template) are sent from the staff-facing sender of this block unless a sender is given.
PLAIN_SENDER_KEY = "api_crmCommunicationUserWelcome"


def _config():
    return current_app.config["CRM"]["mailjet"]


def template_block(template_key):
    """The from_email/from_name/template_id/subject block of one of the ten template keys."""
    if template_key not in MAILJET_TEMPLATE_KEYS:
        raise ValueError(f"unknown Mailjet template key {template_key!r}")
    return _config()[template_key]


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
                        raise_errors=True):
    """Send template `mailjet.<template_key>` to `to` with `variables`; returns the Communication row.

    Without Mailjet credentials the e-mail is only recorded (status "recorded"). When Mailjet fails the row is
    `failed` and DependencyError (502) / DependencyUnavailable (503) is raised, unless `raise_errors=False`.
    """
    block = template_block(template_key)
    recipients = _recipients(to)
    variables = json.loads(json.dumps(variables or {}, default=_json_value))
    files = _attachments(attachments)
    subject = f"{block['subject']}{subject_suffix or ''}"
    message = mailjet.template_message(block["from_email"], block["from_name"], recipients, block["template_id"],
                                       subject, variables, files)
    row = Communication(template_key=template_key, template_id=block["template_id"],
                        variables=json.dumps({k: ("***" if k in SECRET_VARIABLES and v else v)
                                              for k, v in variables.items()}),
                        attachments=json.dumps([a["Filename"] for a in files]) if files else None)
    return _deliver(row, message, customer_id, raise_errors)


def send_plain_email(to_list, subject, text, customer_id=None, from_email=None, from_name=None, raise_errors=True):
    """Send a plain text notice (e.g. a provisioning failure to provisioning.failure_list); None when `to_list`
    is empty. Same outbox, statuses and errors as `send_template_email`."""
    if not to_list:
        return None
    sender = _config()[PLAIN_SENDER_KEY]
    message = mailjet.text_message(from_email or sender["from_email"],
                                   from_name or (None if from_email else sender["from_name"]),
                                   _recipients(to_list), subject, text)
    return _deliver(Communication(text_part=text), message, customer_id, raise_errors)


def _deliver(row, message, customer_id, raise_errors):
    row.from_email = message["From"]["Email"]
    row.from_name = message["From"].get("Name")
    row.to_email = ", ".join(r["Email"] for r in message["To"])[:1000]
    row.subject = message["Subject"][:500]
    row.customer_id = customer_id
    client = mailjet.MailjetClient.from_config(_config())
    failure = None
    if client is None:
        row.status = "recorded"
        log.info("Mailjet not configured: e-mail %r to %s recorded in the outbox", row.subject, row.to_email)
    else:
        try:
            result = client.send([message])[0]
            row.status = "sent"
            row.provider_message_id = mailjet.message_ids(result)[:255] or None
        except mailjet.MailjetError as exc:
            row.status, row.error = "failed", exc.message
            failure = exc
            log.warning("Mailjet refused e-mail %r to %s: %s", row.subject, row.to_email, exc.message)
    db.session.add(row)
    db.session.commit()
    if failure is not None and raise_errors:
        kind = DependencyUnavailable if isinstance(failure, mailjet.MailjetUnavailable) else DependencyError
        raise kind(f"The e-mail could not be sent: {failure.message}", communication_id=row.communication_id)
    return row


def communication_to_dict(row):
    return {
        "communication_id": row.communication_id, "template_key": row.template_key,
        "template_id": row.template_id, "from_email": row.from_email, "from_name": row.from_name,
        "to_email": row.to_email, "subject": row.subject,
        "variables": json.loads(row.variables) if row.variables else None, "text_part": row.text_part,
        "attachments": json.loads(row.attachments) if row.attachments else [], "status": row.status,
        "provider_message_id": row.provider_message_id, "error": row.error, "customer_id": row.customer_id,
        "created": plain(row.created),
    }
