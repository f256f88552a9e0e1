"""Customer transactions (spec 07 §4): create, read, list per customer, void.

Minimal by design: what provisioning playbooks need to charge setup costs and roll a charge back (spec 03 §12.8
step 9, spec 06 §8.2 task 11). Invoicing builds on these rows.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import false, or_, select, true

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.billing.models import CREDIT_TYPES, TRANSACTION_TYPES, Transaction
from omnicrm.common.serialize import iso, plain
from omnicrm.common.validation import Checker
from omnicrm.db import utcnow
from omnicrm.customers.models import Customer, Site
from omnicrm.errors import Conflict, NotFound, ValidationError
from omnicrm.services.models import Service

CENT = Decimal("0.01")
FIELDS = ("customer_id", "service_id", "site_id", "invoice_id", "title", "description", "transaction_type",
          "credit_type", "retail_cost", "wholesale_cost", "tax_percentage", "created")


def overdue_cutoff(now=None):
    """Unpaid invoices due before this moment are overdue: a due date is a day (stored as its 00:00 UTC), so an
    invoice due today is overdue from tomorrow. The one rule for the invoice list, amounts owed and the portal."""
    return (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)


def line_tax(retail_cost, tax_percentage):
    """The tax of one line, rounded once: half-up to cents (docs/decisions.md, Billing); invoices sum these."""
    return (Decimal(retail_cost) * Decimal(tax_percentage) / 100).quantize(CENT, ROUND_HALF_UP)


def _default_tax(service):
    """The tax of the service's product, else 0 (spec 07 §4.9)."""
    if service is None or not service.product_id:
        return Decimal(0)
    from omnicrm.products.models import Product
    product = db.session.get(Product, service.product_id)
    return Decimal(str(product.tax_percentage or 0)) if product is not None else Decimal(0)


