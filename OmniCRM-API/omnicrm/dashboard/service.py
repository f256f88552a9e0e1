"""The staff home dashboard (spec 01 dashboard; issue 16): every figure in one read, each with the list behind it.

Figures over big tables (invoices, services, stock) are read from the running totals the database triggers keep
(dashboard/models.py): a few dozen rows whatever the size. New customers and failed jobs are range counts on
indexed `created` columns over a month / a day. bench/dashboard.py measures it at scale.
A figure the caller may not see (no permission for the list behind it) is left out.
"""
import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select

from omnicrm import db
from omnicrm.billing.invoices import _month_start
from omnicrm.common.serialize import plain
from omnicrm.customers.models import Customer
from omnicrm.dashboard.models import InvoiceTotal, ServiceCount, StockCount
from omnicrm.db import utcnow
from omnicrm.inventory.models import FREE_STATES, InventoryTemplate
from omnicrm.provisioning.models import STATUS_FAILED, Provision

CENT = Decimal("0.01")
REVENUE_MONTHS = 12
DEFAULT_LOW_STOCK = 10


def _link(path, filters=None, **query):
    """The console URL of the filtered list behind a figure (the list convention's `filters` JSON)."""
    parts = [f"{k}={v}" for k, v in query.items()]
    if filters:
        parts.append("filters=" + json.dumps(filters, separators=(",", ":")))
    return path + ("?" + "&".join(parts) if parts else "")


def _scalar(stmt):
    return db.session.execute(stmt).scalar() or 0


def active_services():
    count = _scalar(select(func.sum(ServiceCount.services)).where(ServiceCount.service_status == "Active"))
    return {"count": int(count), "link": _link("/services", {"service_status": ["Active"]}),
            "api_filter": {"service_status": ["Active"]}}


def new_customers(now):
    start = _month_start(now)
    count = _scalar(select(func.count()).select_from(Customer).where(Customer.created >= start))
    since = start.date().isoformat()
    return {"count": count, "since": since, "link": _link("/customers", {"created_from": [since]}, sort="created",
                                                           order="desc"),
            "api_filter": {"created_from": [since]}}


def revenue(now, months=REVENUE_MONTHS):
    """Invoiced revenue (not voided invoices, by the month they were issued) for the last `months` months, oldest
    first; this month against last month with the change in percent (None when last month was 0)."""
    first = _month_start(now, months - 1).strftime("%Y-%m")
    rows = db.session.execute(
        select(InvoiceTotal.month, func.coalesce(func.sum(InvoiceTotal.amount), 0))
        .where(and_(InvoiceTotal.month >= first, InvoiceTotal.void.is_(False))).group_by(InvoiceTotal.month)).all()
    by_month = {month: Decimal(v) for month, v in rows}
    series = []
    for back in range(months - 1, -1, -1):
        start = _month_start(now, back)
        amount = by_month.get(start.strftime("%Y-%m"), Decimal(0)).quantize(CENT)
        series.append({"month": start.strftime("%Y-%m"), "amount": plain(amount)})
    this, last = Decimal(series[-1]["amount"]), Decimal(series[-2]["amount"]) if months > 1 else Decimal(0)
    trend = None if last == 0 else plain(((this - last) / abs(last) * 100).quantize(CENT))
    return {"this_month": plain(this), "last_month": plain(last), "trend_percent": trend, "by_month": series,
            "link": _link("/billing/invoices")}


def unpaid():
    count, amount = db.session.execute(
        select(func.coalesce(func.sum(InvoiceTotal.invoices), 0), func.coalesce(func.sum(InvoiceTotal.amount), 0))
        .where(InvoiceTotal.paid.is_(False), InvoiceTotal.void.is_(False))).one()
    return {"count": int(count), "amount": plain(Decimal(amount).quantize(CENT)),
            "link": _link("/billing/invoices", {"paid": [False], "void": [False]}),
            "api_filter": {"paid": [False], "void": [False]}}


def failed_provisioning(now):
    since = now - timedelta(hours=24)
    count = _scalar(select(func.count()).select_from(Provision)
                    .where(Provision.provisioning_status == STATUS_FAILED, Provision.created >= since))
    return {"count": count, "since": since.isoformat(timespec="seconds"),
            "link": _link("/provisioning", {"provisioning_status": [STATUS_FAILED]}),
            "api_filter": {"provisioning_status": [STATUS_FAILED]}}


def low_stock(threshold):
    """Templates with fewer than `threshold` items free to sell (New or In Stock), fewest first."""
    free = (select(StockCount.inventory_template_id.label("tid"), func.sum(StockCount.items).label("n"))
            .where(StockCount.item_state.in_(FREE_STATES)).group_by(StockCount.inventory_template_id).subquery())
    rows = db.session.execute(
        select(InventoryTemplate.inventory_template_id, InventoryTemplate.item, func.coalesce(free.c.n, 0))
        .outerjoin(free, free.c.tid == InventoryTemplate.inventory_template_id)
        .where(func.coalesce(free.c.n, 0) < threshold)
        .order_by(func.coalesce(free.c.n, 0), InventoryTemplate.item)).all()
    items = [{"inventory_template_id": tid, "item": item, "available": int(n),
              "link": _link("/inventory", {"inventory_template_id": [tid], "item_state": list(FREE_STATES)})}
             for tid, item, n in rows]
    return {"threshold": threshold, "count": len(items), "templates": items, "link": _link("/inventory")}


def expiring_cards(now):
    from omnicrm.payments.expiring import due_count
    return {"count": due_count(now.date()), "link": _link("/billing/expiring-cards")}


# Figure -> the permission of the list it links to (a figure the caller cannot open is left out).
FIGURES = {"active_services": "view_customer_service", "new_customers": "view_customer",
           "revenue": "view_customer_invoice", "unpaid": "view_customer_invoice",
           "failed_provisioning": "view_provision", "low_stock": "view_inventory",
           "expiring_cards": "view_customer_stripe_card"}


def dashboard(allowed=lambda permission: True, now=None, low_stock_threshold=DEFAULT_LOW_STOCK):
    """All figures the caller may see, computed now."""
    now = now or utcnow()
    compute = {"active_services": active_services, "new_customers": lambda: new_customers(now),
               "revenue": lambda: revenue(now), "unpaid": unpaid,
               "failed_provisioning": lambda: failed_provisioning(now),
               "low_stock": lambda: low_stock(low_stock_threshold), "expiring_cards": lambda: expiring_cards(now)}
    body = {"generated": now.isoformat(timespec="seconds")}
    for name, permission in FIGURES.items():
        if allowed(permission):
            body[name] = compute[name]()
    return body
