"""Billing e-mails (spec 07 §2.13, §3; spec 06 §13.3 types 2 and 3): the invoice with its PDF, the payment receipt,
the refund notice and the overdue reminders.

Recipients are the customer's contacts of type Billing, else its Primary contact(s) (spec 07 §2.13). Every e-mail
leaves a `Communication` row (the outbox); a Mailjet failure leaves it `failed` and `retry_outbox` sends it again
(an invoice e-mail's PDF is rendered again then). The signal receivers run after the payment or bill run has
committed and never raise: a failing e-mail can never undo or fail a payment. The bill run's invoices
(`invoice_issued`) are queued in the outbox and sent by `retry_outbox`, so the run never waits on Mailjet.
"""
import logging
from datetime import datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.billing import events
from omnicrm.billing.models import Invoice, InvoiceReminder
from omnicrm.common.safe_log import log_unexpected
from omnicrm.communications.models import Communication
from omnicrm.communications.service import send_plain_email, send_template_email, template_block
from omnicrm.customers.models import Contact, Customer
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, ValidationError

log = logging.getLogger(__name__)

INVOICE_TEMPLATE = "api_crmCommunicationCustomerInvoice"
REMINDER_TEMPLATE = "api_crmCommunicationCustomerInvoiceReminder"
DEFAULT_REMINDER_INTERVAL_DAYS = 7
DEFAULT_REMINDER_MAX = 3
NO_RECIPIENT = "The customer has no billing or primary contact with an e-mail address"
COPY_INTERVAL = timedelta(minutes=10)  # a customer user's copies of one invoice


# Recipients and variables ---------------------------------------------------------------------------------------

def _types(contact):
    return {t.strip().lower() for t in (contact.contact_types or "").split(",") if t.strip()}


def _name(contact):
    return " ".join(p for p in (contact.contact_firstname, contact.contact_lastname) if p) or None


def billing_recipients(customer_id):
    """[{"email", "name"}] of the customer's Billing contacts, else of its Primary contact(s); [] when none has an
    e-mail address."""
    contacts = db.session.scalars(select(Contact).where(Contact.customer_id == customer_id,
                                                        Contact.contact_email.isnot(None),
                                                        Contact.contact_email != "")
                                  .order_by(Contact.contact_id)).all()
    chosen = [c for c in contacts if "billing" in _types(c)] or [c for c in contacts if "primary" in _types(c)]
    return [{"email": c.contact_email, "name": _name(c)} for c in chosen]


def _override_recipients(data):
    """The optional body of the e-mail endpoint: {"to": ["a@example.com", ...]} replaces the contacts."""
    if not data:
        return None
    unknown = sorted(set(data) - {"to"})
    if unknown:
        raise ValidationError("Validation failed", errors={name: "unknown field" for name in unknown})
    to = data.get("to")
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not to or not all(isinstance(a, str) for a in to) or len(to) > 20:
        raise ValidationError("Validation failed", errors={"to": "must be a list of 1 to 20 e-mail addresses"})
    return to


def _money(amount):
    symbol = current_app.config["CRM"]["invoice"].get("currency_symbol") or "$"
    return f"{symbol}{Decimal(amount or 0):.2f}"


def _date(value):
    return value.date().isoformat() if value else ""


def invoice_urls(invoice):
    """Where the customer views (downloads) and pays the invoice in the console / self-care portal."""
    base = current_app.config["CRM"]["crm"]["base_url"]
    return f"{base}/invoices/{invoice.invoice_id}", f"{base}/invoices/{invoice.invoice_id}/pay"


def invoice_variables(invoice, customer):
    """The Customer Invoice variables of spec 07 §2.13 / spec 06 §13.3."""
    invoice_url, pay_url = invoice_urls(invoice)
    return {"customer_name": customer.customer_name, "invoice_number": str(invoice.invoice_id),
            "invoice_date": _date(invoice.created), "due_date": _date(invoice.due_date),
            "total_amount": _money(invoice.retail_cost), "invoice_url": invoice_url, "pay_url": pay_url}


def reminder_variables(invoice, customer, now):
    """The Customer Invoice Reminder variables of spec 06 §13.3."""
    return {"customer_name": customer.customer_name, "invoice_number": str(invoice.invoice_id),
            "due_date": _date(invoice.due_date), "days_overdue": max((now.date() - invoice.due_date.date()).days, 0),
            "total_amount": _money(invoice.retail_cost), "pay_url": invoice_urls(invoice)[1]}


# The invoice e-mail ----------------------------------------------------------------------------------------------

