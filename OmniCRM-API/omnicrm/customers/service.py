"""Customer domain logic: customers, contacts, sites, attributes and tags, each change written to the activity log.

HTTP handlers only read input and call these; they validate everything first (one 400 listing every field) and
write nothing before that, so a refused request leaves no trace.
"""
import re
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import ensure_customer_visible
from omnicrm.common.serialize import plain, row_to_dict
from omnicrm.common.validation import Checker
from omnicrm.customers.models import (ACCOUNT_TYPES, CONTACT_TYPES, CUSTOMER_STATUSES, PAYMENT_TYPES,
                                      STATUS_TRANSITIONS, Contact, Customer, CustomerAttribute, CustomerTag, Site)
from omnicrm.db import utcnow
from omnicrm.errors import Conflict, DependencyError, DependencyUnavailable, NotFound, ValidationError
from omnicrm.integrations import google_maps, plus_codes
from omnicrm.utilities.search_index import e164

SPEC_TIME = "%Y-%m-%d %H:%M:%S"  # attributes and tags show times as the spec's examples do
ATTRIBUTE_VALUE_MAX = 150
ATTRIBUTE_NAME_RE = r"[A-Za-z0-9_.\-]+"
TAG_DEFAULT_DEACTIVATE = datetime(2099, 1, 1)
# Service statuses that still count as "active" for the deletion rule (spec 03 §5.3).
ACTIVE_SERVICE_STATUSES = ("Active", "Suspended", "Pending Cancellation")

CUSTOMER_FIELDS = ("customer_name", "customer_account_type", "customer_status", "customer_payment_type",
                   "tax_identifier", "contract_start_date", "contract_end_date", "customer_notes")
CUSTOMER_READ_ONLY = ("customer_id", "customer_enabled", "status_before_archive", "archived_at", "created",
                      "last_modified", "amount_owed", "overdue_amount", "overdue_invoices")
CONTACT_FIELDS = ("customer_id", "contact_firstname", "contact_lastname", "contact_email", "contact_phone",
                  "contact_types", "contact_notes")
SITE_FIELDS = ("customer_id", "site_name", "address_line_1", "address_line_2", "city", "state", "zip_code",
               "country", "latitude", "longitude", "google_maps_place_id", "plus_code", "address_notes")
TAG_FIELDS = ("customer_id", "tag_text", "tag_hex_color", "tag_link", "tag_active_date", "tag_deactivate_date")


def phone_region():
    """Region used to read national phone numbers ("07700 900123"); config `customers.default_phone_region`."""
    return (current_app.config["CRM"].get_path("customers.default_phone_region") or "GB").upper()


# ---------------------------------------------------------------- rendering

def spec_time(value):
    return value.strftime(SPEC_TIME) if value else None


def customer_to_dict(customer, detail=False, owed=None):
    """The customer's columns plus what it owes (`owed`: the figures the list read for a whole page at once)."""
    body = row_to_dict(customer)
    if owed is None:
        from omnicrm.billing.owed import figures
        owed = figures([customer.customer_id])[customer.customer_id]
    body.update(owed)
    if detail:
        body["contacts"] = [contact_to_dict(c) for c in customer.contacts]
        body["sites"] = [site_to_dict(s) for s in customer.sites]
        body["tags"] = [tag_to_dict(t) for t in customer.tags]
        body["attributes"] = [attribute_to_dict(a) for a in customer.attributes]
    return body


def contact_to_dict(contact):
    return row_to_dict(contact)


def site_to_dict(site):
    body = row_to_dict(site)
    for name in ("latitude", "longitude"):
        value = getattr(site, name)
        body[name] = float(value) if value is not None else None
    return body


def attribute_to_dict(attribute):
    body = row_to_dict(attribute, exclude=("created", "last_modified"))
    body["created"] = spec_time(attribute.created)
    body["last_modified"] = spec_time(attribute.last_modified)
    return body


