"""What a customer owes (issue #14 point 5): `amount_owed` (sum of unpaid, not voided invoices), `overdue_amount` and
`overdue_invoices` (those of them past their due date, UTC), for the customer record and the customer list.

Every query here reads only open invoices through `ix_Invoice_open_customer` (paid, void, customer_id, due_date,
retail_cost): a covering index, so the figures of a page of customers, the owes/overdue filters and the
`amount_owed` sort read only the open invoices' index range, never the Invoice table (docs/decisions.md,
"Amount owed").
"""
from decimal import Decimal

from sqlalchemy import case, false, func, not_, or_, select

from omnicrm import db
from omnicrm.billing.models import Invoice
from omnicrm.billing.service import CENT, _flags, overdue_cutoff
from omnicrm.common.serialize import plain

FIELDS = ("amount_owed", "overdue_amount", "overdue_invoices")


def _open():
    # `= false`, not `IS false`: MariaDB reads `paid = 0 AND void = 0` as a range of ix_Invoice_open_customer,
    # while `IS false` made it scan the whole index (EXPLAIN, docs/decisions.md "Amount owed").
    return Invoice.paid == false(), Invoice.void == false()


def figures(customer_ids, now=None):
    """{customer_id: {"amount_owed", "overdue_amount", "overdue_invoices"}} for the given customers, JSON-ready
    (money as the project's Decimal text); customers without open invoices get zeros."""
    result = {cid: {"amount_owed": "0.00", "overdue_amount": "0.00", "overdue_invoices": 0} for cid in customer_ids}
    if not customer_ids:
        return result
    overdue = Invoice.due_date < overdue_cutoff(now)
    rows = db.session.execute(
        select(Invoice.customer_id, func.sum(Invoice.retail_cost),
               func.sum(case((overdue, Invoice.retail_cost), else_=0)),
               func.sum(case((overdue, 1), else_=0)))
        .where(*_open(), Invoice.customer_id.in_(list(customer_ids)))
        .group_by(Invoice.customer_id))
    for customer_id, owed, late, late_count in rows:
        result[customer_id] = {"amount_owed": plain(Decimal(owed or 0).quantize(CENT)),
                               "overdue_amount": plain(Decimal(late or 0).quantize(CENT)),
                               "overdue_invoices": int(late_count or 0)}
    return result


def open_totals():
    """(customer_id, owed) of every customer with an open invoice: a GROUP BY over the open-invoice index range,
    joined to the customer list for the owes filter and the amount_owed sort (a correlated subquery per customer
    made MariaDB compute it for every customer of the list before sorting)."""
    return (select(Invoice.customer_id.label("customer_id"), func.sum(Invoice.retail_cost).label("owed"))
            .where(*_open()).group_by(Invoice.customer_id).subquery("open_totals"))


def join_owed(stmt, customer_id_column, owes_values, sort):
    """The list statement joined to `open_totals` when the `owes` filter or the `amount_owed` sort needs it, and
    the sort expression (None when not sorting by it)."""
    flags = _flags("owes", owes_values) if owes_values is not None else {True, False}
    if not flags:  # an empty value list matches nobody (as the other list filters)
        stmt, flags = stmt.where(false()), {True, False}
    if flags == {True, False} and not sort:
        return stmt, None
    totals = open_totals()
    on = totals.c.customer_id == customer_id_column
    if flags == {True}:
        stmt = stmt.join(totals, on).where(totals.c.owed > 0)
    else:
        stmt = stmt.outerjoin(totals, on)
        if flags == {False}:
            stmt = stmt.where(or_(totals.c.owed.is_(None), totals.c.owed <= 0))
    return stmt, func.coalesce(totals.c.owed, 0) if sort else None


def overdue_filter(customer_id_column, values, now=None):
    """`overdue`: true = at least one unpaid, not voided invoice past its due date; false = none."""
    flags = _flags("overdue", values)
    late = customer_id_column.in_(select(Invoice.customer_id).where(*_open(), Invoice.due_date < overdue_cutoff(now)))
    return _choose(flags, late)


def _choose(flags, clause):
    if not flags:
        return false()
    if len(flags) == 2:
        return None
    return clause if flags.pop() else not_(clause)