def send_invoice_email(invoice, data=None, raise_errors=True):
    """E-mail the invoice with its PDF attached (template api_crmCommunicationCustomerInvoice) to the billing
    contacts (else the primary contact) or to the addresses in `data["to"]`; recorded in the activity log.
    Returns the Communication row. 400 when there is nobody to send to; a Mailjet failure is 502/503 (the row is
    kept `failed` and retried) unless `raise_errors=False`."""
    from omnicrm.billing.invoice_pdf import invoice_pdf
    to = _override_recipients(data) or billing_recipients(invoice.customer_id)
    if not to:
        raise ValidationError(NO_RECIPIENT, errors={"to": NO_RECIPIENT.lower()})
    customer = db.session.get(Customer, invoice.customer_id)
    name, pdf = invoice_pdf(invoice)  # a template error is the PDF's 500, before anything is sent
    db.session.commit()
    row = send_template_email(INVOICE_TEMPLATE, to, invoice_variables(invoice, customer),
                              customer_id=invoice.customer_id, subject_suffix=str(invoice.invoice_id),
                              attachments=[{"filename": name, "content": pdf, "content_type": "application/pdf"}],
                              raise_errors=False, invoice_id=invoice.invoice_id)
    activity.record("invoice", invoice.invoice_id, "email",
                    f"Invoice {invoice.invoice_id} e-mail ({row.status}) to {row.to_email}",
                    customer_id=invoice.customer_id)
    db.session.commit()
    if row.status == "failed" and raise_errors:
        _raise_failed(row)
    return row


def check_customer_copy(invoice, data):
    """A customer user's "send me a copy": only to its own billing/primary contacts (never to addresses it types,
    so the CRM's sender cannot be used to mail strangers), and at most once per COPY_INTERVAL per invoice."""
    if data:
        raise ValidationError("Validation failed", errors={
            "to": "a copy goes to your billing (else primary) contacts; ask us to change them"})
    recent = db.session.scalar(select(Communication.communication_id).where(
        Communication.invoice_id == invoice.invoice_id, Communication.template_key == INVOICE_TEMPLATE,
        Communication.created >= utcnow() - COPY_INTERVAL).limit(1))
    if recent is not None:
        raise ApiError("A copy of this invoice was sent a few minutes ago: please check your inbox", status_code=429)


def _raise_failed(row):
    from omnicrm.errors import DependencyError, DependencyUnavailable
    unreachable = (row.error or "").startswith("Mailjet could not be reached")
    kind = DependencyUnavailable if unreachable else DependencyError
    raise kind(f"The e-mail could not be sent: {row.error}; it will be retried",
               communication_id=row.communication_id)


# Receipt and refund notices (no Mailjet template among the ten: plain text from the billing sender) ---------------

def _plain_from_billing(invoice, subject, text):
    to = billing_recipients(invoice.customer_id)
    if not to:
        log.warning("invoice %s: no billing or primary contact with an e-mail address, %r not sent",
                    invoice.invoice_id, subject)
        return None
    block = template_block(INVOICE_TEMPLATE)
    return send_plain_email(to, subject, text, customer_id=invoice.customer_id, from_email=block["from_email"],
                            from_name=block["from_name"], raise_errors=False, invoice_id=invoice.invoice_id)


def send_payment_receipt(invoice):
    """The receipt the customer gets when an invoice is paid (spec 07 §3), from the billing sender."""
    customer = db.session.get(Customer, invoice.customer_id)
    paid_by = invoice.payment_method or "payment"
    reference = f" (reference {invoice.payment_reference})" if invoice.payment_reference else ""
    text = (f"Dear {customer.customer_name},\n\nThank you: we received your payment of {_money(invoice.retail_cost)} "
            f"for invoice {invoice.invoice_id} ({invoice.title or ''}) by {paid_by}{reference} on "
            f"{_date(utcnow())}.\nThe invoice is now paid.\n\n{template_block(INVOICE_TEMPLATE)['from_name']}\n")
    row = _plain_from_billing(invoice, f"Payment receipt - Invoice {invoice.invoice_id}", text)
    _record_notice(invoice, "receipt", row)
    return row


def send_refund_notice(invoice):
    """Tells the customer a paid invoice was refunded (spec 07 §2.15: funds back on the card in 3-7 days)."""
    customer = db.session.get(Customer, invoice.customer_id)
    text = (f"Dear {customer.customer_name},\n\nInvoice {invoice.invoice_id} ({invoice.title or ''}) was refunded: "
            f"{_money(invoice.retail_cost)} goes back to the original payment method, usually within 3-7 business "
            f"days.\n\n{template_block(INVOICE_TEMPLATE)['from_name']}\n")
    row = _plain_from_billing(invoice, f"Refund - Invoice {invoice.invoice_id}", text)
    _record_notice(invoice, "refund_notice", row)
    return row


def _record_notice(invoice, action, row):
    if row is None:
        return
    activity.record("invoice", invoice.invoice_id, action,
                    f"Invoice {invoice.invoice_id} {action.replace('_', ' ')} e-mail {row.status} to {row.to_email}",
                    customer_id=invoice.customer_id)
    db.session.commit()


# Signal receivers ------------------------------------------------------------------------------------------------

def _safely(what, invoice, send):
    """Run a mail for a committed billing change; any failure is logged, never raised to the payer."""
    try:
        invoice = db.session.get(Invoice, invoice.invoice_id) or invoice
        send(invoice)
    except Exception as error:  # noqa: BLE001 - an e-mail must never fail the payment or the bill run
        db.session.rollback()
        log_unexpected(log, error, "%s e-mail of invoice %s failed", what, getattr(invoice, "invoice_id", None))


