"""Global search (spec 05 §9): one list of customers, contacts, sites, services and inventory items.

The query is turned into terms; every term has a few spellings ("07700900123" is also "7700900123" and
"447700900123"), and a record matches when each term is a prefix of one of its tokens in Search_Index. Only the
page asked for is then read from the record tables for its display name.
"""
import math
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import and_, case, func, literal, or_, select, union_all

from omnicrm import db
from omnicrm.customers.models import Contact, Customer, Site
from omnicrm.inventory.models import Inventory
from omnicrm.services.models import Service
from omnicrm.utilities.models import SearchIndex
from omnicrm.utilities.search_index import TOKEN_LENGTH, _WORD, compact, fold

TYPE_ORDER = {"customer": 0, "contact": 1, "site": 2, "service": 3, "inventory": 4}
# Matches are counted up to this many; a broader query ("jo" at a million customers) reports total_items
# COUNT_CAP with total_is_estimate, which is all a person paging through ten results at a time needs to know.
COUNT_CAP = 1000
_PHONE_QUERY = set("0123456789+-() .")


@dataclass
class Hit:
    entity_type: str
    entity_id: int
    customer_id: int | None


def _digit_spellings(query, region):
    """A phone number as typed in national or international form, as the E.164 digits it may be a part of."""
    digits = "".join(c for c in query if c.isdigit())
    spellings = {digits}
    if query.strip().startswith("+"):
        return spellings
    if digits.startswith("00"):
        spellings.add(digits[2:])
    elif digits.startswith("0"):
        spellings.add(digits[1:])  # trunk prefix: the rest is the end of the E.164 number
    try:
        number = phonenumbers.parse(query, region)
        spellings.add(f"{number.country_code}{number.national_number}")
    except phonenumbers.NumberParseException:
        pass
    return spellings


def query_terms(query, region="GB"):
    """[[spellings of term 1], [spellings of term 2], ...]; every term must match."""
    raw = (query or "").strip()
    folded = fold(raw)
    if not folded:
        return []
    if set(raw) <= _PHONE_QUERY and sum(c.isdigit() for c in raw) >= 4:
        return [sorted(s[:TOKEN_LENGTH] for s in _digit_spellings(raw, region) if s)]
    if not any(c.isspace() for c in folded):
        spellings = {folded[:TOKEN_LENGTH]}
        ident = compact(folded)
        if ident and ident != folded:
            spellings.add(ident[:TOKEN_LENGTH])
        return [sorted(spellings)]
    parts = [w[:TOKEN_LENGTH] for w in _WORD.findall(folded)]
    if len(parts) > 1:
        parts = [p for p in parts if len(p) > 1] or parts
    return [[p] for p in dict.fromkeys(parts)]


