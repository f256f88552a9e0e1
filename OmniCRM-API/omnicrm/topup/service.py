"""The public top-up portal (spec 05 §10): what a service's usage looks like to the device asking, a PaymentIntent
for a number of days, and the top-up itself, paid by a PaymentIntent that is verified with Stripe before anything
is provisioned and can be used once.

Order of a top-up (docs/decisions.md, "Hotspot top-up"):
1. input, price (days × `topup.price_per_day`), service ↔ IMSI, "not used before" — nothing called yet;
2. the PaymentIntent read from Stripe: `succeeded`, amount and currency equal to the price, made for this service
   (metadata). Stripe unreachable is a 503 and nothing is written;
3. one commit: the `hotspot_topup` row (its unique payment_intent_id makes the loser of two concurrent requests a
   409) and the `play_topup_hotspot` job; the job is queued and the request waits for its end (`topup.wait_seconds`);
4. when the job ends (`job_ended`, called by the provisioning engine wherever the job ran): success writes the
   top-up transaction, the paid invoice and its payment credit; failure refunds the PaymentIntent.
"""
import json
import logging
import time
from decimal import Decimal

import stripe
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.common.safe_log import log_unexpected
from omnicrm.common.serialize import iso, plain
from omnicrm.common.shared_state import hit_counter
from omnicrm.common.validation import Checker
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, NotFound, PaymentRequired, ValidationError
from omnicrm.integrations import stripe_client
from omnicrm.inventory.models import Inventory
from omnicrm.inventory.service import SIM_ITEMS, item_to_dict
from omnicrm.provisioning.models import STATUS_RUNNING, STATUS_SUCCESS, Provision
from omnicrm.services.models import ENDED_STATUSES, Service
from omnicrm.topup.models import HotspotTopup

log = logging.getLogger(__name__)

PURPOSE = "hotspot_topup"  # metadata.omnicrm_purpose of the PaymentIntents this portal accepts
ACTOR = "public:topup-portal"
IMSI_PATTERN = r"\d{5,15}"
PAYMENT_INTENT_PATTERN = r"pi_[A-Za-z0-9_]{1,250}"
ZERO_DECIMAL_CURRENCIES = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                           "xaf", "xof", "xpf"}
ALREADY_PROCESSED = "Payment intent already processed"
AMOUNT_MISMATCH = "Payment intent amount does not match"
NO_MATCH = "No service matches this service_uuid and IMSI"


# ---------------------------------------------------------------------------------------------- settings

def settings():
    """`topup.*` from crm_config.yaml with their defaults (price per day 10.00, 1-30 days, 20 requests a minute)."""
    conf = current_app.config["CRM"].get("topup") or {}
    return {
        "price_per_day": Decimal(str(conf.get("price_per_day", "10.00"))),
        "currency": str(conf.get("currency") or stripe_client.currency() or "usd").lower(),
        "max_days": int(conf.get("max_days", 30)),
        "play": conf.get("provisioning_play") or "play_topup_hotspot",
        "wait_seconds": float(conf.get("wait_seconds", 30)),
        "poll_seconds": float(conf.get("poll_seconds", 0.2)),
        "rate_limit_per_minute": int(conf.get("rate_limit_per_minute", 20)),
        "usage_by_imsi": bool(conf.get("usage_by_imsi", False)),
        "transaction_title": conf.get("transaction_title") or "Hotspot Top-up - {days} Days",
        "payment_title": conf.get("payment_title") or "Payment for {invoice_title}",
    }


def rate_limit(ip, what):
    """429 past `topup.rate_limit_per_minute` requests a minute from one address (per endpoint)."""
    if hit_counter(f"omnicrm:topup-rate:{what}:{ip}", 60) > settings()["rate_limit_per_minute"]:
        raise ApiError("Too many requests, wait a minute and try again", status_code=429)


def minor_units(amount, currency):
    """Stripe's integer amount: cents, or whole units for zero-decimal currencies."""
    factor = 1 if currency in ZERO_DECIMAL_CURRENCIES else 100
    return int((amount * factor).to_integral_value())


