"""Customer invoices (spec 07 §2, §4.10): preview, generate, detail, void, mark paid, list, statistics.

Money: every line's tax is rounded once, when the transaction is created (half-up to cents); an invoice's tax is
the sum of its lines' taxes and its `retail_cost` is subtotal + tax, so list, detail and PDF show one number.
Billing a transaction is one conditional UPDATE (`invoice_id IS NULL`), so two concurrent generates can never put
the same transaction on two invoices: the loser sees fewer rows updated and rolls back (409).
"""
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import and_, false, func, insert, or_, select, true, update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import customer_scope, ensure_customer_visible
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.billing.service import CENT, _flags, overdue_cutoff, transaction_to_dict
from omnicrm.common.serialize import iso, plain
from omnicrm.common.validation import INT_MAX, Checker
from omnicrm.customers.models import Customer
from omnicrm.customers.service import get_customer
from omnicrm.db import utcnow
from omnicrm.errors import Conflict, NotFound, ValidationError

NO_TRANSACTIONS = "Cannot generate invoice - No transactions found"
# UI label -> credit_type of the negative transaction that records the payment (spec 07 §2.12).
PAYMENT_METHODS = {"Cash": "Cash", "POS Transaction": "POS Transaction", "Bank Transfer": "Bank Transfer",
                   "Refund": "Refund"}


def _period(check):
    """start_date (from 00:00) and end_date (to 23:59:59); start must not be after end."""
    start = check.datetime("start_date", required=True)
    end = check.datetime("end_date", required=True, end_of_day=True)
    if start and end and start > end:
        check.error("end_date", "must not be before start_date")
    return start, end


def unbilled_query(customer_id, start, end):
    """Unbilled, not voided transactions of a customer created within [start, end] (spec 07 §2.9 step 1)."""
    return (select(Transaction)
            .where(Transaction.customer_id == customer_id, Transaction.invoice_id.is_(None),
                   Transaction.void.is_(False), Transaction.created >= start, Transaction.created <= end)
            .order_by(Transaction.created, Transaction.transaction_id))


def totals(rows):
    """Subtotal (sum of retail costs), tax (sum of the lines' rounded taxes) and total, as Decimals."""
    subtotal = sum((Decimal(r.retail_cost or 0) for r in rows), Decimal(0)).quantize(CENT)
    tax = sum((Decimal(r.tax_amount or 0) for r in rows), Decimal(0)).quantize(CENT)
    return {"count": len(rows), "subtotal": subtotal, "tax": tax, "total": subtotal + tax}


def _plain_totals(rows):
    return {k: plain(v) for k, v in totals(rows).items()}


def preview(data):
    """What "Generate" would bill: the unbilled transactions in the range and their totals."""
    check = Checker(data)
    check.reject_unknown(("customer_id", "start_date", "end_date"))
    customer_id = check.integer("customer_id", required=True, minimum=1)
    start, end = _period(check)
    check.done()
    get_customer(customer_id)
    rows = db.session.scalars(unbilled_query(customer_id, start, end)).all()
    return {"customer_id": customer_id, "start_date": iso(start), "end_date": iso(end),
            "transactions": [transaction_to_dict(r) for r in rows], **_plain_totals(rows)}


def _transaction_ids(check):
    """The optional chosen subset: a non-empty list of distinct transaction ids."""
    raw = check.data.get("transaction_ids")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= INT_MAX
                                            for i in raw):
        check.error("transaction_ids", "must be a list of transaction ids")
        return None
    if not raw:
        check.error("transaction_ids", "select at least one transaction")
    return sorted(set(raw))


def default_title(start, end):
    """"Invoice for [Period]": one day for a one-off invoice, else "start to end"."""
    if start.date() == end.date():
        return f"Invoice for {start.date().isoformat()}"
    return f"Invoice for {start.date().isoformat()} to {end.date().isoformat()}"