def tag_is_active(tag, now=None):
    now = now or utcnow()
    return (tag.tag_active_date is None or tag.tag_active_date <= now) and \
        (tag.tag_deactivate_date is None or now < tag.tag_deactivate_date)


def tag_to_dict(tag):
    body = {name: plain(getattr(tag, name)) for name in ("tag_id", "customer_id", "tag_text", "tag_hex_color",
                                                        "tag_link")}
    for name in ("tag_active_date", "tag_deactivate_date", "created", "last_modified"):
        body[name] = spec_time(getattr(tag, name))
    body["tag_active"] = tag_is_active(tag)
    return body


# ---------------------------------------------------------------- lookups

def get_customer(customer_id, writable=False):
    """The customer, or 404 (also for customers outside a "view own" caller's scope)."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"Customer {customer_id} not found")
    ensure_customer_visible(customer.customer_id)
    if writable and customer.customer_status == "Archived":
        raise Conflict(f"Customer {customer_id} is archived: restore it before changing it or its records")
    return customer


def _get_child(model, label, child_id):
    row = db.session.get(model, child_id)
    if row is None:
        raise NotFound(f"{label} {child_id} not found")
    ensure_customer_visible(row.customer_id)
    return row


def get_contact(contact_id):
    return _get_child(Contact, "Contact", contact_id)


def get_site(site_id):
    return _get_child(Site, "Site", site_id)


def get_attribute(attribute_id):
    return _get_child(CustomerAttribute, "Attribute", attribute_id)


def get_tag(tag_id):
    return _get_child(CustomerTag, "Tag", tag_id)


def _owner_for_write(data, check, creating):
    """The parent customer of a new child record, checked before anything is written."""
    if not creating:
        return None
    customer_id = check.integer("customer_id", required=True, minimum=1)
    if customer_id is None:
        return None
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        check.error("customer_id", f"customer {customer_id} does not exist")
        return None
    ensure_customer_visible(customer.customer_id)
    return customer


def _refuse_move(data, check, row):
    """A child record belongs to one customer for life: naming another customer's id is refused."""
    if "customer_id" in data and str(data["customer_id"]) != str(row.customer_id):
        check.error("customer_id", f"cannot be changed: this record belongs to customer {row.customer_id}")


def _ensure_writable(customer):
    if customer is not None and customer.customer_status == "Archived":
        raise Conflict(f"Customer {customer.customer_id} is archived: restore it before changing its records")


# ---------------------------------------------------------------- customers

def _check_customer(data, check, creating):
    check.string("customer_name", required=creating, max_length=255)
    check.string("customer_account_type", max_length=20, choices=ACCOUNT_TYPES)
    check.string("customer_payment_type", max_length=20, choices=PAYMENT_TYPES)
    if creating:
        check.string("customer_status", max_length=20, choices=("Open", "Suspended", "Closed"))
    check.string("tax_identifier", max_length=64)
    start = check.datetime("contract_start_date")
    end = check.datetime("contract_end_date", end_of_day=True)
    check.string("customer_notes", max_length=65535)
    if creating and "customer_name" in data and not str(data.get("customer_name") or "").strip():
        check.error("customer_name", "is required")
    return start, end


def _check_contract_dates(check, customer, values):
    start = values.get("contract_start_date", customer.contract_start_date if customer else None)
    end = values.get("contract_end_date", customer.contract_end_date if customer else None)
    if start and end and end < start:
        check.error("contract_end_date", "must be on or after contract_start_date")


