"""Global search (spec 05 §9): one list of customers, contacts, sites, services and inventory items.

The query is turned into terms; every term has a few spellings ("07700900123" is also "7700900123" and
"447700900123"), and a record matches when each term is a prefix of one of its tokens in Search_Index. The rarest
term is read along the index in display order and the others are checked on its rows, stopping after the page and
the capped count; only that page is then read from the record tables for its display names.
"""
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import and_, bindparam, exists, func, literal, or_, select, union_all

from omnicrm import db
from omnicrm.common.listing import COUNT_CAP, ListParams, list_response
from omnicrm.customers.models import Contact, Customer, Site
from omnicrm.inventory.models import Inventory
from omnicrm.services.models import Service
from omnicrm.utilities.models import SearchIndex
from omnicrm.utilities.search_index import TOKEN_LENGTH, _WORD, compact, fold

TYPE_ORDER = {"customer": 0, "contact": 1, "site": 2, "service": 3, "inventory": 4}
RAREST_PROBE = 5000  # index rows counted per query word to pick the rarest one, where no estimate is at hand
_PHONE_QUERY = set("0123456789+-() .")
INDEX = SearchIndex.__table__  # Core columns: these statements are built per search, and ORM attributes cost more


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


def _any_prefix(column, spellings):
    return or_(*(_prefix(column, s) for s in spellings))


def _estimated_rows(stmt):
    """How many index rows `stmt` reads. MariaDB/MySQL answer from the optimizer's index dives (EXPLAIN, well under
    a millisecond, right within a factor of two or three); other databases (SQLite: small, embedded) count up to
    RAREST_PROBE rows."""
    bind = db.session.get_bind()
    if bind.dialect.name != "mysql":
        return db.session.scalar(select(func.count()).select_from(stmt.limit(RAREST_PROBE).subquery()))
    compiled = stmt.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    plan = db.session.connection().exec_driver_sql("EXPLAIN " + compiled.string, compiled.params).mappings().all()
    return sum(int(row["rows"] or 0) for row in plan)


def _rarest_first(terms, include_closed):
    """The terms ordered by how many index rows they match: the rarest drives the search and the others are checked
    only on its rows, so "david smithwood" reads a few thousand rows rather than every David."""
    if len(terms) == 1:
        return terms

    def matching_rows(spellings):
        stmt = select(INDEX.c.entity_id).where(INDEX.c.entity_type.in_(TYPE_ORDER),
                                               _any_prefix(INDEX.c.token, spellings))
        return _estimated_rows(stmt if include_closed else stmt.where(INDEX.c.is_open.is_(True)))
    return sorted(terms, key=matching_rows)


def _also_matching(stmt, other_terms):
    """Keeps the driver's rows whose record also has a token for each of the other terms."""
    for spellings in other_terms:
        other = INDEX.alias()
        stmt = stmt.where(exists().where(other.c.entity_type == INDEX.c.entity_type,
                                         other.c.entity_id == INDEX.c.entity_id, _any_prefix(other.c.token, spellings)))
    return stmt


def _matches_in_order(terms, include_closed, wanted):
    """The first `wanted` matching records in display order, read one type at a time along the primary key
    (entity_type, token, entity_id) and stopping once enough are found: the cost follows the page and the count
    cap, not the number of matches."""
    driver, *others = _rarest_first(terms, include_closed)
    stmt = select(INDEX.c.entity_id, INDEX.c.customer_id).where(INDEX.c.entity_type == bindparam("entity_type"),
                                                                _any_prefix(INDEX.c.token, driver))
    if not include_closed:
        stmt = stmt.where(INDEX.c.is_open.is_(True))
    stmt = _also_matching(stmt, others).order_by(INDEX.c.token, INDEX.c.entity_id)
    connection = db.session.connection()
    hits = []
    for entity_type in TYPE_ORDER:
        budget = wanted - len(hits)
        while True:  # a record matching through two tokens ("david", "davidson") comes twice: read on until
            rows = connection.execute(stmt.limit(budget), {"entity_type": entity_type}).all()  # enough are found
            new = list(dict.fromkeys(rows))
            if len(rows) < budget or len(hits) + len(new) >= wanted:
                break
            budget *= 2
        hits += [Hit(entity_type, entity_id, customer_id) for entity_id, customer_id in new[:wanted - len(hits)]]
        if len(hits) >= wanted:
            break
    return hits


def _customer_matches(terms, include_closed, customer_id):
    """Every matching record of one customer in display order, from the (customer_id, token) index: one
    customer has tens to thousands of tokens, so they are gathered and ordered here."""
    stmt = select(INDEX.c.entity_type, INDEX.c.entity_id, INDEX.c.token).where(
        INDEX.c.customer_id == customer_id, _any_prefix(INDEX.c.token, [s for t in terms for s in t]))
    if not include_closed:
        stmt = stmt.where(INDEX.c.is_open.is_(True))
    matched = {}  # (type, id) -> {term number: its smallest matching token}
    for entity_type, entity_id, token in db.session.execute(stmt):
        found = matched.setdefault((entity_type, entity_id), {})
        for i, spellings in enumerate(terms):
            if token.startswith(tuple(spellings)) and (i not in found or token < found[i]):
                found[i] = token
    driver = min(range(len(terms)), key=lambda i: sum(i in found for found in matched.values()))
    records = [key for key, found in matched.items() if len(found) == len(terms)]
    records.sort(key=lambda key: (TYPE_ORDER[key[0]], matched[key][driver], key[1]))
    return [Hit(entity_type, entity_id, customer_id) for entity_type, entity_id in records]


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

    Order: customers, contacts, sites, services, inventory; within a type, by the matching word ("smith" before
    "smithson"; with several words, the word matching fewest records), then oldest record first.
    `customer_id` limits the search to one customer (customer users see only their own records).
    """
    terms = query_terms(query, region)
    if not terms:
        return _response([], page, per_page, 0)
    offset = (page - 1) * per_page
    if customer_id is None:  # one pass gives the page and the count: the first COUNT_CAP + 1 matches in order
        matches = _matches_in_order(terms, include_closed, max(COUNT_CAP + 1, offset + per_page))
    else:
        matches = _customer_matches(terms, include_closed, customer_id)
    hits = matches[offset:offset + per_page]
    names = _display_names(hits)
    data = [{"id": h.entity_id, "name": names.get((h.entity_type, h.entity_id)), "customer_id": h.customer_id,
             "type": h.entity_type} for h in hits]
    return _response(data, page, per_page, min(len(matches), COUNT_CAP), estimate=len(matches) > COUNT_CAP)


def _response(data, page, per_page, total, estimate=False):
    return list_response(data, ListParams(page=page, per_page=per_page), total, estimate)


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