def price(days):
    return (settings()["price_per_day"] * days).quantize(Decimal("0.01"))


def price_list():
    conf = settings()
    return {"price_per_day": plain(conf["price_per_day"]), "currency": conf["currency"], "min_days": 1,
            "max_days": conf["max_days"]}


# ---------------------------------------------------------------------------------------------- identification

def service_imsis(service):
    """The IMSIs of the SIMs assigned to a service (decrypted when the template keeps them secret)."""
    items = db.session.scalars(select(Inventory).where(Inventory.service_id == service.service_id,
                                                       Inventory.item.in_(SIM_ITEMS))).all()
    return [str(i) for i in (item_to_dict(item, reveal_secrets=True).get("imsi") for item in items) if i]


def service_for(service_uuid, imsi):
    """The service with this uuid whose SIM has this IMSI; one 404 for every mismatch, so the answer does not tell
    which of the two was wrong."""
    service = db.session.scalars(select(Service).where(Service.service_uuid == service_uuid)).first()
    if service is None or imsi not in service_imsis(service):
        raise NotFound(NO_MATCH)
    return service


def service_by_ip(ip):
    """The service an assigned inventory item with this "IP Address" (itemtext1) belongs to, else None."""
    for item in db.session.scalars(select(Inventory).where(Inventory.itemtext1 == ip,
                                                           Inventory.service_id.is_not(None))):
        if item_to_dict(item).get("ip_address") == ip:
            return db.session.get(Service, item.service_id)
    return None


def service_by_imsi(imsi):
    for item in db.session.scalars(select(Inventory).where(Inventory.item.in_(SIM_ITEMS),
                                                           Inventory.service_id.is_not(None))):
        if item_to_dict(item, reveal_secrets=True).get("imsi") == imsi:
            return db.session.get(Service, item.service_id)
    return None


# ---------------------------------------------------------------------------------------------- usage

def usage(ip, imsi=None):
    """GET /oam/usage: the service of the requesting address (or of `imsi` when `topup.usage_by_imsi` allows it),
    its expiry and whether its allowance is unlimited, and the price list the portal must use."""
    service = service_by_ip(ip)
    if service is None and imsi:
        if not settings()["usage_by_imsi"]:
            raise NotFound(f"No service is linked to your address ({ip}); identification by IMSI is disabled")
        service = service_by_imsi(imsi)
    if service is None:
        raise NotFound(f"No service is linked to your address ({ip})")
    imsis = service_imsis(service)
    body = {"imsi": imsis[0] if imsis else None,
            "service": {"service_uuid": service.service_uuid, "service_name": service.service_name,
                        "service_status": service.service_status},
            "balance": None, "requestingIp": ip, "topup": price_list()}
    try:
        body["balance"] = _balance(service)
    except ApiError as error:  # the portal still shows the service; the OCS state is unknown
        body["ocs_error"] = error.message
    return body


def _balance(service):
    from omnicrm.integrations.cgrates import summarize_balances
    from omnicrm.ocs.service import get_account
    account = get_account(service.service_uuid)
    if account is None:
        return {"expiry": iso(service.service_deactivate_date), "unlimited": False}
    buckets = [b for kind in summarize_balances(account.get("BalanceMap") or {}).values() for b in kind.buckets
               if b.usable and b.balance_type == "*data"]
    expiries = [b.expires_at for b in buckets if b.expires_at is not None]
    expiry = max(expiries) if expiries else None
    return {"expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ") if expiry else iso(service.service_deactivate_date),
            "unlimited": any("unlimited" in (b.id or "").lower() for b in buckets)}


# ---------------------------------------------------------------------------------------------- PaymentIntent

def _check_order(check):
    service_uuid = check.string("service_uuid", required=True, max_length=100)
    imsi = check.string("imsi", required=True, max_length=15, pattern=IMSI_PATTERN)
    days = check.integer("days", required=True, minimum=1, maximum=settings()["max_days"])
    return service_uuid, imsi, days