def create_customer(data):
    """A new customer, optionally with its first contacts and sites (all validated before any is written)."""
    check = Checker(data)
    check.reject_unknown((*CUSTOMER_FIELDS, "contacts", "sites"), read_only=CUSTOMER_READ_ONLY)
    _check_customer(data, check, creating=True)
    _check_contract_dates(check, None, check.values)
    nested = {}
    for key, checker in (("contacts", _check_contact), ("sites", _check_site)):
        items = data.get(key) or []
        if not isinstance(items, list):
            check.error(key, "must be a list")
            continue
        nested[key] = []
        for i, item in enumerate(items):
            sub = Checker(item if isinstance(item, dict) else {})
            if not isinstance(item, dict):
                sub.error("", "must be an object")
            values = checker(item if isinstance(item, dict) else {}, sub, None)
            for field, message in sub.errors.items():
                check.error(f"{key}[{i}].{field}" if field else f"{key}[{i}]", message)
            nested[key].append(values)
    values = check.done()
    sites = [_geocoded_site(v, f"sites[{i}].") for i, v in enumerate(nested.get("sites", []))]
    values.setdefault("customer_status", "Open")
    customer = Customer(**{k: v for k, v in values.items() if k in CUSTOMER_FIELDS},
                        customer_enabled=values["customer_status"] == "Open")
    db.session.add(customer)
    db.session.flush()
    activity.record("customer", customer.customer_id, "create", f"Customer '{customer.customer_name}' created",
                    customer_id=customer.customer_id, changes=activity.diff({}, activity.snapshot(customer)))
    for contact_values in nested.get("contacts", []):
        _add_contact(customer, contact_values)
    for site_values in sites:
        _add_site(customer, site_values)
    db.session.commit()
    return customer


def welcome_variables(customer, contact):
    """The Customer Welcome variables of spec 06 §13.3: customer_name (the contact's full name, else the
    customer's), email, company_name (the operator: the template's sender name), login_url (self-care), support_url."""
    from omnicrm.communications.service import template_block
    block = template_block("api_crmCommunicationCustomerWelcome")
    full_name = " ".join(p for p in (contact.contact_firstname, contact.contact_lastname) if p)
    base_url = current_app.config["CRM"]["crm"]["base_url"]
    return {"customer_name": full_name or customer.customer_name, "email": contact.contact_email,
            "company_name": block["from_name"], "login_url": f"{base_url}/login",
            "support_url": f"mailto:{block['from_email']}"}


def send_welcome_email(customer):
    """The Customer Welcome e-mail (spec 06 §13.3) to each contact with an address, each with its own variables;
    a mail failure is recorded in the outbox and never undoes the customer. Returns the Communication rows."""
    from omnicrm.communications.service import send_template_email
    contacts = db.session.scalars(select(Contact).where(Contact.customer_id == customer.customer_id,
                                                        Contact.contact_email.isnot(None))
                                  .order_by(Contact.contact_id)).all()
    rows = []
    for contact in contacts:
        variables = welcome_variables(customer, contact)
        rows.append(send_template_email("api_crmCommunicationCustomerWelcome",
                                        {"email": contact.contact_email, "name": variables["customer_name"]},
                                        variables, customer_id=customer.customer_id, raise_errors=False))
    if rows:
        activity.record("customer", customer.customer_id, "welcome_email",
                        f"Welcome e-mail {', '.join(sorted({r.status for r in rows}))} to "
                        f"{', '.join(c.contact_email for c in contacts)}", customer_id=customer.customer_id)
    db.session.commit()
    return rows


def update_customer(customer_id, data):
    """Change a customer's fields; a `customer_status` in the body goes through the status rules."""
    customer = get_customer(customer_id, writable=True)
    check = Checker(data)
    check.reject_unknown(CUSTOMER_FIELDS, read_only=CUSTOMER_READ_ONLY)
    _check_customer(data, check, creating=False)
    new_status = check.string("customer_status", max_length=20, choices=CUSTOMER_STATUSES)
    _check_contract_dates(check, customer, check.values)
    if "customer_name" in data and not str(data.get("customer_name") or "").strip():
        check.error("customer_name", "cannot be empty")
    values = check.done()
    if new_status and new_status != customer.customer_status:
        _check_transition(customer, new_status)
    before = activity.snapshot(customer)
    for name, value in values.items():
        if name != "customer_status":
            setattr(customer, name, value)
    if new_status and new_status != customer.customer_status:
        _apply_status(customer, new_status)
    changes = activity.diff(before, activity.snapshot(customer))
    if changes:
        action = "status" if set(changes) <= {"customer_status", "customer_enabled", "last_modified"} else "update"
        activity.record("customer", customer.customer_id, action,
                        f"Customer '{customer.customer_name}' updated: {', '.join(sorted(changes))}",
                        customer_id=customer.customer_id, changes=changes)
    db.session.commit()
    return customer


