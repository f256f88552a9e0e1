"""Keeps Search_Index in step with the searchable records, and turns them into tokens.

Every flush that inserts, changes or deletes a customer, contact, site, service or inventory item rewrites that
record's tokens in the same transaction (a SQLAlchemy `after_flush` hook), so no domain has to remember to call
anything and the index cannot drift. Writes that bypass the ORM (bulk UPDATE statements, SQL consoles) are
repaired with `rebuild()` (`omnicrm rebuild-search-index`). `index_service` / `index_inventory` exist for code
that changes rows through Core statements and wants to reindex one record explicitly.

Tokens (all lower-case, accents folded, at most 40 characters):
- every word of a name (prefix search finds "smi" -> "Smithson");
- an e-mail in full and from every separator on ("smith@example.com", "example.com"), so any part matches;
- identifiers (digit-bearing runs of 6+ characters: phone numbers in E.164, ICCID, IMSI, MSISDN, UUIDs) in full,
  as every suffix of 4+ characters within the last 12, and from each group of their printed form
  (see `fragment_tokens`), so a prefix search over those finds the fragments people type.
"""
import re
import unicodedata

import phonenumbers
from sqlalchemy import delete, event, inspect, insert, select, update
from sqlalchemy.orm import Session

from omnicrm import db
from omnicrm.customers.models import Contact, Customer, Site
from omnicrm.inventory.models import Inventory
from omnicrm.services.models import Service
from omnicrm.utilities.models import SearchIndex

TOKEN_LENGTH = 40
MIN_FRAGMENT = 4
FRAGMENT_WINDOW = 12
OPEN_STATUS = "Open"
ENTITY_TYPES = ("customer", "contact", "site", "service", "inventory")

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PHONE_RUN = re.compile(r"\+?\d[\d\s\-().]{4,}\d")
_EMAIL_SEPARATORS = ".@_+-"