def generate(data):
    """Create an unpaid invoice from the chosen unbilled transactions (all in the range when none chosen)."""
    check = Checker(data)
    check.reject_unknown(("customer_id", "title", "start_date", "end_date", "due_date", "transaction_ids"))
    customer_id = check.integer("customer_id", required=True, minimum=1)
    title = check.string("title", max_length=255)
    start, end = _period(check)
    due = check.datetime("due_date", required=True)
    chosen = _transaction_ids(check)
    check.done()
    get_customer(customer_id)
    available = set(db.session.scalars(unbilled_query(customer_id, start, end)
                                       .with_only_columns(Transaction.transaction_id)))
    if not available:
        raise ValidationError(NO_TRANSACTIONS, errors={"transaction_ids": "no unbilled transactions in the range"})
    chosen = chosen if chosen is not None else sorted(available)
    outside = [i for i in chosen if i not in available]
    if outside:
        raise ValidationError("Invalid invoice", errors={
            "transaction_ids": f"not unbilled transactions of customer {customer_id} in the range: "
                               f"{', '.join(map(str, outside))}"})
    return issue(customer_id, title or default_title(start, end), start, end, due, chosen)


def issue(customer_id, title, start, end, due, chosen, bill_run_period=None, rows=None, new_rows=()):
    """The invoice over the chosen unbilled transactions (ids the caller found unbilled): one conditional UPDATE
    bills them; if any was billed or voided meanwhile everything rolls back (409). The bill run passes its
    `bill_run_period`, the rows it read (`rows`, so the totals need no second query) and its new charges
    (`new_rows`, column dicts of transactions inserted already on the invoice, in one multi-row INSERT)."""
    known = rows is not None
    invoice = Invoice(customer_id=customer_id, title=title, start_date=start, end_date=end, due_date=due,
                      retail_cost=totals([*rows, *(SimpleNamespace(**r) for r in new_rows)])["total"] if known
                      else Decimal(0), paid=False, void=False, bill_run_period=bill_run_period)
    db.session.add(invoice)
    db.session.flush()
    billed = 0
    if chosen:
        billed = db.session.execute(
            update(Transaction)
            .where(Transaction.transaction_id.in_(chosen), Transaction.customer_id == customer_id,
                   Transaction.invoice_id.is_(None), Transaction.void.is_(False))
            .values(invoice_id=invoice.invoice_id, last_modified=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if billed != len(chosen):
            db.session.rollback()
            raise Conflict("Some of the transactions were billed or voided meanwhile: preview again",
                           errors={"transaction_ids": "changed since the preview"})
    if new_rows:
        db.session.execute(insert(Transaction), [{**r, "invoice_id": invoice.invoice_id} for r in new_rows])
    if not known:
        invoice.retail_cost = totals(lines(invoice))["total"]
    activity.record("invoice", invoice.invoice_id, "create",
                    f"Invoice {invoice.invoice_id} {invoice.title!r} {plain(invoice.retail_cost)} "
                    f"({billed + len(new_rows)} transactions)", customer_id=customer_id)
    return invoice


def get_invoice(invoice_id, visible=True):
    """The invoice, 404 when missing or (for a customer user) another customer's."""
    invoice = db.session.get(Invoice, invoice_id) if 0 < invoice_id <= INT_MAX else None
    if invoice is None:
        raise NotFound(f"Invoice {invoice_id} not found")
    if visible:
        ensure_customer_visible(invoice.customer_id)
    return invoice


def lines(invoice):
    """The invoice's charges and credits, without the transaction recording its payment."""
    stmt = select(Transaction).where(Transaction.invoice_id == invoice.invoice_id)
    for own in (invoice.payment_transaction_id, invoice.refund_transaction_id):
        if own:
            stmt = stmt.where(Transaction.transaction_id != own)
    return db.session.scalars(stmt.order_by(Transaction.created, Transaction.transaction_id)).all()


def status(invoice):
    """Paid / Unpaid / Refunded (spec 07 §2.2.1); `void` is a separate flag."""
    if invoice.refunded:
        return "Refunded"
    return "Paid" if invoice.paid else "Unpaid"


def is_overdue(invoice):
    """Unpaid, not voided and past its due date (the self-care list's "Overdue", spec 07 §2.2.1): an invoice due
    today (a due date is a day, stored as its 00:00 UTC) is overdue from tomorrow, not from the moment it is made."""
    return not invoice.paid and not invoice.void and invoice.due_date is not None \
        and invoice.due_date < overdue_cutoff()


def invoice_to_dict(invoice):
    return {"invoice_id": invoice.invoice_id, "customer_id": invoice.customer_id, "title": invoice.title,
            "start_date": iso(invoice.start_date), "end_date": iso(invoice.end_date),
            "due_date": iso(invoice.due_date), "retail_cost": plain(invoice.retail_cost), "paid": bool(invoice.paid),
            "void": bool(invoice.void), "refunded": bool(invoice.refunded), "status": status(invoice),
            "overdue": is_overdue(invoice),
            "payment_method": invoice.payment_method, "payment_reference": invoice.payment_reference,
            "refund_reference": invoice.refund_reference, "created": iso(invoice.created),
            "last_modified": iso(invoice.last_modified)}


def detail(invoice):
    """The invoice with its transactions, subtotal, tax and total (and the payment transaction, if any)."""
    rows = lines(invoice)
    payment = db.session.get(Transaction, invoice.payment_transaction_id) if invoice.payment_transaction_id \
        else None
    refund = db.session.get(Transaction, invoice.refund_transaction_id) if invoice.refund_transaction_id else None
    return {**invoice_to_dict(invoice), "transactions": [transaction_to_dict(r) for r in rows],
            **_plain_totals(rows), "payment": transaction_to_dict(payment) if payment else None,
            "refund": transaction_to_dict(refund) if refund else None}


def _refuse_closed(invoice, verb, closed=None):
    """409 for a paid or voided invoice: only an open (unpaid, not voided) one can be paid or voided."""
    if (invoice.void or invoice.paid) if closed is None else closed:
        raise Conflict(f"Only an unpaid, not voided invoice can be {verb}",
                       errors={"invoice_id": "is already paid or void"})


def _guarded_update(invoice, verb, **values):
    """Change an open invoice in one conditional UPDATE, so a concurrent void and pay cannot both win."""
    changed = db.session.execute(
        update(Invoice).where(Invoice.invoice_id == invoice.invoice_id, Invoice.paid.is_(False),
                              Invoice.void.is_(False))
        .values(last_modified=utcnow(), **values).execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
    _refuse_closed(invoice, verb, closed=not changed)
    db.session.refresh(invoice)


def void(invoice):
    """Void an unpaid invoice; its transactions become unbilled again and can go on another invoice."""
    _refuse_closed(invoice, "voided")
    _guarded_update(invoice, "voided", void=True)
    released = db.session.execute(
        update(Transaction).where(Transaction.invoice_id == invoice.invoice_id)
        .values(invoice_id=None, last_modified=utcnow()).execution_options(synchronize_session=False)).rowcount
    activity.record("invoice", invoice.invoice_id, "void",
                    f"Invoice {invoice.invoice_id} voided; {released} transactions released",
                    customer_id=invoice.customer_id)
    return invoice


def pay(invoice, data):
    """Mark paid by a staff-entered method: a negative transaction for the total, billed on this invoice so it is
    never invoiced again (spec 07 §2.12)."""
    check = Checker(data)
    check.reject_unknown(("payment_method", "payment_reference", "payment_date"))
    method = check.string("payment_method", required=True, choices=tuple(PAYMENT_METHODS))
    reference = check.string("payment_reference", max_length=255)
    paid_on = check.datetime("payment_date")
    check.done()
    return record_payment(invoice, method, PAYMENT_METHODS[method], reference, paid_on)


def record_payment(invoice, method, credit_type, reference=None, paid_on=None):
    """Mark an open invoice paid and record the money: the one core of every way an invoice is paid (staff-entered
    methods and card payments). 409 when the invoice is paid or voided meanwhile (nothing written)."""
    _refuse_closed(invoice, "paid")
    # The invoice row is locked first (as void does): inserting the payment first would take a shared lock through
    # its foreign key and deadlock with a concurrent void on MariaDB.
    _guarded_update(invoice, "paid", paid=True, payment_method=method, payment_reference=reference)
    total = Decimal(invoice.retail_cost or 0).quantize(CENT)
    payment = Transaction(customer_id=invoice.customer_id, invoice_id=invoice.invoice_id,
                          title=f"Payment for invoice {invoice.invoice_id}",
                          description=f"{method}" + (f", reference {reference}" if reference else ""),
                          transaction_type="credit", credit_type=credit_type, retail_cost=-total,
                          wholesale_cost=Decimal(0), tax_percentage=Decimal(0), tax_amount=Decimal(0),
                          created=paid_on or utcnow())
    db.session.add(payment)
    db.session.flush()
    invoice.payment_transaction_id = payment.transaction_id
    activity.record("invoice", invoice.invoice_id, "pay",
                    f"Invoice {invoice.invoice_id} paid {plain(total)} by {method}", customer_id=invoice.customer_id)
    return invoice


def record_refund(invoice, reference):
    """Mark a paid invoice refunded (full amount, once) and record the money going back: a transaction reversing
    the payment, kept on this invoice so it is never billed. 409 when it was refunded meanwhile."""
    changed = db.session.execute(
        update(Invoice).where(Invoice.invoice_id == invoice.invoice_id, Invoice.paid.is_(True),
                              Invoice.refunded.is_(False))
        .values(refunded=True, refund_reference=reference, last_modified=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
        raise Conflict("The invoice is not paid or was already refunded", errors={"invoice_id": "already refunded"})
    db.session.refresh(invoice)
    total = Decimal(invoice.retail_cost or 0).quantize(CENT)
    refund = Transaction(customer_id=invoice.customer_id, invoice_id=invoice.invoice_id,
                         title=f"Refund of invoice {invoice.invoice_id}",
                         description=f"{invoice.payment_method} refund, reference {reference}",
                         transaction_type="debit", retail_cost=total, wholesale_cost=Decimal(0),
                         tax_percentage=Decimal(0), tax_amount=Decimal(0), created=utcnow())
    db.session.add(refund)
    db.session.flush()
    invoice.refund_transaction_id = refund.transaction_id
    activity.record("invoice", invoice.invoice_id, "refund",
                    f"Invoice {invoice.invoice_id} refunded {plain(total)} ({reference})",
                    customer_id=invoice.customer_id)
    return invoice


# Listing --------------------------------------------------------------------------------------------------------

SORTABLE = {"invoice_id": Invoice.invoice_id, "title": Invoice.title, "due_date": Invoice.due_date,
            "created": Invoice.created, "retail_cost": Invoice.retail_cost, "paid": Invoice.paid}


def _flag_filter(column, name):
    def where(values):
        flags = _flags(name, values)
        return true() if len(flags) == 2 else column.is_(flags.pop()) if flags else false()
    return where


FILTERABLE = {"void": _flag_filter(Invoice.void, "void"), "paid": _flag_filter(Invoice.paid, "paid")}


def list_query(customer_id=None):
    """All invoices, one customer's, or (for a customer user) only its own."""
    stmt = select(Invoice)
    scope = customer_scope()
    if customer_id is not None:
        get_customer(customer_id)
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if scope is not None:
        stmt = stmt.where(Invoice.customer_id == scope)
    return stmt


def search_clause(text):
    """Invoice ID, title and customer name (spec 07 §2.8)."""
    like = f"%{text}%"
    names = select(Customer.customer_id).where(Customer.customer_name.ilike(like))
    clauses = [Invoice.title.ilike(like), Invoice.customer_id.in_(names)]
    if text.isdigit() and int(text) <= INT_MAX:
        clauses.append(Invoice.invoice_id == int(text))
    return or_(*clauses)


# Statistics -----------------------------------------------------------------------------------------------------

def _month_start(day, back=0):
    month = day.year * 12 + day.month - 1 - back
    return datetime(month // 12, month % 12 + 1, 1)


def _trend(current, previous):
    """Percentage change against the previous period; None when there was nothing to compare with."""
    if previous == 0:
        return None
    return plain(((current - previous) / abs(previous) * 100).quantize(CENT))


def statistics(customer_id=None, now=None):
    """The four widgets of spec 07 §2.7 over not voided invoices, with the trend of the two month widgets."""
    base = [Invoice.void.is_(False)]
    if customer_id is not None:
        base.append(Invoice.customer_id == customer_id)
    if customer_scope() is not None:
        base.append(Invoice.customer_id == customer_scope())
    now = now or utcnow()
    this, last, before = _month_start(now), _month_start(now, 1), _month_start(now, 2)

    def widget(*where):
        count, amount = db.session.execute(select(func.count(), func.coalesce(func.sum(Invoice.retail_cost), 0))
                                           .where(and_(*base, *where))).one()
        return {"count": count, "amount": Decimal(amount).quantize(CENT)}

    widgets = {"total": widget(), "unpaid": widget(Invoice.paid.is_(False)),
               "this_month": widget(Invoice.created >= this),
               "last_month": widget(Invoice.created >= last, Invoice.created < this)}
    month_before = widget(Invoice.created >= before, Invoice.created < last)
    widgets["this_month"]["trend_percent"] = _trend(widgets["this_month"]["amount"], widgets["last_month"]["amount"])
    widgets["last_month"]["trend_percent"] = _trend(widgets["last_month"]["amount"], month_before["amount"])
    return {name: {k: plain(v) for k, v in w.items()} for name, w in widgets.items()}