def _topup_allowed(service):
    if service.service_status in ENDED_STATUSES:
        raise Conflict(f"This service is {service.service_status} and cannot be topped up")


def create_payment_intent(data):
    """POST /oam/topup_payment_intent (ambiguity A25): the PaymentIntent for `days` of a service, made by the server
    with the secret key, for the exact price, marked as a top-up of this service (metadata) so that only it can pay
    this top-up. The portal confirms it with Stripe Elements and its client_secret."""
    check = Checker(data)
    check.reject_unknown(("service_uuid", "imsi", "days", "email"))
    service_uuid, imsi, days = _check_order(check)
    email = check.email("email")
    check.done()
    service = service_for(service_uuid, imsi)
    _topup_allowed(service)
    currency, amount = settings()["currency"], price(days)
    params = {"amount": minor_units(amount, currency), "currency": currency, "payment_method_types": ["card"],
              "metadata": {"omnicrm_purpose": PURPOSE, "service_uuid": service.service_uuid, "days": str(days)}}
    if email:
        params["receipt_email"] = email
    client = stripe_client.client()
    intent = stripe_client.call(client.v1.payment_intents.create, params=params)
    return {"payment_intent_id": intent.id, "client_secret": intent.client_secret, "topup_amount": plain(amount),
            "amount": intent.amount, "currency": intent.currency, "days": days, "service_uuid": service.service_uuid}