def _check_transition(customer, new_status):
    allowed = STATUS_TRANSITIONS[customer.customer_status]
    if new_status not in allowed:
        hint = " (use DELETE to archive a customer)" if new_status == "Archived" else \
            " (restore an archived customer with POST .../restore)" if customer.customer_status == "Archived" else ""
        raise Conflict(f"A customer cannot go from {customer.customer_status} to {new_status}{hint}",
                       current_status=customer.customer_status, allowed_statuses=list(allowed))


def _apply_status(customer, new_status):
    customer.customer_status = new_status
    customer.customer_enabled = new_status == "Open"


def archive_blockers(customer_id):
    """What stops a customer from being deleted (spec 03 §5.3): {field: explanation}, empty when nothing."""
    from omnicrm.billing.models import Invoice, Transaction
    from omnicrm.services.models import Service
    blockers = {}
    services = db.session.scalars(select(Service.service_id).where(
        Service.customer_id == customer_id, Service.service_status.in_(ACTIVE_SERVICE_STATUSES))).all()
    if services:
        blockers["services"] = f"{len(services)} active service(s) (ids {', '.join(map(str, services[:10]))}): " \
                               "close them first"
    invoices = db.session.scalars(select(Invoice.invoice_id).where(
        Invoice.customer_id == customer_id, Invoice.paid.is_(False), Invoice.void.is_(False))).all()
    if invoices:
        blockers["invoices"] = f"{len(invoices)} unpaid invoice(s) (ids {', '.join(map(str, invoices[:10]))})"
    transactions = db.session.scalar(select(func.count()).select_from(Transaction).where(
        Transaction.customer_id == customer_id, Transaction.invoice_id.is_(None), Transaction.void.is_(False)))
    if transactions:
        blockers["transactions"] = f"{transactions} uninvoiced transaction(s): invoice or void them first"
    return blockers


def archive_customer(customer_id):
    """DELETE: archive the customer with all its records, if nothing active or unpaid is left."""
    customer = get_customer(customer_id)
    if customer.customer_status == "Archived":
        raise Conflict(f"Customer {customer_id} is already archived", allowed_statuses=[])
    blockers = archive_blockers(customer.customer_id)
    if blockers:
        raise Conflict("The customer cannot be deleted: " + "; ".join(blockers.values()), errors=blockers)
    before = activity.snapshot(customer)
    customer.status_before_archive = customer.customer_status
    customer.archived_at = utcnow()
    _apply_status(customer, "Archived")
    activity.record("customer", customer.customer_id, "delete", f"Customer '{customer.customer_name}' archived",
                    customer_id=customer.customer_id, changes=activity.diff(before, activity.snapshot(customer)))
    db.session.commit()
    return customer


def restore_customer(customer_id):
    """Bring an archived customer back to the status it had before."""
    customer = get_customer(customer_id)
    if customer.customer_status != "Archived":
        raise Conflict(f"Customer {customer_id} is not archived (status {customer.customer_status})",
                       current_status=customer.customer_status,
                       allowed_statuses=list(STATUS_TRANSITIONS[customer.customer_status]))
    before = activity.snapshot(customer)
    _apply_status(customer, customer.status_before_archive or "Open")
    customer.status_before_archive = None
    customer.archived_at = None
    activity.record("customer", customer.customer_id, "restore", f"Customer '{customer.customer_name}' restored",
                    customer_id=customer.customer_id, changes=activity.diff(before, activity.snapshot(customer)))
    db.session.commit()
    return customer


# ---------------------------------------------------------------- contacts

