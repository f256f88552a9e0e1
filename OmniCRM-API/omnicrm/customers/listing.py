"""The customer list: the common list convention with the customer filters, sized for a million customers.

- Search (name or id) goes through Search_Index (word prefixes), never `LIKE '%x%'` over the table.
- `total_items` for filters on status / account type / payment type only is read from Customer_Count instead of
  counting hundreds of thousands of rows on every page; any other filter counts for real up to COUNT_CAP.
- Status filter + sort use the (customer_status, column) indexes, so the first pages read only a few rows.
"""
from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload

from omnicrm import db
from omnicrm.auth.identity import customer_scope
from omnicrm.billing import owed
from omnicrm.common.listing import COUNT_CAP, list_response
from omnicrm.common.validation import parse_datetime
from omnicrm.customers.models import Customer, CustomerAttribute, CustomerCount, CustomerTag
from omnicrm.customers.service import customer_to_dict
from omnicrm.db import utcnow
from omnicrm.errors import ValidationError
from omnicrm.utilities.models import SearchIndex
from omnicrm.utilities.search import _prefix, query_terms

SORTABLE = {name: getattr(Customer, name) for name in (
    "customer_id", "customer_name", "customer_status", "customer_account_type", "customer_payment_type",
    "customer_enabled", "tax_identifier", "contract_start_date", "contract_end_date", "created", "last_modified")}
# Sorts computed per row rather than read from a column (what the customer owes, billing/owed.py).
COMPUTED_SORTS = ("amount_owed",)
COUNTED_FILTERS = ("customer_status", "customer_account_type", "customer_payment_type")
SIMPLE_FILTERS = (*COUNTED_FILTERS, "customer_id")


def _date_bound(name, values, end_of_day, errors):
    value = parse_datetime(str(values[0]), end_of_day=end_of_day) if values else None
    if value is None:
        errors[f"filters.{name}"] = "must be a date (YYYY-MM-DD) or date-time"
    return value


def _active_tags(tags):
    now = utcnow()
    return CustomerTag.tag_text.in_(tags), CustomerTag.tag_active_date <= now, CustomerTag.tag_deactivate_date > now


def _tag_filter(tags):
    """Customers holding one of the tags now, written for how many hold it.

    A rare tag (at most COUNT_CAP rows) is a small set: collect it, then sort those customers. A common one
    ("VIP" on 60,000 of a million customers) is a probe of the customer's tags per customer while the list walks
    its sorted index, so a page reads a few hundred customers; collecting 60,000 and sorting them is what made the
    tag-filtered list slow. A correlated count subquery keeps MariaDB from flattening the probe back into a
    semi-join. (The count goes the other way, from the tag index: see `_count`.)
    """
    holders = db.session.scalar(select(func.count()).select_from(
        select(CustomerTag.tag_id).where(CustomerTag.tag_text.in_(tags)).limit(COUNT_CAP + 1).subquery()))
    if holders <= COUNT_CAP:
        return Customer.customer_id.in_(select(CustomerTag.customer_id).where(*_active_tags(tags)))
    held = select(func.count()).where(CustomerTag.customer_id == Customer.customer_id, *_active_tags(tags))
    return held.correlate(Customer).scalar_subquery() > 0


def _count(stmt, tags):
    """(total, estimate): the matching customers counted up to COUNT_CAP + 1 (tag holders joined from the tag
    index, which stops after COUNT_CAP + 1 customers whatever the tag's popularity)."""
    ids = stmt.with_only_columns(Customer.customer_id).order_by(None)
    if tags:
        ids = ids.join(CustomerTag, CustomerTag.customer_id == Customer.customer_id).where(*_active_tags(tags)) \
            .distinct()
    total = db.session.scalar(select(func.count()).select_from(ids.limit(COUNT_CAP + 1).subquery()))
    return min(total, COUNT_CAP), total > COUNT_CAP


def _attribute_filter(name, values):
    return Customer.customer_id.in_(select(CustomerAttribute.customer_id).where(
        CustomerAttribute.attribute_name == name, CustomerAttribute.attribute_value.in_([str(v) for v in values])))