def queue_invoice_email(invoice):
    """The bill run's invoice e-mail: written to the outbox (queued) and sent with its PDF by `retry_outbox` (the
    worker loop, `omnicrm send-mail-outbox`), so a run over thousands of customers never waits on Mailjet or
    WeasyPrint. Returns the row, or None when the customer has nobody to write to."""
    from omnicrm.billing.invoice_pdf import filename
    from omnicrm.communications.service import queue_template_email
    to = billing_recipients(invoice.customer_id)
    if not to:
        log.warning("invoice %s issued but not e-mailed: %s", invoice.invoice_id, NO_RECIPIENT)
        return None
    customer = db.session.get(Customer, invoice.customer_id)
    row = queue_template_email(INVOICE_TEMPLATE, to, invoice_variables(invoice, customer),
                               customer_id=invoice.customer_id, subject_suffix=str(invoice.invoice_id),
                               invoice_id=invoice.invoice_id, attachment_names=[filename(invoice)])
    activity.record("invoice", invoice.invoice_id, "email",
                    f"Invoice {invoice.invoice_id} e-mail issued ({row.status}) to {row.to_email}",
                    customer_id=invoice.customer_id)
    db.session.commit()
    return row


def on_invoice_issued(invoice, **_):
    _safely("invoice", invoice, lambda inv: None if inv.void else queue_invoice_email(inv))


def on_invoice_paid(invoice, **_):
    _safely("receipt", invoice, send_payment_receipt)


def on_invoice_refunded(invoice, **_):
    _safely("refund", invoice, send_refund_notice)


def connect_receivers():
    """Connect the billing mail to the billing events (idempotent: blinker keeps one connection per receiver)."""
    events.invoice_issued.connect(on_invoice_issued, weak=False)
    events.invoice_paid.connect(on_invoice_paid, weak=False)
    events.invoice_refunded.connect(on_invoice_refunded, weak=False)


# Overdue reminders -----------------------------------------------------------------------------------------------

def _reminder_settings():
    settings = current_app.config["CRM"]["invoice"]
    interval = int(settings.get("reminder_interval_days") or DEFAULT_REMINDER_INTERVAL_DAYS)
    most = settings.get("reminder_max")
    return max(interval, 1), DEFAULT_REMINDER_MAX if most is None else int(most)


def overdue_since(invoice):
    """An invoice due on a day may be paid all that day: it is overdue from the next day's start (UTC)."""
    return datetime.combine(invoice.due_date.date() + timedelta(days=1), time())


def send_due_reminders(now=None):
    """The scheduled job: every unpaid, not voided invoice past its due day gets reminder step N once it is N
    intervals overdue (step 0 from the day after the due date), at most `invoice.reminder_max` steps. Each step is an
    `Invoice_Reminder` row inserted and committed before the e-mail, so it is never sent twice, even by two
    overlapping runs. Returns the invoice ids reminded."""
    now = now or utcnow()
    interval, most = _reminder_settings()
    if most <= 0:
        return []
    last = (select(InvoiceReminder.invoice_id, func.max(InvoiceReminder.step).label("step"))
            .group_by(InvoiceReminder.invoice_id).subquery())
    overdue = db.session.execute(
        select(Invoice, last.c.step).outerjoin(last, last.c.invoice_id == Invoice.invoice_id)
        .where(Invoice.paid.is_(False), Invoice.void.is_(False), Invoice.due_date.isnot(None),
               Invoice.due_date < now, or_(last.c.step.is_(None), last.c.step < most - 1))
        .order_by(Invoice.invoice_id)).all()
    reminded = []
    for invoice, last_step in overdue:
        since = overdue_since(invoice)
        if now < since:
            continue
        step = min((now - since) // timedelta(days=interval), most - 1)
        if last_step is not None and last_step >= step:
            continue  # this interval's reminder went already
        to = billing_recipients(invoice.customer_id)
        if not to:
            continue
        claim = InvoiceReminder(invoice_id=invoice.invoice_id, step=step)
        try:
            db.session.add(claim)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another run took this step
            continue
        try:
            customer = db.session.get(Customer, invoice.customer_id)
            row = send_template_email(REMINDER_TEMPLATE, to, reminder_variables(invoice, customer, now),
                                      customer_id=invoice.customer_id, raise_errors=False,
                                      invoice_id=invoice.invoice_id)
            claim.communication_id = row.communication_id
            activity.record("invoice", invoice.invoice_id, "reminder",
                            f"Invoice {invoice.invoice_id} overdue reminder {step + 1} ({row.status}) to "
                            f"{row.to_email}", customer_id=invoice.customer_id)
            db.session.commit()
            reminded.append(invoice.invoice_id)
        except Exception as error:  # noqa: BLE001 - one customer's problem never blocks the others
            db.session.rollback()
            log_unexpected(log, error, "overdue reminder of invoice %s failed", invoice.invoice_id)
    return reminded


def run_scheduled(now=None):
    """What billing mail does on a schedule: overdue reminders, then the outbox retries."""
    from omnicrm.communications.service import retry_outbox
    return {"reminders": send_due_reminders(now), "outbox": retry_outbox(now)}