def _contact_types(raw, check):
    if raw in (None, ""):
        return None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    names = [str(i).strip() for i in items if str(i).strip()]
    lookup = {t.lower(): t for t in CONTACT_TYPES}
    unknown = [n for n in names if n.lower() not in lookup]
    if unknown or not names:
        check.error("contact_types", f"must be one or more of: {', '.join(CONTACT_TYPES)}")
        return None
    return ",".join(dict.fromkeys(lookup[n.lower()] for n in names))


def _check_contact(data, check, contact):
    creating = contact is None
    check.reject_unknown(CONTACT_FIELDS, read_only=("contact_id", "contact_phone_e164", "created",
                                                    "last_modified"))
    check.string("contact_firstname", required=creating, max_length=100)
    check.string("contact_lastname", max_length=100)
    check.email("contact_email")
    phone = check.string("contact_phone", max_length=50)
    check.string("contact_notes", max_length=65535)
    if "contact_types" in data:
        types = _contact_types(data["contact_types"], check)
        if types:
            check.values["contact_types"] = types
    if phone:
        normalised = e164(phone, phone_region())
        if normalised is None:
            check.error("contact_phone", "is not a phone number (use international form, e.g. +44 7700 900123)")
        check.values["contact_phone_e164"] = normalised
    elif "contact_phone" in data:
        check.values["contact_phone_e164"] = None
    if "contact_firstname" in data and not str(data.get("contact_firstname") or "").strip():
        check.error("contact_firstname", "is required")
    if "contact_lastname" in check.values and check.values["contact_lastname"] is None:
        check.values["contact_lastname"] = ""
    return check.values


def _add_contact(customer, values):
    values = {k: v for k, v in values.items() if k != "customer_id"}
    values.setdefault("contact_types", "Primary")
    values.setdefault("contact_lastname", "")
    contact = Contact(customer_id=customer.customer_id, **values)
    db.session.add(contact)
    db.session.flush()
    activity.record("contact", contact.contact_id, "create", f"Contact {_full_name(contact)} created",
                    customer_id=customer.customer_id, changes=activity.diff({}, activity.snapshot(contact)))
    return contact


def _full_name(contact):
    return f"'{' '.join(p for p in (contact.contact_firstname, contact.contact_lastname) if p)}'"


def create_contact(data):
    check = Checker(data)
    customer = _owner_for_write(data, check, creating=True)
    values = _check_contact(data, check, None)
    check.done()
    _ensure_writable(customer)
    contact = _add_contact(customer, values)
    db.session.commit()
    return contact


def update_contact(contact_id, data):
    contact = get_contact(contact_id)
    check = Checker(data)
    _refuse_move(data, check, contact)
    values = _check_contact({k: v for k, v in data.items() if k != "customer_id"}, check, contact)
    check.done()
    _ensure_writable(contact.customer)
    return _apply_update("contact", contact, contact.contact_id, values, f"Contact {_full_name(contact)}")


def delete_contact(contact_id):
    contact = get_contact(contact_id)
    _ensure_writable(contact.customer)
    return _delete("contact", contact, contact.contact_id, f"Contact {_full_name(contact)}")


# ---------------------------------------------------------------- sites

def _check_site(data, check, site):
    creating = site is None
    check.reject_unknown(SITE_FIELDS, read_only=("site_id", "created", "last_modified"))
    check.string("site_name", max_length=255)
    for name, length in (("address_line_1", 255), ("address_line_2", 255), ("city", 100), ("state", 100),
                         ("zip_code", 20), ("country", 100), ("google_maps_place_id", 255)):
        check.string(name, max_length=length)
    check.string("address_notes", max_length=65535)
    check.string("plus_code", max_length=20)  # accepted from the form, then recomputed from the coordinates
    check.values.pop("plus_code", None)
    lat = check.decimal("latitude", minimum=-90, maximum=90)
    lng = check.decimal("longitude", minimum=-180, maximum=180)
    if ("latitude" in data) != ("longitude" in data) and not creating:
        check.error("longitude" if "latitude" in data else "latitude", "must be sent together with the other")
    if not creating:
        for name in ("latitude", "longitude", "site_name"):
            if name in data and data[name] in (None, ""):
                check.error(name, "cannot be empty")
    if creating and (lat is None) != (lng is None):
        check.error("longitude" if lat is not None else "latitude", "is required with the other coordinate")
    return check.values