def _search_filter(text):
    """Name word prefixes (every word must match) or, for a number, the customer id."""
    def customer_tokens(spellings):
        return select(SearchIndex.entity_id).where(SearchIndex.entity_type == "customer",
                                                   or_(*(_prefix(SearchIndex.token, s) for s in spellings)))
    clauses = [Customer.customer_id == int(text)] if text.isdigit() else []
    terms = query_terms(text)
    if terms:
        matching = customer_tokens(terms[0])
        for spellings in terms[1:]:
            matching = matching.where(SearchIndex.entity_id.in_(customer_tokens(spellings)))
        clauses.append(Customer.customer_id.in_(matching))
    return or_(*clauses)


def list_customers(params):
    """GET /customers: {"data": [...], "pagination": {...}}; archived customers only when filtered for."""
    stmt = select(Customer).options(lazyload("*"))  # list rows need no contacts/sites
    errors, tags = {}, None
    counted = True
    for name, values in params.filters.items():
        if name in SIMPLE_FILTERS:
            stmt = stmt.where(getattr(Customer, name).in_(values))
            counted = counted and name in COUNTED_FILTERS
        elif name == "customer_enabled":
            stmt = stmt.where(Customer.customer_enabled.in_([v in (True, "true", 1, "1") for v in values]))
            counted = False
        elif name == "tag":
            tags, counted = [str(v) for v in values], False
        elif name.startswith("attribute.") and len(name) > len("attribute."):
            stmt, counted = stmt.where(_attribute_filter(name[len("attribute."):], values)), False
        elif name == "owes":
            counted = False  # joined below, with the amount_owed sort
        elif name == "overdue":
            clause = owed.overdue_filter(Customer.customer_id, values)
            if clause is not None:
                stmt, counted = stmt.where(clause), False
        elif name in ("created_from", "created_to"):
            bound, counted = _date_bound(name, values, name == "created_to", errors), False
            if bound is not None:  # else the error is reported below
                stmt = stmt.where(Customer.created >= bound if name == "created_from" else Customer.created <= bound)
        else:
            errors[f"filters.{name}"] = ("unknown filter; allowed: customer_status, customer_account_type, "
                                         "customer_payment_type, customer_enabled, customer_id, tag, "
                                         "attribute.<name>, created_from, created_to, owes, overdue")
    sort_name = params.sort or "customer_id"
    if sort_name not in SORTABLE and sort_name not in COMPUTED_SORTS:
        errors["sort"] = f"cannot sort by {sort_name!r}; allowed: {', '.join(sorted([*SORTABLE, *COMPUTED_SORTS]))}"
    if errors:
        raise ValidationError("Invalid list parameters", errors=errors)
    stmt, owed_sort = owed.join_owed(stmt, Customer.customer_id, params.filters.get("owes"),
                                     sort=sort_name == "amount_owed")
    if "customer_status" not in params.filters:
        stmt = stmt.where(Customer.customer_status != "Archived")
    scope = customer_scope()
    if scope is not None:
        stmt, counted = stmt.where(Customer.customer_id == scope), False
    if params.search:
        stmt, counted = stmt.where(_search_filter(params.search)), False
    total, estimate = (_count_from_table(params.filters), False) if counted else _count(stmt, tags)
    if tags:
        stmt = stmt.where(_tag_filter(tags))
    column = SORTABLE[sort_name] if sort_name in SORTABLE else owed_sort
    order = [column.desc() if params.order == "desc" else column.asc()]
    if sort_name != "customer_id":
        order.append(Customer.customer_id.desc() if params.order == "desc" else Customer.customer_id.asc())
    rows = db.session.scalars(stmt.order_by(*order).limit(params.per_page)
                              .offset((params.page - 1) * params.per_page)).all()
    page_owed = owed.figures([c.customer_id for c in rows])
    return list_response([customer_to_dict(c, owed=page_owed[c.customer_id]) for c in rows], params, total,
                         estimate)


def _count_from_table(filters):
    stmt = select(func.coalesce(func.sum(CustomerCount.customers), 0))
    for name in COUNTED_FILTERS:
        if name in filters:
            stmt = stmt.where(getattr(CustomerCount, name).in_(filters[name]))
    if "customer_status" not in filters:
        stmt = stmt.where(CustomerCount.customer_status != "Archived")
    return int(db.session.scalar(stmt))
