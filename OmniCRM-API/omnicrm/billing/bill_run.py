"""The recurring bill run (issue #14 point 3, spec 03 §10.2, spec 06 §2): charge each customer the month's recurring
retail cost of every billed service (prorated by days), the setup cost of services activated in the month, then
issue the month's invoice from the customer's unbilled transactions and tell the e-mail side (`invoice_issued`).

Rules (docs/decisions.md, "Bill run"):
- A month is charged in arrears at its last second: the charges are created at `YYYY-MM-<last> 23:59:59`, so they
  fall in the month's invoice range. Proration counts whole UTC days: the activation day is charged, the
  deactivation day is not; a full month is exactly the service's `retail_cost`.
- Idempotency lives in the database: every charge carries a unique `Transaction.charge_key`
  (`R:<YYYY-MM>:<service_id>`, `S:<service_id>`) and every bill-run invoice a unique
  (`customer_id`, `bill_run_period`). Each customer is one database transaction (charges + invoice), committed
  before the next customer, so an interrupted run resumes where it stopped and a concurrent run that loses a race
  gets a unique-key error, rolls that customer back and finds it done.
- Prepaid customers (`customer_payment_type = prepaid`) get no recurring or setup charges (the OCS charges their
  balance); their other unbilled transactions (top-ups) are invoiced as usual. Usage is never charged here.

Bulk reads (services, products, existing keys, unbilled transactions) are one query each for the whole run; the
per-customer work is a few INSERTs and one UPDATE.
"""
import calendar
from contextlib import contextmanager
import logging
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import false, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.billing import events
from omnicrm.billing.invoices import default_title, issue
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.billing.service import CENT, line_tax
from omnicrm.common.safe_log import log_unexpected
from omnicrm.customers.models import Customer
from omnicrm.db import utcnow
from omnicrm.errors import Conflict
from omnicrm.products.models import Product
from omnicrm.services.models import ENDED_STATUSES, Service

log = logging.getLogger(__name__)

DEFAULT_PAYMENT_TERMS_DAYS = 14
RETRIES = 3  # a customer another run is billing at the same moment: roll back, read again, find it done
# The playbooks' own setup-cost transaction (Provisioners/tasks/task_setup_transaction.yaml): "<package> - Setup".
PLAYBOOK_SETUP_TITLE = "% - Setup"


@dataclass(frozen=True)
class Period:
    label: str  # YYYY-MM
    start: datetime  # first day 00:00:00
    end: datetime  # last day 23:59:59 (the invoice range end and the charges' `created`)
    next_start: datetime
    days: int

    @property
    def title(self):
        return self.start.strftime("%B %Y")