def _retrieve(client, payment_intent_id):
    try:
        return client.v1.payment_intents.retrieve(payment_intent_id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            raise ValidationError("Payment intent not found",
                                  errors={"payment_intent_id": "Stripe has no such PaymentIntent"}) from None
        raise


def verify_payment_intent(payment_intent_id, service, amount):
    """The PaymentIntent as Stripe has it: succeeded, for exactly `amount` in the configured currency, made for a
    top-up of this service. Raises before anything is written; Stripe unreachable is a 503."""
    currency = settings()["currency"]
    client = stripe_client.client()
    intent = stripe_client.call(_retrieve, client, payment_intent_id)
    metadata = intent.metadata.to_dict() if intent.metadata else {}
    if metadata.get("omnicrm_purpose") != PURPOSE or metadata.get("service_uuid") != service.service_uuid:
        raise ValidationError("Payment intent was not made for a top-up of this service",
                              errors={"payment_intent_id": "use the PaymentIntent from POST /oam/topup_payment_intent"
                                                           " for this service"})
    if intent.amount != minor_units(amount, currency) or str(intent.currency).lower() != currency:
        raise ValidationError(AMOUNT_MISMATCH, errors={
            "topup_amount": f"the payment is {intent.amount} {intent.currency} (minor units); this top-up costs "
                            f"{minor_units(amount, currency)} {currency}"})
    if intent.status != "succeeded":
        raise PaymentRequired("The payment has not succeeded", errors={
            "payment_intent_id": f"status is {intent.status}, not succeeded"})
    return intent


# ---------------------------------------------------------------------------------------------- the top-up

def topup(data, ip):
    """POST /oam/topup_dongle: verify, record, provision, wait. Returns (body, HTTP status)."""
    conf = settings()
    check = Checker(data)
    check.reject_unknown(("service_uuid", "imsi", "days", "payment_intent_id", "topup_amount", "first_name",
                          "last_name", "email"))
    service_uuid, imsi, days = _check_order(check)
    payment_intent_id = check.string("payment_intent_id", required=True, max_length=255,
                                     pattern=PAYMENT_INTENT_PATTERN)
    amount = check.money("topup_amount", required=True, minimum=Decimal("0.01"))
    for name in ("first_name", "last_name"):
        check.string(name, max_length=100)
    check.email("email")
    if days is not None and amount is not None and amount != price(days):
        check.error("topup_amount", f"{days} days cost {plain(price(days))} ({plain(conf['price_per_day'])} a day)")
    check.done(AMOUNT_MISMATCH if list(check.errors) == ["topup_amount"] and amount is not None
               else "Validation failed")
    service = service_for(service_uuid, imsi)
    _topup_allowed(service)
    if _used(payment_intent_id):
        raise Conflict(ALREADY_PROCESSED, errors={"payment_intent_id": "was already used for a top-up"})
    verify_payment_intent(payment_intent_id, service, amount)

    row = HotspotTopup(payment_intent_id=payment_intent_id, service_uuid=service.service_uuid,
                       service_id=service.service_id, customer_id=service.customer_id, imsi=imsi, days=days,
                       topup_amount=amount, currency=conf["currency"], status="Pending", requesting_ip=ip)
    db.session.add(row)
    try:
        db.session.flush()  # the unique payment_intent_id: a concurrent request with the same one stops here
    except IntegrityError:
        db.session.rollback()
        raise Conflict(ALREADY_PROCESSED, errors={"payment_intent_id": "was already used for a top-up"}) from None
    job = _create_job(row, service, conf["play"])
    row.provision_id = job.provision_id
    activity.record("service", service.service_id, "hotspot_topup",
                    f"Top-up of {days} days ({plain(amount)} {conf['currency'].upper()}) paid by {payment_intent_id}"
                    f" from {ip}; provisioning job {job.provision_id}", customer_id=service.customer_id, actor=ACTOR)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(ALREADY_PROCESSED, errors={"payment_intent_id": "was already used for a top-up"}) from None
    from omnicrm.provisioning.dispatch import submit
    submit(job)
    return wait_for(row.hotspot_topup_id, conf["wait_seconds"], conf["poll_seconds"])


def _used(payment_intent_id):
    return db.session.scalar(select(HotspotTopup.hotspot_topup_id)
                             .where(HotspotTopup.payment_intent_id == payment_intent_id)) is not None


def _create_job(row, service, play):
    """The provisioning job, through the same engine as every order (dispatch, runner, job token, events)."""
    from omnicrm.provisioning import playbooks
    if not playbooks.valid_play_name(play):
        raise ApiError(f"topup.provisioning_play {play!r} is not a playbook name", status_code=500)
    task_count, description = playbooks.describe(playbooks.playbook_path(play))
    job = Provision(product_id=None, customer_id=service.customer_id, service_id=service.service_id,
                    provisioning_play=play, playbook_description=(description or play)[:255],
                    provisioning_status=STATUS_RUNNING, task_count=task_count, initiating_user=None)
    db.session.add(job)
    db.session.flush()
    variables = {"service_id": service.service_id, "service_uuid": service.service_uuid,
                 "customer_id": service.customer_id, "imsi": row.imsi, "days": row.days,
                 "hotspot_topup_id": row.hotspot_topup_id, "provision_id": job.provision_id}
    job.provisioning_json_vars = json.dumps(variables)
    activity.record("provision", job.provision_id, "create",
                    f"Provisioning job {job.provision_id} started: {play} (hotspot top-up {row.hotspot_topup_id})",
                    customer_id=service.customer_id, actor=ACTOR)
    return job


def wait_for(hotspot_topup_id, wait_seconds, poll_seconds):
    """Poll the top-up until its job has ended (or the wait is over) and answer as the portal expects."""
    deadline = time.monotonic() + wait_seconds
    while True:
        row = db.session.get(HotspotTopup, hotspot_topup_id, populate_existing=True)
        if row.status != "Pending" or time.monotonic() >= deadline:
            return result(row)
        db.session.rollback()  # no lock held while waiting, and a fresh snapshot next round (MariaDB)
        time.sleep(poll_seconds)


def result(row):
    """(body, status) of a top-up: OK, Failed (refunded or not) or still Pending."""
    base = {"provision_id": row.provision_id, "payment_intent_id": row.payment_intent_id,
            "service_uuid": row.service_uuid, "invoice_id": row.invoice_id, "transaction_id": row.transaction_id,
            "days": row.days, "topup_amount": plain(row.topup_amount), "topup_status": row.status}
    if row.status == "Success":
        service = db.session.get(Service, row.service_id) if row.service_id else None
        return {"result": "OK", "status": 200, **base,
                "expiry": iso(service.service_deactivate_date) if service else None}, 200
    if row.status == "Pending":
        return {"result": "Pending", "status": 202, **base,
                "message": "The top-up is still being applied; ask again with GET /oam/topup_dongle/"
                           f"{row.payment_intent_id}"}, 202
    refunded = row.status == "Refunded"
    reason = row.failure_reason or "The top-up could not be applied"
    message = ("Top-up failed; your payment has been refunded" if refunded
               else "Top-up failed and the refund could not be made automatically; support will refund you")
    return {"result": "Failed", "status": 502, "Reason": reason, "message": message, "refunded": refunded,
            **base}, 502


def status_of(payment_intent_id):
    """GET /oam/topup_dongle/<payment_intent_id>: the outcome of a top-up (the PaymentIntent id is the key)."""
    row = db.session.scalars(select(HotspotTopup).where(HotspotTopup.payment_intent_id == payment_intent_id)).first()
    if row is None:
        raise NotFound("No top-up was made with this payment intent")
    return result(row)


# ---------------------------------------------------------------------------------------------- when the job ends

def job_ended(job):
    """Called by the provisioning engine when any job ends; acts only on a top-up's job still Pending."""
    row = db.session.scalars(select(HotspotTopup).where(HotspotTopup.provision_id == job.provision_id,
                                                        HotspotTopup.status == "Pending")).first()
    if row is None:
        return None
    if job.provisioning_status == STATUS_SUCCESS:
        return _record_payment(row)
    return _refund(row, _failure_reason(job))


def _claim(row, status, **values):
    """Move a Pending top-up on, once (the reaper and the runner could both report the same job)."""
    changed = db.session.execute(update(HotspotTopup).where(HotspotTopup.hotspot_topup_id == row.hotspot_topup_id,
                                                            HotspotTopup.status == "Pending")
                                 .values(status=status, last_modified=utcnow(), **values)
                                 .execution_options(synchronize_session=False)).rowcount
    return bool(changed)


def _record_payment(row):
    """The top-up transaction, its invoice marked paid by the PaymentIntent, and the payment credit (spec 05 §10.4
    step 3), all in one commit with the top-up's status."""
    conf = settings()
    if not _claim(row, "Success"):
        db.session.rollback()
        return None
    now = utcnow()
    title = conf["transaction_title"].format(days=row.days)[:255]
    amount = Decimal(row.topup_amount)
    charge = Transaction(customer_id=row.customer_id, service_id=row.service_id, title=title,
                         description=f"Top-up of {row.days} days for {row.service_uuid}, paid by card "
                                     f"({row.payment_intent_id})",
                         transaction_type="debit", retail_cost=amount, wholesale_cost=Decimal(0),
                         tax_percentage=Decimal(0), tax_amount=Decimal(0), created=now)
    invoice = Invoice(customer_id=row.customer_id, title=title, start_date=now, end_date=now, due_date=now,
                      retail_cost=amount, paid=True, payment_method="Card", payment_reference=row.payment_intent_id)
    db.session.add_all([charge, invoice])
    db.session.flush()
    charge.invoice_id = invoice.invoice_id
    payment = Transaction(customer_id=row.customer_id, service_id=row.service_id, invoice_id=invoice.invoice_id,
                          title=conf["payment_title"].format(invoice_title=title)[:255],
                          description=f"Card payment {row.payment_intent_id}", transaction_type="credit",
                          credit_type="Card", retail_cost=-amount, wholesale_cost=Decimal(0),
                          tax_percentage=Decimal(0), tax_amount=Decimal(0), created=now)
    db.session.add(payment)
    db.session.flush()
    invoice.payment_transaction_id = payment.transaction_id
    db.session.execute(update(HotspotTopup).where(HotspotTopup.hotspot_topup_id == row.hotspot_topup_id)
                       .values(invoice_id=invoice.invoice_id, transaction_id=charge.transaction_id)
                       .execution_options(synchronize_session=False))
    activity.record("invoice", invoice.invoice_id, "pay",
                    f"Invoice {invoice.invoice_id} paid {plain(amount)} by card ({row.payment_intent_id}): hotspot "
                    f"top-up {row.hotspot_topup_id}", customer_id=row.customer_id, actor=ACTOR)
    db.session.commit()
    _announce_paid(invoice)
    return "Success"


def _announce_paid(invoice):
    from omnicrm.billing.events import invoice_paid
    try:
        invoice_paid.send(invoice)
    except Exception as error:  # noqa: BLE001 - the receipt is a courtesy; the top-up is done
        db.session.rollback()
        log_unexpected(log, error, "receipt of invoice %s not sent", invoice.invoice_id)


def _failure_reason(job):
    failed = [e.event_name for e in job.events if e.provisioning_status == 2]
    return (f"Provisioning failed at {failed[0]!r}" if failed else "Provisioning failed")[:500]


def _refund(row, reason):
    """Give the money back (spec 05 §10.4 step 5): Refunded, or Failed with the reason when Stripe refused or was
    down (staff refund by hand: the monitoring query lists status 'Failed')."""
    try:
        client = stripe_client.client()
        refund = stripe_client.call(client.v1.refunds.create,
                                    params={"payment_intent": row.payment_intent_id,
                                            "metadata": {"omnicrm_reason": "hotspot top-up failed"}},
                                    options={"idempotency_key": f"omnicrm-topup-refund-{row.payment_intent_id}"})
        status, values = "Refunded", {"refund_reference": refund.id, "failure_reason": reason}
    except ApiError as error:
        status, values = "Failed", {"failure_reason": f"{reason}; refund failed: {error.message}"[:500]}
    if not _claim(row, status, **values):
        db.session.rollback()
        return None
    activity.record("service", row.service_id, "hotspot_topup_failed",
                    f"Top-up {row.hotspot_topup_id} ({row.payment_intent_id}) failed: {values['failure_reason']}"
                    + ("; payment refunded" if status == "Refunded" else ""),
                    customer_id=row.customer_id, actor="system:provisioning")
    db.session.commit()
    return status


# ---------------------------------------------------------------------------------------------- staff list

SORTABLE = {"hotspot_topup_id": HotspotTopup.hotspot_topup_id, "created": HotspotTopup.created,
            "status": HotspotTopup.status}
FILTERABLE = {"status": HotspotTopup.status, "customer_id": HotspotTopup.customer_id,
              "service_id": HotspotTopup.service_id}


def list_query():
    return select(HotspotTopup)


def search_clause(text):
    like = f"%{text}%"
    return or_(HotspotTopup.payment_intent_id.ilike(like), HotspotTopup.service_uuid.ilike(like))


def topup_to_dict(row):
    from omnicrm.common.serialize import row_to_dict
    return row_to_dict(row)


# ---------------------------------------------------------------------------------------------- low balance

# spec 05 §10.10: the OCS events of a hotspot account, told with the Mailjet balance templates (spec 06 §13.3)
BALANCE_EVENTS = {"Action_Balance_Low": "low", "Action_Balance_Out": "low", "Action_Balance_Expired": "expired"}


def portal_url():
    conf = current_app.config["CRM"]
    return (conf.get("topup") or {}).get("portal_url") or f"{conf['crm']['base_url']}/topup"


def balance_event(event, data):
    """A CGRateS ActionTrigger's *http_post on a hotspot account (its body is the account): the low / expired
    balance e-mail, whose top-up link is the portal (to be opened from the device). Returns {service_uuid, event,
    sent}."""
    from omnicrm.ocs.balance_alerts import notify, service_of
    if event not in BALANCE_EVENTS:
        raise NotFound(f"Unknown balance event {event!r}; one of {', '.join(BALANCE_EVENTS)}")
    row = notify(BALANCE_EVENTS[event], data, link=portal_url())
    return {"service_uuid": service_of(data).service_uuid, "event": event, "sent": row is not None}