def _geocoded_site(values, prefix=""):
    """Fill the coordinates (and missing address fields) from Google when the form sent an address only."""
    if values.get("latitude") is not None and values.get("longitude") is not None:
        if not values.get("site_name"):
            values["site_name"] = values.get("address_line_1")
        if not values.get("site_name"):
            raise ValidationError("Validation failed", errors={f"{prefix}site_name": "is required"})
        return values
    address = ", ".join(str(values[k]) for k in ("address_line_1", "address_line_2", "city", "state", "zip_code",
                                                 "country") if values.get(k))
    client = google_maps.client_from_config(current_app.config["CRM"])
    if client is None or not address:
        raise ValidationError("Validation failed", errors={
            f"{prefix}latitude": "is required" + ("" if client else " (no Google Maps key configured to geocode "
                                                                  "the address)"),
            f"{prefix}longitude": "is required"})
    try:
        found = geocode(client, address=address)
    except ValidationError:
        raise ValidationError("Validation failed", errors={  # noqa: B904 - replaces Google's wording
            f"{prefix}address_line_1": "Google Maps does not know this address: set latitude and longitude"})
    for name, value in found.items():
        if name in ("latitude", "longitude") or not values.get(name):
            values[name] = value
    if not values.get("site_name"):
        values["site_name"] = found.get("site_name") or values.get("address_line_1")
    values.pop("plus_code", None)
    return values


def geocode(client, address=None, latitude=None, longitude=None):
    """Site fields from Google for an address or a point, with the Plus Code; 400/502/503 on failure."""
    try:
        found = client.geocode(address) if address else client.reverse_geocode(latitude, longitude)
    except google_maps.GeocodingUnavailable as exc:
        raise DependencyUnavailable(str(exc)) from None
    except google_maps.GeocodingError as exc:
        raise DependencyError(str(exc)) from None
    if found is None:
        raise ValidationError("No place found", errors={"address" if address else "latitude": "no place found"})
    if address is None:
        found["latitude"], found["longitude"] = latitude, longitude
    found["plus_code"] = plus_codes.encode(found["latitude"], found["longitude"])
    return found


def _add_site(customer, values):
    values = {k: v for k, v in values.items() if k != "customer_id"}
    site = Site(customer_id=customer.customer_id, **values,
                plus_code=plus_codes.encode(values["latitude"], values["longitude"]))
    db.session.add(site)
    db.session.flush()
    activity.record("site", site.site_id, "create", f"Site '{site.site_name}' created",
                    customer_id=customer.customer_id, changes=activity.diff({}, activity.snapshot(site)))
    return site


def create_site(data):
    check = Checker(data)
    customer = _owner_for_write(data, check, creating=True)
    values = _check_site(data, check, None)
    check.done()
    _ensure_writable(customer)
    values = _geocoded_site(values)
    site = _add_site(customer, values)
    db.session.commit()
    return site


def update_site(site_id, data):
    site = get_site(site_id)
    check = Checker(data)
    _refuse_move(data, check, site)
    values = _check_site({k: v for k, v in data.items() if k != "customer_id"}, check, site)
    check.done()
    _ensure_writable(site.customer)
    if "latitude" in values:
        values["plus_code"] = plus_codes.encode(values["latitude"], values["longitude"])
    return _apply_update("site", site, site.site_id, values, f"Site '{site.site_name}'")


def delete_site(site_id):
    site = get_site(site_id)
    _ensure_writable(site.customer)
    return _delete("site", site, site.site_id, f"Site '{site.site_name}'")