def create_transaction(data):
    """A debit (positive) or credit (stored negative, no tax); `invoice_id` must be null: invoicing sets it."""
    check = Checker(data)
    check.reject_unknown(FIELDS, read_only=("transaction_id", "tax_amount", "void", "last_modified"))
    customer_id = check.integer("customer_id", required=True, minimum=1)
    service_id = check.integer("service_id", minimum=1)
    site_id = check.integer("site_id", minimum=1)
    if data.get("invoice_id") not in (None, ""):
        check.error("invoice_id", "must be null: a transaction joins an invoice when the invoice is generated")
    check.string("title", required=True, max_length=255)
    check.string("description", max_length=5000)
    kind = check.string("transaction_type", choices=TRANSACTION_TYPES) or "debit"
    credit_type = check.string("credit_type", max_length=30)
    retail = check.money("retail_cost", required=True, minimum=None)
    if retail is not None and retail < 0:
        check.error("retail_cost", "must not be negative (a credit is entered positive and stored negative)")
    check.money("wholesale_cost")
    tax = check.decimal("tax_percentage", minimum=Decimal(0), maximum=Decimal(100))
    check.datetime("created")
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer_id and customer is None:
        check.error("customer_id", f"customer {customer_id} does not exist")
    service = db.session.get(Service, service_id) if service_id else None
    if service_id and (service is None or service.customer_id != customer_id):
        check.error("service_id", f"service {service_id} is not a service of customer {customer_id}")
    site = db.session.get(Site, site_id) if site_id else None
    if site_id and (site is None or site.customer_id != customer_id):
        check.error("site_id", f"site {site_id} is not a site of customer {customer_id}")
    if kind == "credit" and credit_type not in CREDIT_TYPES:
        check.error("credit_type", f"a credit needs one of: {', '.join(CREDIT_TYPES)}")
    if kind == "credit" and retail == 0:  # a debit may be 0.00: playbooks record free setup fees (06 §8.2)
        check.error("retail_cost", "a credit must be more than 0")
    values = check.done()
    values.pop("invoice_id", None)
    row = Transaction(**{k: v for k, v in values.items() if v is not None})
    row.transaction_type = kind
    retail = retail.quantize(CENT, ROUND_HALF_UP)
    row.wholesale_cost = (values.get("wholesale_cost") or Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    if kind == "credit":
        row.retail_cost, row.tax_percentage, row.tax_amount = -retail, Decimal(0), Decimal(0)
    else:
        row.credit_type = None
        row.tax_percentage = tax if tax is not None else _default_tax(service)
        row.retail_cost = retail
        row.tax_amount = line_tax(retail, row.tax_percentage)
    db.session.add(row)
    db.session.flush()
    activity.record("transaction", row.transaction_id, "create",
                    f"Transaction {row.transaction_id} {row.title!r} {row.retail_cost}", customer_id=customer_id,
                    changes={k: {"before": None, "after": v} for k, v in transaction_to_dict(row).items()
                             if k not in ("transaction_id", "created", "last_modified") and v is not None})
    return row


def get_transaction(transaction_id):
    row = db.session.get(Transaction, transaction_id)
    if row is None:
        raise NotFound(f"Transaction {transaction_id} not found")
    return row


def void_transaction(row):
    """Void an unbilled transaction (billed ones need a credit instead); voiding twice is harmless."""
    if row.invoice_id is not None:
        raise Conflict("An invoiced transaction cannot be voided: add a credit instead",
                       errors={"invoice_id": f"is {row.invoice_id}"})
    if not row.void:
        row.void = True
        activity.record("transaction", row.transaction_id, "void",
                        f"Transaction {row.transaction_id} {row.title!r} voided", customer_id=row.customer_id)
    return row


def customer_transactions_query(customer_id):
    if db.session.get(Customer, customer_id) is None:
        raise NotFound(f"Customer {customer_id} not found")
    return select(Transaction).where(Transaction.customer_id == customer_id)


def _flags(name, values):
    """Filter values as booleans: true/false, 1/0, yes/no (JSON or text); anything else is a 400."""
    flags = set()
    for value in values:
        text = str(value).strip().lower()
        if text not in ("true", "1", "yes", "false", "0", "no"):
            raise ValidationError("Invalid list parameters", errors={f"filters.{name}": "values must be true or false"})
        flags.add(text in ("true", "1", "yes"))
    return flags


def void_filter(values):
    flags = _flags("void", values)
    return true() if len(flags) == 2 else Transaction.void.is_(flags.pop()) if flags else false()


def billed_filter(values):
    """Billed = on an invoice (`invoice_id` set), unbilled = not yet (spec 07 §4.10)."""
    flags = _flags("billed", values)
    if len(flags) == 2:
        return true()
    if not flags:
        return false()
    return Transaction.invoice_id.isnot(None) if flags.pop() else Transaction.invoice_id.is_(None)


def search_clause(text):
    """Spec 07 §4.5: transaction ID, title, description, invoice ID."""
    like = f"%{text}%"
    clauses = [Transaction.title.ilike(like), Transaction.description.ilike(like)]
    if text.isdigit():
        clauses += [Transaction.transaction_id == int(text), Transaction.invoice_id == int(text)]
    return or_(*clauses)


def hide_void_by_default(params):
    """Voided rows are hidden unless the caller filters on `void` (spec 07 §4.8: "visible with Voided filter")."""
    if "void" not in params.filters:
        params.filters["void"] = [False]
    return params


def transaction_to_dict(row):
    return {"transaction_id": row.transaction_id, "customer_id": row.customer_id, "service_id": row.service_id,
            "site_id": row.site_id, "invoice_id": row.invoice_id, "title": row.title,
            "description": row.description, "transaction_type": row.transaction_type,
            "credit_type": row.credit_type, "retail_cost": plain(row.retail_cost),
            "wholesale_cost": plain(row.wholesale_cost), "tax_percentage": plain(row.tax_percentage),
            "tax_amount": plain(row.tax_amount), "void": bool(row.void), "created": iso(row.created),
            "last_modified": iso(row.last_modified)}


def all_transactions_query():
    """Every customer's transactions (the system-wide Billing → Transactions list, spec 07 §4.3); a customer user
    sees only its own."""
    from omnicrm.auth.identity import customer_scope
    stmt = select(Transaction)
    if customer_scope() is not None:
        stmt = stmt.where(Transaction.customer_id == customer_scope())
    return stmt


def statistics(customer_id=None, now=None):
    """The four widgets of spec 07 §4.4 over not voided transactions: total, unbilled, this month and last month
    (sums of retail cost, with counts), the month widgets with their change in percent."""
    from sqlalchemy import and_, func

    from omnicrm.auth.identity import customer_scope
    from omnicrm.billing.invoices import _month_start, _trend
    from omnicrm.db import utcnow
    base = [Transaction.void.is_(False)]
    if customer_id is not None:
        base.append(Transaction.customer_id == customer_id)
    if customer_scope() is not None:
        base.append(Transaction.customer_id == customer_scope())
    now = now or utcnow()
    this, last, before = _month_start(now), _month_start(now, 1), _month_start(now, 2)

    def widget(*where):
        count, amount = db.session.execute(select(func.count(), func.coalesce(func.sum(Transaction.retail_cost), 0))
                                           .where(and_(*base, *where))).one()
        return {"count": count, "amount": Decimal(amount).quantize(CENT)}

    widgets = {"total": widget(), "unbilled": widget(Transaction.invoice_id.is_(None)),
               "this_month": widget(Transaction.created >= this),
               "last_month": widget(Transaction.created >= last, Transaction.created < this)}
    month_before = widget(Transaction.created >= before, Transaction.created < last)
    widgets["this_month"]["trend_percent"] = _trend(widgets["this_month"]["amount"], widgets["last_month"]["amount"])
    widgets["last_month"]["trend_percent"] = _trend(widgets["last_month"]["amount"], month_before["amount"])
    return {name: {k: plain(v) for k, v in w.items()} for name, w in widgets.items()}