def period(label=None, now=None):
    """The month `YYYY-MM`, by default the month before `now` (UTC)."""
    if label is None:
        now = now or utcnow()
        year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    else:
        match = re.fullmatch(r"(\d{4})-(\d{2})", label.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
            raise ValueError(f"{label!r} is not a month (YYYY-MM)")
        year, month = int(match.group(1)), int(match.group(2))
    days = calendar.monthrange(year, month)[1]
    start = datetime(year, month, 1)
    next_start = start + timedelta(days=days)
    return Period(f"{year:04d}-{month:02d}", start, next_start - timedelta(seconds=1), next_start, days)


def payment_terms_days():
    days = (current_app.config["CRM"].get("billing") or {}).get("payment_terms_days")
    return int(days) if days not in (None, "") else DEFAULT_PAYMENT_TERMS_DAYS


def recurring_key(period_, service_id):
    return f"R:{period_.label}:{service_id}"


def setup_key(service_id):
    return f"S:{service_id}"


def charged_days(period_, active_date, deactivate_date):
    """Whole UTC days of the month the service was active: activation day in, deactivation day out."""
    first = max(active_date.date(), period_.start.date())
    last = min(deactivate_date.date(), period_.next_start.date()) if deactivate_date else period_.next_start.date()
    return max(0, (last - first).days)


def prorate(amount, days, period_):
    """`amount` for `days` of the month, half-up to cents; a full month is the amount itself."""
    amount = Decimal(amount or 0)
    if days >= period_.days:
        return amount.quantize(CENT, ROUND_HALF_UP)
    return (amount * days / period_.days).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Summary:
    period: str
    customers: int = 0  # customers with something to charge or invoice
    charges: int = 0
    invoices: int = 0
    total: Decimal = Decimal("0.00")  # sum of the issued invoices' totals
    failed: list = field(default_factory=list)  # customer ids whose billing raised (rolled back, retried next run)
    issued: list = field(default_factory=list)  # invoice ids

    def line(self):
        text = (f"Bill run {self.period}: {self.customers} customers, {self.charges} charges, {self.invoices} "
                f"invoices, total {self.total:.2f}")
        return text + (f"; FAILED for customers {', '.join(map(str, self.failed))}" if self.failed else "")


# Reading the work ----------------------------------------------------------------------------------------------

SERVICE_COLUMNS = (Service.service_id, Service.customer_id, Service.product_id, Service.site_id,
                   Service.service_name, Service.service_status, Service.service_active_date,
                   Service.service_deactivate_date, Service.retail_cost, Service.wholesale_cost,
                   Service.service_taxable)


def _billable_services(period_, customer_ids):
    """Billed services of postpaid customers that were active at some moment of the month."""
    stmt = (select(*SERVICE_COLUMNS)
            .join(Customer, Customer.customer_id == Service.customer_id)
            .where(Service.service_billed.is_(True), Service.service_active_date.isnot(None),
                   Service.service_active_date < period_.next_start,
                   or_(Service.service_deactivate_date.is_(None), Service.service_deactivate_date >= period_.start),
                   Customer.customer_payment_type != "prepaid")
            .order_by(Service.customer_id, Service.service_id))
    if customer_ids is not None:
        stmt = stmt.where(Service.customer_id.in_(customer_ids))
    return db.session.execute(stmt).all()


def _products(product_ids):
    if not product_ids:
        return {}
    rows = db.session.execute(select(Product.product_id, Product.product_name, Product.retail_setup_cost,
                                     Product.wholesale_setup_cost, Product.tax_percentage)
                              .where(Product.product_id.in_(sorted(product_ids)))).all()
    return {r.product_id: r for r in rows}


def _existing_keys(period_, new_ids):
    """Charge keys already taken: this month's recurring ones (a range scan of the unique index), the setup ones
    of services activated this month, and services whose playbook recorded their setup cost itself."""
    keys = set(db.session.scalars(select(Transaction.charge_key)
                                  .where(Transaction.charge_key.like(f"R:{period_.label}:%"))))
    new_ids = sorted(new_ids)
    for chunk in (new_ids[i:i + 1000] for i in range(0, len(new_ids), 1000)):
        keys.update(db.session.scalars(select(Transaction.charge_key).where(
            Transaction.charge_key.in_([setup_key(i) for i in chunk]))))
        keys.update(setup_key(i) for i in db.session.scalars(select(Transaction.service_id).where(
            Transaction.service_id.in_(chunk), Transaction.title.like(PLAYBOOK_SETUP_TITLE))))
    return keys


def _unbilled(period_, customer_ids):
    """Unbilled, not voided transactions created up to the month's end, by customer (earlier months' leftovers
    included: they go on this invoice rather than waiting forever)."""
    stmt = (select(Transaction.transaction_id, Transaction.customer_id, Transaction.retail_cost,
                   Transaction.tax_amount)
            .where(Transaction.invoice_id.is_(None), Transaction.void.is_(False), Transaction.created <= period_.end)
            .order_by(Transaction.customer_id, Transaction.created, Transaction.transaction_id))
    if customer_ids is not None:
        stmt = stmt.where(Transaction.customer_id.in_(customer_ids))
    by_customer = defaultdict(list)
    for row in db.session.execute(stmt):
        by_customer[row.customer_id].append(row)
    return by_customer


def _invoiced(period_, customer_ids):
    stmt = select(Invoice.customer_id).where(Invoice.bill_run_period == period_.label)
    if customer_ids is not None:
        stmt = stmt.where(Invoice.customer_id.in_(customer_ids))
    return set(db.session.scalars(stmt))


def _charges(period_, service, product, taken):
    """The transactions to create for one service this month (not yet charged ones only)."""
    rows = []
    tax = Decimal(product.tax_percentage or 0) if (product is not None and service.service_taxable) else Decimal(0)
    ended_without_date = service.service_status in ENDED_STATUSES and service.service_deactivate_date is None
    days = 0 if ended_without_date else charged_days(period_, service.service_active_date,
                                                     service.service_deactivate_date)
    retail = prorate(service.retail_cost, days, period_)
    key = recurring_key(period_, service.service_id)
    if days and retail > 0 and key not in taken:
        span = "the whole month" if days >= period_.days else f"{days} of {period_.days} days"
        rows.append(dict(charge_key=key, title=f"{service.service_name} - {period_.title}",
                         description=f"Monthly charge {period_.start:%Y-%m-%d} to {period_.end:%Y-%m-%d} ({span})",
                         retail_cost=retail, wholesale_cost=prorate(service.wholesale_cost, days, period_),
                         tax_percentage=tax))
    activated = period_.start <= service.service_active_date < period_.next_start
    setup = Decimal(product.retail_setup_cost or 0) if product is not None else Decimal(0)
    key = setup_key(service.service_id)
    if activated and setup > 0 and key not in taken:
        rows.append(dict(charge_key=key, title=f"{product.product_name} - Setup",
                         description=f"Setup costs for {service.service_name}",
                         retail_cost=setup.quantize(CENT, ROUND_HALF_UP),
                         wholesale_cost=Decimal(product.wholesale_setup_cost or 0).quantize(CENT, ROUND_HALF_UP),
                         tax_percentage=tax))
    for row in rows:
        row.update(customer_id=service.customer_id, service_id=service.service_id, site_id=service.site_id,
                   transaction_type="debit", tax_amount=line_tax(row["retail_cost"], tax), created=period_.end,
                   void=False)
    return rows


@dataclass
class Work:
    customer_id: int
    charges: list
    unbilled: list
    invoiced: bool


def plan(period_, customer_ids=None):
    """What the run has to do, per customer, in customer order (read in a handful of queries)."""
    services = _billable_services(period_, customer_ids)
    products = _products({s.product_id for s in services if s.product_id})
    new_ids = {s.service_id for s in services if period_.start <= s.service_active_date < period_.next_start}
    taken = _existing_keys(period_, new_ids)
    charges = defaultdict(list)
    for service in services:
        charges[service.customer_id].extend(_charges(period_, service, products.get(service.product_id), taken))
    unbilled = _unbilled(period_, customer_ids)
    invoiced = _invoiced(period_, customer_ids)
    work = []
    for customer_id in sorted(set(charges) | set(unbilled)):
        item = Work(customer_id, charges.get(customer_id, []), unbilled.get(customer_id, []),
                    customer_id in invoiced)
        if item.charges or (item.unbilled and not item.invoiced):
            work.append(item)
    return work


# Doing it ------------------------------------------------------------------------------------------------------

def _bill_customer(period_, work, due):
    """Charge and invoice one customer in the open database transaction; the caller commits. A charge key taken
    meanwhile fails the charges' INSERT (or waits for the other run's commit, then fails). Returns the invoice id
    and total (or None, 0) and the number of charges."""
    now = utcnow()
    new_rows = [{**values, "last_modified": now} for values in work.charges]
    invoice_id, total = None, Decimal(0)
    if work.invoiced or not (work.unbilled or new_rows):
        if new_rows:
            db.session.execute(insert(Transaction), new_rows)
    else:
        invoice = issue(work.customer_id, default_title(period_.start, period_.end), period_.start, period_.end,
                        due, [r.transaction_id for r in work.unbilled], bill_run_period=period_.label,
                        rows=work.unbilled, new_rows=new_rows)
        invoice_id, total = invoice.invoice_id, Decimal(invoice.retail_cost).quantize(CENT)
    if new_rows:
        charged = sum((r["retail_cost"] for r in new_rows), Decimal(0))
        listed = ", ".join(f"{r['charge_key']} {r['retail_cost']:.2f}" for r in new_rows)
        activity.record("transaction", None, "bill_run",
                        f"Bill run {period_.label}: {len(new_rows)} charge(s) {charged:.2f} ({listed})"
                        + (f" on invoice {invoice_id}" if invoice_id else ""),
                        customer_id=work.customer_id, actor="bill-run")
    return invoice_id, total, len(new_rows)


def _retryable(error):
    """A race with another run: a unique key taken meanwhile, rows billed meanwhile, a lock wait or deadlock."""
    if isinstance(error, (IntegrityError, Conflict)):
        return True
    return isinstance(error, DBAPIError) and getattr(error.orig, "args", (None,))[0] in (1205, 1213)


@contextmanager
def _one_connection():
    """The run's session on one connection for the whole run: each customer still commits, but the connection is
    not handed back to the pool (a reset ROLLBACK) and checked out again (a ping) between customers; that was a
    third of the run's round trips (bench/invoice.py). The caller's own session is put back afterwards."""
    registry = db.session.registry
    previous = registry() if registry.has() else None
    with db.get_engine().connect() as connection:
        session = db.session.session_factory(bind=connection)
        registry.set(session)
        try:
            yield
        finally:
            session.close()
            if previous is not None:
                registry.set(previous)
            else:
                registry.clear()


PARALLEL_FROM = 200  # customers: below this a run is quick anyway and stays in one thread
DEFAULT_WORKERS = 4


def run(period_label=None, customer_id=None, send_email=True, now=None, echo=None, workers=DEFAULT_WORKERS):
    """Bill every customer (or one) for the month; commits per customer. Returns a `Summary`.

    With many customers, `workers` threads (each on its own connection) bill disjoint customers: a customer's
    work is mostly waiting for MariaDB (its COMMIT's log flush), and InnoDB flushes concurrent commits together.
    SQLite has one writer, so it always runs in one thread."""
    period_ = period(period_label, now)
    with _one_connection():
        work = plan(period_, [customer_id] if customer_id is not None else None)
    if db.get_engine().dialect.name == "sqlite" or len(work) < PARALLEL_FROM:
        workers = 1
    summaries = [Summary(period_.label) for _ in range(max(1, workers))]
    if len(summaries) == 1:
        with _one_connection():
            _bill_all(period_, work, summaries[0], send_email, echo)
    else:
        _in_threads(period_, work, summaries, send_email)
    with _one_connection():
        _mark_invoiced(period_)
    return _merge(period_, summaries)


def _mark_invoiced(period_):
    """`Service.invoiced` ("set automatically by the billing system", spec 04 §6): true once a recurring charge of
    the service is on an invoice. Derived from the rows, so a resumed run marks what an interrupted one did not."""
    charged = (select(Transaction.service_id)
               .where(Transaction.charge_key.like(f"R:{period_.label}:%"), Transaction.invoice_id.isnot(None)))
    db.session.execute(update(Service).where(Service.invoiced == false(), Service.service_id.in_(charged))
                       .values(invoiced=True).execution_options(synchronize_session=False))
    db.session.commit()


def _in_threads(period_, work, summaries, send_email):
    app = current_app._get_current_object()
    errors = []

    def bill(chunk, summary):
        try:
            with app.app_context(), _one_connection():
                _bill_all(period_, chunk, summary, send_email, None)
        except BaseException as error:  # noqa: BLE001 - re-raised in the calling thread below
            errors.append(error)
    threads = [threading.Thread(target=bill, args=(work[n::len(summaries)], summary), name=f"bill-run-{n}")
               for n, summary in enumerate(summaries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _merge(period_, summaries):
    total = Summary(period_.label)
    for part in summaries:
        total.customers += part.customers
        total.charges += part.charges
        total.invoices += part.invoices
        total.total += part.total
        total.failed.extend(part.failed)
        total.issued.extend(part.issued)
    total.failed.sort()
    total.issued.sort()
    return total


def _bill_all(period_, work_list, summary, send_email, echo):
    due = period_.next_start + timedelta(days=payment_terms_days())
    for work in work_list:
        for attempt in range(RETRIES):
            try:
                invoice_id, total, charged = _bill_customer(period_, work, due)
                db.session.commit()
                break
            except Exception as error:  # noqa: BLE001 - one customer's failure must not stop the others
                db.session.rollback()
                if _retryable(error) and attempt + 1 < RETRIES:
                    redo = plan(period_, [work.customer_id])
                    if not redo:
                        invoice_id, charged = None, 0
                        break
                    work = redo[0]
                    continue
                log_unexpected(log, error, "Bill run %s failed for customer %s", period_.label, work.customer_id)
                summary.failed.append(work.customer_id)
                invoice_id, charged = None, None
                break
        if charged is None:
            continue
        summary.customers += 1 if (charged or invoice_id is not None) else 0
        summary.charges += charged
        if invoice_id is not None:
            summary.invoices += 1
            summary.total += total
            summary.issued.append(invoice_id)
            if send_email:
                _announce(invoice_id)
        if echo is not None and summary.customers and summary.customers % 5000 == 0:
            echo(f"... {summary.customers} customers")
    return summary


def _announce(invoice_id):
    """Tell the e-mail side (it commits its own outbox row); a failing receiver never undoes the invoice."""
    try:
        events.invoice_issued.send(db.session.get(Invoice, invoice_id))
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        log_unexpected(log, error, "Invoice %s: the invoice_issued receivers failed", invoice_id)