def sites_of(customer_id):
    get_customer(customer_id)
    return db.session.scalars(select(Site).where(Site.customer_id == customer_id).order_by(Site.site_id)).all()


def contacts_of(customer_id):
    get_customer(customer_id)
    return db.session.scalars(select(Contact).where(Contact.customer_id == customer_id)
                              .order_by(Contact.contact_id)).all()


# ---------------------------------------------------------------- attributes

def _check_attribute(data, check, attribute):
    creating = attribute is None
    check.reject_unknown(("customer_id", "attribute_name", "attribute_value"),
                         read_only=("attribute_id", "created", "last_modified"))
    check.string("attribute_name", required=creating, max_length=100, pattern=ATTRIBUTE_NAME_RE)
    raw = data.get("attribute_value")
    if creating and raw in (None, ""):
        check.error("attribute_value", "is required")
    elif "attribute_value" in data:
        if raw in (None, "") or isinstance(raw, (dict, list, bool)):
            check.error("attribute_value", "must be a non-empty text")
        else:
            value = str(raw)
            if len(value) > ATTRIBUTE_VALUE_MAX:
                check.error("attribute_value", f"must be at most {ATTRIBUTE_VALUE_MAX} characters (it has "
                                               f"{len(value)}): split it or use the customer notes")
            check.values["attribute_value"] = value
    if check.errors.get("attribute_name") == "has an invalid format":
        check.errors["attribute_name"] = "may contain only letters, digits, '_', '.' and '-' (no spaces)"
    return check.values


def put_attribute(data):
    """PUT /attribute/: create, or update the value when the customer already has an attribute of that name."""
    check = Checker(data)
    customer = _owner_for_write(data, check, creating=True)
    values = _check_attribute(data, check, None)
    check.done()
    _ensure_writable(customer)
    existing = db.session.scalars(select(CustomerAttribute).where(
        CustomerAttribute.customer_id == customer.customer_id,
        CustomerAttribute.attribute_name == values["attribute_name"])).first()
    if existing is not None:
        attribute = _apply_update("attribute", existing, existing.attribute_id,
                                  {"attribute_value": values["attribute_value"]},
                                  f"Attribute '{existing.attribute_name}'")
        return attribute, False
    attribute = CustomerAttribute(customer_id=customer.customer_id, attribute_name=values["attribute_name"],
                                  attribute_value=values["attribute_value"])
    db.session.add(attribute)
    db.session.flush()
    activity.record("attribute", attribute.attribute_id, "create",
                    f"Attribute '{attribute.attribute_name}' created", customer_id=customer.customer_id,
                    changes=activity.diff({}, activity.snapshot(attribute)))
    db.session.commit()
    return attribute, True


def update_attribute(attribute_id, data):
    attribute = get_attribute(attribute_id)
    check = Checker(data)
    _refuse_move(data, check, attribute)
    values = _check_attribute({k: v for k, v in data.items() if k != "customer_id"}, check, attribute)
    new_name = values.get("attribute_name")
    if new_name and new_name != attribute.attribute_name and db.session.scalar(
            select(CustomerAttribute.attribute_id).where(CustomerAttribute.customer_id == attribute.customer_id,
                                                         CustomerAttribute.attribute_name == new_name)):
        raise Conflict(f"Customer {attribute.customer_id} already has an attribute named '{new_name}'",
                       errors={"attribute_name": "already used by this customer"})
    check.done()
    _ensure_writable(db.session.get(Customer, attribute.customer_id))
    return _apply_update("attribute", attribute, attribute.attribute_id, values,
                         f"Attribute '{attribute.attribute_name}'")


def delete_attribute(attribute_id):
    attribute = get_attribute(attribute_id)
    _ensure_writable(db.session.get(Customer, attribute.customer_id))
    return _delete("attribute", attribute, attribute.attribute_id, f"Attribute '{attribute.attribute_name}'")


