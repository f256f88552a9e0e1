"""Subscribers' alerts (spec 07 §6.9): low balance (threshold per user, default 10 % remaining), service expiry
in 7, 3 and 1 days, unpaid and overdue invoices. The portal shows them live (`customer_alerts`); the scheduled
`omnicrm portal-notifications` command e-mails each event once per user (`send_due`), recorded in
Portal_Notification by an event key."""
import logging

from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import User
from omnicrm.billing.models import Invoice
from omnicrm.billing.service import overdue_cutoff
from omnicrm.common.serialize import iso
from omnicrm.customers.models import Contact
from omnicrm.db import utcnow
from omnicrm.errors import ApiError
from omnicrm.portal.models import NotificationPreference, PortalNotification
from omnicrm.services.models import Service

log = logging.getLogger(__name__)

DEFAULT_LOW_BALANCE_PERCENT = 10
EXPIRY_WARNING_DAYS = (1, 3, 7)
# What this command e-mails. Unpaid and overdue invoices are shown in the portal but e-mailed by billing (the
# invoice e-mail when issued, `omnicrm invoice-reminders` when overdue), so nobody is told twice.
TEMPLATES = {"low_balance": "api_crmCommunicationsBalanceLow",
             "service_expiry": "api_crmCommunicationsServiceExpiring"}
CATEGORY = {"low_balance": "usage", "service_expiry": "service", "unpaid_invoice": "billing",
            "overdue_invoice": "billing"}
PREFERENCE_FIELDS = ("email_enabled", "low_balance_percent", "billing", "usage", "service")


def preferences(user_id):
    row = db.session.get(NotificationPreference, user_id)
    if row is None:
        return {"email_enabled": True, "low_balance_percent": DEFAULT_LOW_BALANCE_PERCENT, "billing": True,
                "usage": True, "service": True}
    return {name: getattr(row, name) for name in PREFERENCE_FIELDS}


def save_preferences(user_id, values):
    row = db.session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(user_id=user_id, **preferences(user_id))
        db.session.add(row)
    for name, value in values.items():
        if name in PREFERENCE_FIELDS and value is not None:
            setattr(row, name, value)
    return preferences(user_id)


def _expiry_window(days_left):
    """The smallest warning window (1, 3 or 7 days) the expiry falls into, None outside all of them."""
    return next((w for w in EXPIRY_WARNING_DAYS if days_left <= w), None)


def _balance_alerts(service, threshold):
    from omnicrm.ocs.service import get_account, present_balances
    if not service.service_usage_visible_to_customer or service.service_status != "Active":
        return []
    try:
        account = get_account(service.service_uuid)
    except ApiError as error:  # CGRateS down: no balance alerts this time, the others still show
        log.warning("balance alerts skipped for service %s: %s", service.service_id, error.message)
        return []
    if account is None:
        return []
    alerts = []
    for label, total in present_balances(account)["totals"].items():
        percent = total.get("percent_remaining")
        if percent is None or total.get("unlimited") or percent >= threshold:
            continue
        alerts.append({"kind": "low_balance", "severity": "warning", "service_id": service.service_id,
                       "service_name": service.service_name, "balance_type": label, "percent_remaining": percent,
                       "remaining": total.get("remaining_hr"), "threshold": threshold,
                       "event_key": f"low_balance:{service.service_id}:{label}:{total.get('next_expiry') or '-'}"})
    return alerts