def _prefix(column, prefix):
    """`column LIKE 'prefix%'` written as a range, which both databases answer from the index."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def _matches(terms, include_closed, customer_id=None):
    """SELECT entity_type, entity_id, customer_id of the records matching every term (one row each)."""
    conditions = [or_(*(_prefix(SearchIndex.token, s) for s in spellings)) for spellings in terms]
    stmt = select(SearchIndex.entity_type, SearchIndex.entity_id,
                  func.max(SearchIndex.customer_id).label("customer_id")).where(or_(*conditions))
    if not include_closed:
        stmt = stmt.where(SearchIndex.is_open.is_(True))
    if customer_id is not None:
        stmt = stmt.where(SearchIndex.customer_id == customer_id)
    stmt = stmt.group_by(SearchIndex.entity_type, SearchIndex.entity_id)
    if len(terms) > 1:
        which = case(*((cond, i) for i, cond in enumerate(conditions)))
        stmt = stmt.having(func.count(func.distinct(which)) == len(terms))
    return stmt


def _display_names(hits):
    """{(type, id): name} for one page of hits, one query per entity type."""
    by_type = {}
    for hit in hits:
        by_type.setdefault(hit.entity_type, []).append(hit.entity_id)
    names = {}
    sources = {
        "customer": (Customer.customer_id, Customer.customer_name),
        "contact": (Contact.contact_id, func.trim(Contact.contact_firstname + literal(" ")
                                                  + func.coalesce(Contact.contact_lastname, ""))),
        "site": (Site.site_id, Site.site_name),
        "service": (Service.service_id, Service.service_name),
        "inventory": (Inventory.inventory_id, Inventory.itemtext1),
    }
    for entity_type, ids in by_type.items():
        id_column, name_column = sources[entity_type]
        for entity_id, name in db.session.execute(select(id_column, name_column).where(id_column.in_(ids))):
            names[(entity_type, entity_id)] = name
    return names


def search_everything(query, page=1, per_page=10, include_closed=False, customer_id=None, region="GB"):
    """The spec's response: {"data": [{id, name, customer_id, type}], "pagination": {...}}.

    Order: customers, contacts, sites, services, inventory; within a type, oldest record first.
    `customer_id` limits the search to one customer (customer users see only their own records).
    """
    terms = query_terms(query, region)
    if not terms:
        return _response([], page, per_page, 0)
    matches = _matches(terms, include_closed, customer_id).subquery()
    rank = case(*((matches.c.entity_type == t, n) for t, n in TYPE_ORDER.items()))
    offset = (page - 1) * per_page
    # One pass gives the page and the count: the first COUNT_CAP + 1 matches in display order.
    rows = db.session.execute(select(matches.c.entity_type, matches.c.entity_id, matches.c.customer_id)
                              .order_by(rank, matches.c.entity_id)
                              .limit(max(COUNT_CAP + 1, offset + per_page))).all()
    hits = [Hit(*row) for row in rows[offset:offset + per_page]]
    names = _display_names(hits)
    data = [{"id": h.entity_id, "name": names.get((h.entity_type, h.entity_id)), "customer_id": h.customer_id,
             "type": h.entity_type} for h in hits]
    return _response(data, page, per_page, min(len(rows), COUNT_CAP), estimate=len(rows) > COUNT_CAP)


def _response(data, page, per_page, total, estimate=False):
    """The spec's pagination; a count stopped at COUNT_CAP says so with `total_is_estimate: true`."""
    pagination = {"current_page": page, "per_page": per_page,
                  "total_pages": math.ceil(total / per_page) if total else 0, "total_items": total}
    if estimate:
        pagination["total_is_estimate"] = True
    return {"data": data, "pagination": pagination}


def reference_search(query, page=1, per_page=10):
    """The spec's own query (spec 05 §9.6): UNION ALL of LIKE '%term%' over five tables. Kept for the
    benchmark that shows what Search_Index buys; the API never uses it."""
    like = f"%{query}%"
    name = func.concat(Contact.contact_firstname, " ", Contact.contact_lastname) \
        if db.session.get_bind().dialect.name != "sqlite" \
        else Contact.contact_firstname + " " + Contact.contact_lastname
    parts = union_all(
        select(Customer.customer_id.label("id"), Customer.customer_name.label("name"),
               Customer.customer_id.label("customer_id"), literal("customer").label("type"))
        .where(Customer.customer_name.like(like), Customer.customer_status == "Open"),
        select(Contact.contact_id, name, Contact.customer_id, literal("contact"))
        .where(or_(Contact.contact_firstname.like(like), Contact.contact_lastname.like(like),
                   Contact.contact_email.like(like), Contact.contact_phone.like(like))),
        select(Site.site_id, Site.site_name, Site.customer_id, literal("site")).where(Site.site_name.like(like)),
        select(Inventory.inventory_id, Inventory.itemtext1, Inventory.customer_id, literal("inventory"))
        .where(or_(Inventory.itemtext1.like(like), Inventory.itemtext2.like(like))),
        select(Service.service_id, Service.service_name, Service.customer_id, literal("service"))
        .where(or_(Service.service_name.like(like), Service.service_uuid.like(like))),
    ).subquery()
    total = db.session.scalar(select(func.count()).select_from(parts))
    rows = db.session.execute(select(parts).limit(per_page).offset((page - 1) * per_page)).all()
    return _response([dict(r._mapping) for r in rows], page, per_page, total)