def fold(text):
    """Lower-case without accents: 'José' and 'jose' are the same token."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text):
    return {w[:TOKEN_LENGTH] for w in _WORD.findall(fold(text or ""))}


def compact(text):
    """Only letters and digits: '123e4567-e89b' -> '123e4567e89b', '+44 7700 900123' -> '447700900123'."""
    return "".join(_WORD.findall(fold(text or "")))


def fragment_tokens(value):
    """Identifier tokens: the whole value, every suffix (4+ characters) within its last 12 characters, and the
    value from each separator on ('123e4567-e89b-...' -> 'e89b...'), so a fragment is a prefix of one of them.

    Indexing every suffix of a 20-digit ICCID or a 32-character UUID would triple the table at 1M customers;
    the leading characters of ICCIDs and IMSIs are the operator's prefix, shared by all its SIMs, so fragments
    worth typing sit in the last 12 characters or start at a group of the printed form.
    """
    ident = compact(value)
    if len(ident) < 6 or not any(c.isdigit() for c in ident):
        return set()
    tokens = {ident[:TOKEN_LENGTH]}
    tokens |= {ident[i:] for i in range(max(0, len(ident) - FRAGMENT_WINDOW), len(ident) - MIN_FRAGMENT + 1)}
    groups = _WORD.findall(fold(value))
    for n in range(1, len(groups)):
        tokens.add("".join(groups[n:])[:TOKEN_LENGTH])
    return {t for t in tokens if len(t) >= MIN_FRAGMENT}


def email_tokens(email):
    email = fold(email or "").strip()
    if not email:
        return set()
    tokens = {email[:TOKEN_LENGTH]}
    for i, char in enumerate(email):
        if char in _EMAIL_SEPARATORS and i + 1 < len(email):
            tokens.add(email[i + 1:][:TOKEN_LENGTH])
    return tokens


def phone_runs(text):
    """Phone-like digit runs inside free text ('Mobile - +44 7700 900123')."""
    return [m.group(0) for m in _PHONE_RUN.finditer(text or "")]


def text_tokens(text):
    """Words of a free text plus fragments of the phone numbers and identifiers inside it."""
    tokens = set(words(text))
    for run in phone_runs(text):
        tokens |= fragment_tokens(run)
    for word in _WORD.findall(fold(text or "")):
        tokens |= fragment_tokens(word)
    return tokens


def customer_tokens(customer):
    return words(customer.customer_name)


def contact_tokens(contact):
    tokens = words(contact.contact_firstname) | words(contact.contact_lastname) | email_tokens(contact.contact_email)
    tokens |= fragment_tokens(contact.contact_phone_e164 or contact.contact_phone)
    return tokens


def site_tokens(site):
    tokens = words(site.site_name)
    if site.plus_code:
        tokens.add(fold(site.plus_code))
    return tokens


def service_tokens(service):
    tokens = text_tokens(service.service_name)
    if service.service_uuid:
        tokens.add(fold(service.service_uuid)[:TOKEN_LENGTH])
        tokens |= words(service.service_uuid) | fragment_tokens(service.service_uuid)
    return tokens


INVENTORY_FIELDS = ("itemtext1", "itemtext2", "iccid", "imsi", "msisdn")  # the latter when the model has them


def inventory_tokens(item):
    tokens = set()
    for name in INVENTORY_FIELDS:
        value = getattr(item, name, None)
        if value:
            tokens |= words(value) | fragment_tokens(value)
    return tokens


# entity class -> (entity_type, id attribute, token function, attributes whose change means reindexing)
ENTITIES = {
    Customer: ("customer", "customer_id", customer_tokens, ("customer_name",)),
    Contact: ("contact", "contact_id", contact_tokens,
              ("contact_firstname", "contact_lastname", "contact_email", "contact_phone", "contact_phone_e164",
               "customer_id")),
    Site: ("site", "site_id", site_tokens, ("site_name", "plus_code", "customer_id")),
    Service: ("service", "service_id", service_tokens, ("service_name", "service_uuid", "customer_id")),
    Inventory: ("inventory", "inventory_id", inventory_tokens, (*INVENTORY_FIELDS, "customer_id")),
}


def _customer_is_open(connection, customer_id, cache):
    if customer_id is None:
        return True  # unassigned stock is not hidden by any customer's status
    if customer_id not in cache:
        status = connection.execute(select(Customer.customer_status)
                                    .where(Customer.customer_id == customer_id)).scalar()
        cache[customer_id] = status == OPEN_STATUS
    return cache[customer_id]


def _rows(obj, is_open):
    entity_type, id_attr, tokens_of, _ = ENTITIES[type(obj)]
    entity_id = getattr(obj, id_attr)
    customer_id = getattr(obj, "customer_id", None)
    return [{"token": t, "entity_type": entity_type, "entity_id": entity_id, "customer_id": customer_id,
             "is_open": is_open} for t in sorted(tokens_of(obj)) if t]


def _reindex(connection, obj, open_cache):
    entity_type, id_attr, _, _ = ENTITIES[type(obj)]
    entity_id = getattr(obj, id_attr)
    connection.execute(delete(SearchIndex).where(SearchIndex.entity_type == entity_type,
                                                 SearchIndex.entity_id == entity_id))
    if isinstance(obj, Customer):
        is_open = (obj.customer_status or OPEN_STATUS) == OPEN_STATUS
    else:
        is_open = _customer_is_open(connection, getattr(obj, "customer_id", None), open_cache)
    rows = _rows(obj, is_open)
    if rows:
        connection.execute(insert(SearchIndex), rows)


def _changed(obj, names):
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names if name in state.attrs)


@event.listens_for(Session, "after_flush")
def _maintain_index(session, _flush_context):
    """Rewrite the tokens of every searchable record this flush touched (same transaction)."""
    touched = [o for o in (*session.new, *session.dirty, *session.deleted) if type(o) in ENTITIES]
    if not touched:
        return
    connection = session.connection()
    open_cache = {}
    for obj in session.deleted:
        if type(obj) in ENTITIES:
            entity_type, id_attr, _, _ = ENTITIES[type(obj)]
            connection.execute(delete(SearchIndex).where(SearchIndex.entity_type == entity_type,
                                                         SearchIndex.entity_id == getattr(obj, id_attr)))
            if isinstance(obj, Customer):
                connection.execute(delete(SearchIndex).where(SearchIndex.customer_id == obj.customer_id))
    for obj in session.new:
        if type(obj) in ENTITIES and obj not in session.deleted:
            _reindex(connection, obj, open_cache)
    for obj in session.dirty:
        if type(obj) not in ENTITIES or obj in session.deleted:
            continue
        if isinstance(obj, Customer) and _changed(obj, ("customer_status",)):
            is_open = obj.customer_status == OPEN_STATUS
            open_cache[obj.customer_id] = is_open
            connection.execute(update(SearchIndex).where(SearchIndex.customer_id == obj.customer_id)
                               .values(is_open=is_open))
        if _changed(obj, ENTITIES[type(obj)][3]):
            _reindex(connection, obj, open_cache)


def index_service(service):
    """Reindex one service now (only needed after writes that bypassed the ORM session)."""
    _reindex(db.session.connection(), service, {})


def index_inventory(item):
    """Reindex one inventory item now (only needed after writes that bypassed the ORM session)."""
    _reindex(db.session.connection(), item, {})


def rebuild(batch_size=2000, echo=None):
    """Recreate the whole index from the record tables; returns {entity_type: rows written}."""
    session = db.session
    session.execute(delete(SearchIndex))
    open_customers = set(session.scalars(select(Customer.customer_id)
                                         .where(Customer.customer_status == OPEN_STATUS)))
    written = {}
    for model, (entity_type, id_attr, _, _) in ENTITIES.items():
        id_column = getattr(model, id_attr)
        last_id, count = 0, 0
        while True:
            batch = session.scalars(select(model).where(id_column > last_id).order_by(id_column)
                                    .limit(batch_size)).unique().all()
            if not batch:
                break
            rows = []
            for obj in batch:
                customer_id = getattr(obj, "customer_id", None)
                is_open = customer_id is None or customer_id in open_customers
                rows.extend(_rows(obj, is_open))
            if rows:
                session.execute(insert(SearchIndex), rows)
            count += len(rows)
            last_id = getattr(batch[-1], id_attr)
            session.expunge_all()
        written[entity_type] = count
        if echo:
            echo(f"{entity_type}: {count} tokens")
    session.commit()
    return written


def e164(phone, region):
    """'07700 900123' (region GB) -> '+447700900123'; None when it cannot be a phone number."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