def customer_alerts(customer_id, threshold=DEFAULT_LOW_BALANCE_PERCENT, balances=True, now=None):
    """What the portal's alert list shows for one customer, most urgent first."""
    now = now or utcnow()
    alerts = []
    invoices = db.session.scalars(select(Invoice).where(
        Invoice.customer_id == customer_id, Invoice.paid.is_(False), Invoice.void.is_(False))
        .order_by(Invoice.due_date)).all()
    for invoice in invoices:
        overdue = invoice.due_date is not None and invoice.due_date < overdue_cutoff(now)
        kind = "overdue_invoice" if overdue else "unpaid_invoice"
        alerts.append({"kind": kind, "severity": "error" if overdue else "warning",
                       "invoice_id": invoice.invoice_id, "amount": str(invoice.retail_cost),
                       "due_date": iso(invoice.due_date), "event_key": f"{kind}:{invoice.invoice_id}"})
    services = db.session.scalars(select(Service).where(
        Service.customer_id == customer_id, Service.service_visible_to_customer.is_(True))
        .order_by(Service.service_id)).unique().all()
    for service in services:
        end = service.service_deactivate_date
        if service.service_status == "Active" and end is not None and now <= end:
            days_left = (end - now).total_seconds() / 86400
            window = _expiry_window(days_left)
            if window is not None:
                alerts.append({"kind": "service_expiry", "severity": "warning" if window > 1 else "error",
                               "service_id": service.service_id, "service_name": service.service_name,
                               "expires": iso(end), "days_left": max(int(days_left + 0.999), 0), "window": window,
                               "event_key": f"service_expiry:{service.service_id}:{end.date()}:{window}"})
        if balances:
            alerts.extend(_balance_alerts(service, threshold))
    return alerts


def _portal_users(customer_id):
    return db.session.scalars(select(User).join(Contact, Contact.contact_id == User.contact_id).where(
        Contact.customer_id == customer_id, User.deleted.is_(False), User.active.is_(True))).unique().all()


def _variables(alert, user):
    base = {"user_name": user.full_name or user.username, "email": user.email}
    return {**base, **{k: v for k, v in alert.items() if k not in ("event_key", "severity")}}


def _send(alert, user, customer_id):
    """The alert's template e-mail; the service expiry one as plain text when its (optional) template is not
    configured."""
    from omnicrm.communications.service import has_template, send_plain_email, send_template_email
    to = {"email": user.email, "name": user.full_name}
    template = TEMPLATES[alert["kind"]]
    if has_template(template):
        return send_template_email(template, to, _variables(alert, user), customer_id=customer_id,
                                   raise_errors=False)
    text = (f"Your service {alert['service_name']} expires on {alert['expires'][:10]} "
            f"({alert['days_left']} day(s) left). Renew or top up in the self-care portal.")
    return send_plain_email([to], f"{alert['service_name']} expires in {alert['days_left']} day(s)", text,
                            customer_id=customer_id, raise_errors=False)


def send_due(now=None):
    """E-mail every alert not sent before to every portal user of its customer who wants it; returns counts."""
    now = now or utcnow()
    customer_ids = db.session.scalars(select(Contact.customer_id).join(User, User.contact_id == Contact.contact_id)
                                      .where(User.deleted.is_(False), User.active.is_(True)).distinct()).all()
    sent = skipped = failed = 0
    for customer_id in customer_ids:
        users = [(u, preferences(u.id)) for u in _portal_users(customer_id)]
        users = [(u, p) for u, p in users if p["email_enabled"]]
        if not users:
            continue
        thresholds = {p["low_balance_percent"] for _, p in users}
        alerts_by_threshold = {t: customer_alerts(customer_id, threshold=t, now=now) for t in thresholds}
        for user, prefs in users:
            for alert in alerts_by_threshold[prefs["low_balance_percent"]]:
                if alert["kind"] not in TEMPLATES or not prefs[CATEGORY[alert["kind"]]]:
                    continue
                key = f"{alert['event_key']}:user:{user.id}"[:200]
                if db.session.scalars(select(PortalNotification.id)
                                      .where(PortalNotification.event_key == key)).first():
                    skipped += 1
                    continue
                row = _send(alert, user, customer_id)
                if row is not None and row.status == "failed":
                    failed += 1  # tried again on the next run
                    db.session.rollback()
                    continue
                db.session.add(PortalNotification(event_key=key, kind=alert["kind"], customer_id=customer_id,
                                                  communication_id=getattr(row, "communication_id", None)))
                db.session.commit()
                sent += 1
    return {"sent": sent, "already_sent": skipped, "failed": failed}