def attributes_of(customer_id):
    get_customer(customer_id)
    return db.session.scalars(select(CustomerAttribute).where(CustomerAttribute.customer_id == customer_id)
                              .order_by(CustomerAttribute.attribute_id)).all()


# ---------------------------------------------------------------- tags

def _check_tag(data, check, tag):
    creating = tag is None
    check.reject_unknown(TAG_FIELDS, read_only=("tag_id", "tag_active", "created", "last_modified"))
    check.string("tag_text", required=creating, max_length=100)
    color = data.get("tag_hex_color")
    if isinstance(color, str) and color.startswith("#"):
        data = {**data, "tag_hex_color": color[1:]}
        check.data = data
    check.string("tag_hex_color", required=creating, max_length=6, pattern=r"[0-9A-Fa-f]{6}")
    if "tag_hex_color" in check.values and check.values["tag_hex_color"]:
        check.values["tag_hex_color"] = check.values["tag_hex_color"].upper()
    link = check.string("tag_link", max_length=500)
    if link and not re.match(r"^https?://\S+$", link):
        check.error("tag_link", "must be an http(s) URL")
    start = check.datetime("tag_active_date", required=creating)
    end = check.datetime("tag_deactivate_date")
    if creating and end is None:
        end = check.values["tag_deactivate_date"] = TAG_DEFAULT_DEACTIVATE
    start = start or (tag.tag_active_date if tag else None)
    end = end or (tag.tag_deactivate_date if tag else None)
    if start and end and end <= start:
        check.error("tag_deactivate_date", "must be after tag_active_date")
    for name in ("tag_text", "tag_hex_color", "tag_active_date"):
        if not creating and name in data and data[name] in (None, ""):
            check.error(name, "cannot be empty")
    return check.values


def create_tag(data):
    check = Checker(data)
    customer = _owner_for_write(data, check, creating=True)
    values = _check_tag(data, check, None)
    check.done()
    _ensure_writable(customer)
    tag = CustomerTag(customer_id=customer.customer_id, **{k: v for k, v in values.items() if k != "customer_id"})
    db.session.add(tag)
    db.session.flush()
    activity.record("tag", tag.tag_id, "create", f"Tag '{tag.tag_text}' created", customer_id=customer.customer_id,
                    changes=activity.diff({}, activity.snapshot(tag)))
    db.session.commit()
    return tag


def update_tag(tag_id, data):
    tag = get_tag(tag_id)
    check = Checker(data)
    _refuse_move(data, check, tag)
    values = _check_tag({k: v for k, v in data.items() if k != "customer_id"}, check, tag)
    check.done()
    _ensure_writable(db.session.get(Customer, tag.customer_id))
    return _apply_update("tag", tag, tag.tag_id, values, f"Tag '{tag.tag_text}'")


def delete_tag(tag_id):
    tag = get_tag(tag_id)
    _ensure_writable(db.session.get(Customer, tag.customer_id))
    return _delete("tag", tag, tag.tag_id, f"Tag '{tag.tag_text}'")


def tags_of(customer_id):
    get_customer(customer_id)
    return db.session.scalars(select(CustomerTag).where(CustomerTag.customer_id == customer_id)
                              .order_by(CustomerTag.tag_id)).all()


# ---------------------------------------------------------------- shared update/delete

def _apply_update(entity_type, row, row_id, values, label):
    before = activity.snapshot(row)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    changes = activity.diff(before, activity.snapshot(row))
    changes.pop("last_modified", None)
    if changes:
        activity.record(entity_type, row_id, "update", f"{label} updated: {', '.join(sorted(changes))}",
                        customer_id=row.customer_id, changes=changes)
    db.session.commit()
    return row


def _delete(entity_type, row, row_id, label):
    before = activity.snapshot(row)
    customer_id = row.customer_id
    db.session.delete(row)
    activity.record(entity_type, row_id, "delete", f"{label} deleted", customer_id=customer_id,
                    changes=activity.diff(before, {}))
    db.session.commit()
