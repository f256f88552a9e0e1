"""Inventory logic: templates, items, secrets, and the atomic assignment the provisioning engine relies on.

Functions for other domains: `assign_item`, `release_item`, `free_items`, `item_to_dict`.
"""
import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.common.serialize import row_to_dict
from omnicrm.common.validation import Checker
from omnicrm.db import utcnow
from omnicrm.errors import Conflict, NotFound, ValidationError
from omnicrm.inventory import secrets
from omnicrm.inventory.models import (FREE_STATES, HELD_STATES, ITEM_STATES, QUARANTINED, ITEMTEXT_FIELDS, LABEL_FIELDS,
                                      Inventory, InventoryTemplate)

ADDRESS_FIELDS = ("address_line_1", "address_line_2", "city", "state", "zip_code", "country",
                  "google_maps_place_id", "plus_code")
TEXT_FIELDS = {  # field -> max length (None = unlimited text)
    "item_location": 255, "address_line_1": 255, "address_line_2": 255, "city": 100, "state": 100,
    "zip_code": 20, "country": 100, "google_maps_place_id": 255, "plus_code": 50, "management_url": 500,
    "management_username": 150, "config_file_path": 500, "inventory_notes": None, "config_content": None,
}
ITEM_WRITABLE = ({"inventory_template_id", "item", "customer_id", "service_id", "item_state", "wholesale_cost",
                  "retail_cost", "sold_date", "latitude", "longitude", "management_password"}
                 | set(TEXT_FIELDS) | set(ITEMTEXT_FIELDS))
ITEM_READ_ONLY = {"inventory_id", "created", "last_modified", "labels", "secret_fields", "fields"}
TEMPLATE_WRITABLE = {"item", "icon", "wholesale_cost", "retail_cost", "allow_staff_dropdown",
                     "allow_customer_dropdown", "secret_fields", *LABEL_FIELDS}
TEMPLATE_READ_ONLY = {"inventory_template_id", "created", "last_modified"}


# --------------------------------------------------------------------------------------------- templates

def get_template(template_id):
    return db.get_or_404(InventoryTemplate, template_id, "Inventory template")


def template_by_name(name):
    """Exact, case-sensitive lookup (product inventory_items_list names must match exactly)."""
    rows = db.session.scalars(select(InventoryTemplate).where(InventoryTemplate.item == name)).all()
    return next((t for t in rows if t.item == name), None)


def template_labels(template):
    return {f: getattr(template, f"{f}_label") for f in ITEMTEXT_FIELDS if getattr(template, f"{f}_label")}


def template_to_dict(template):
    body = row_to_dict(template)
    body["secret_fields"] = list(template.secret_fields or [])
    body["labels"] = template_labels(template)
    return body


def _check_template(data, template=None):
    creating = template is None
    check = Checker(data)
    check.reject_unknown(TEMPLATE_WRITABLE, read_only=TEMPLATE_READ_ONLY | {"labels"})
    check.string("item", required=creating, max_length=150)
    if "item" in data and not creating and not data.get("item"):
        check.error("item", "is required")
    check.string("icon", max_length=100)
    check.money("wholesale_cost", required=creating)
    check.money("retail_cost", required=creating)
    for name in ("wholesale_cost", "retail_cost"):
        if not creating and name in data and data[name] in (None, ""):
            check.error(name, "is required")
    check.boolean("allow_staff_dropdown")
    check.boolean("allow_customer_dropdown")
    for index, label in enumerate(LABEL_FIELDS, start=1):
        check.string(label, required=creating and index <= 2, max_length=100)
        if index <= 2 and not creating and label in data and not data[label]:
            check.error(label, "is required")
    values = check.values
    labels = {f: values.get(f"{f}_label", getattr(template, f"{f}_label", None) if template else None)
              for f in ITEMTEXT_FIELDS}
    if "secret_fields" in data:
        secret = data["secret_fields"] or []
        if not isinstance(secret, list) or not all(isinstance(s, str) for s in secret):
            check.error("secret_fields", "must be a list of itemtext field names, e.g. [\"itemtext3\"]")
        else:
            wrong = [s for s in secret if s not in ITEMTEXT_FIELDS[1:]]
            unlabelled = [s for s in secret if s in ITEMTEXT_FIELDS and not labels.get(s)]
            if wrong:
                check.error("secret_fields", f"unknown or not allowed: {', '.join(wrong)} (itemtext2..itemtext20;"
                                             " itemtext1 is the searchable identifier)")
            elif unlabelled:
                check.error("secret_fields", f"fields without a label: {', '.join(unlabelled)}")
            values["secret_fields"] = list(dict.fromkeys(secret))
    elif template is not None:
        unlabelled = [s for s in template.secret_fields or [] if not labels.get(s)]
        if unlabelled:
            check.error("secret_fields", f"a secret field needs its label: {', '.join(unlabelled)}")
    name = values.get("item")
    if name:
        other = template_by_name(name)
        if other is not None and other is not template:
            check.error("item", "an inventory template with this name already exists")
    check.done()
    return values


def create_template(data):
    values = _check_template(data)
    template = InventoryTemplate(**{"secret_fields": [], **values})
    db.session.add(template)
    db.session.flush()
    activity.record("inventory_template", template.inventory_template_id, "create",
                    f"Inventory template '{template.item}' created")
    return template


def update_template(template, data):
    """Labels are display names: changing one relabels existing items too. Renaming renames the items' `item`
    and reports the products whose inventory_items_list still names the old template."""
    values = _check_template(data, template)
    before = activity.snapshot(template)
    old_name, old_secret = template.item, set(template.secret_fields or [])
    for name, value in values.items():
        setattr(template, name, value)
    warnings = {}
    if template.item != old_name:
        db.session.execute(update(Inventory).where(Inventory.inventory_template_id == template.inventory_template_id)
                           .values(item=template.item))
        from omnicrm.products.service import products_requiring
        stale = products_requiring(old_name)
        if stale:
            warnings["products_using_old_name"] = [{"product_id": p.product_id, "product_name": p.product_name}
                                                   for p in stale]
    new_secret = set(template.secret_fields or [])
    if new_secret != old_secret:
        _reencrypt(template, added=new_secret - old_secret, removed=old_secret - new_secret)
    db.session.flush()
    changes = activity.diff(before, activity.snapshot(template))
    if changes:
        activity.record("inventory_template", template.inventory_template_id, "update",
                        f"Inventory template '{template.item}' updated", changes=changes)
    return warnings


def _reencrypt(template, added, removed):
    """Keep the at-rest form in step with the template's secret_fields."""
    items = db.session.scalars(select(Inventory).where(
        Inventory.inventory_template_id == template.inventory_template_id)).all()
    for item in items:
        for name in added:
            value = getattr(item, name)
            if value and len(value) > secrets.MAX_SECRET_LENGTH:
                raise ValidationError("Validation failed", errors={
                    "secret_fields": f"item {item.inventory_id} has a {name} longer than "
                                     f"{secrets.MAX_SECRET_LENGTH} characters; it cannot be made secret"})
            setattr(item, name, secrets.encrypt(value))
        for name in removed:
            setattr(item, name, secrets.decrypt(getattr(item, name)))


def delete_template(template):
    count = db.session.scalar(select(func.count()).select_from(Inventory)
                              .where(Inventory.inventory_template_id == template.inventory_template_id))
    if count:
        raise Conflict(f"The template still has {count} inventory item(s); delete or move them first")
    from omnicrm.products.service import products_requiring
    users = products_requiring(template.item)
    if users:
        raise Conflict("Products still require this inventory type: "
                       + ", ".join(p.product_name for p in users))
    activity.record("inventory_template", template.inventory_template_id, "delete",
                    f"Inventory template '{template.item}' deleted")
    db.session.delete(template)


# --------------------------------------------------------------------------------------------- items

def get_item(inventory_id):
    item = db.session.get(Inventory, inventory_id)
    if item is None:
        raise NotFound(f"Inventory item {inventory_id} not found")
    return item


def _label_key(label):
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def item_to_dict(item, reveal_secrets=False, with_labels=True):
    """The item as JSON. Secrets (template secret_fields, management_password) are "***" unless revealed.
    With labels, each labelled itemtext is also given under its label as a key (ICCID -> "iccid", Ki -> "ki"),
    which the reference playbooks read (`sim_response.json.iccid`)."""
    template = item.template
    secret_fields = set(template.secret_fields or []) if template else set()
    body = row_to_dict(item, exclude=("management_password",))
    for name in secret_fields:
        body[name] = secrets.decrypt(getattr(item, name)) if reveal_secrets else secrets.mask(getattr(item, name))
    body["management_password"] = (secrets.decrypt(item.management_password) if reveal_secrets
                                   else secrets.mask(item.management_password))
    if with_labels and template is not None:
        labels = template_labels(template)
        body["labels"] = labels
        body["secret_fields"] = sorted(secret_fields)
        for field, label in labels.items():
            key = _label_key(label)
            if key and key not in body:
                body[key] = body[field]
    return body


def _resolve_template(check, data, item):
    template = item.template if item is not None else None
    if "inventory_template_id" in data or "item" in data:
        if item is not None:
            check.error("inventory_template_id" if "inventory_template_id" in data else "item",
                        "cannot be changed; create a new item of the other type")
            return template
        if data.get("inventory_template_id") not in (None, ""):
            template_id = check.integer("inventory_template_id", minimum=1)
            template = db.session.get(InventoryTemplate, template_id) if template_id else None
            if template_id and template is None:
                check.error("inventory_template_id", f"inventory template {template_id} does not exist")
        elif data.get("item"):
            template = template_by_name(str(data["item"]))
            if template is None:
                check.error("item", f"no inventory template is named {data['item']!r} (names are case-sensitive)")
    if item is None and template is None and not check.errors:
        check.error("inventory_template_id", "is required (or give the template name in item)")
    return template


def check_item_fields(check, data, template, creating, labels=None, secret_fields=None):
    """Validate the plain (non-ownership) fields of an item; shared by the API and the CSV import (which passes
    the template's labels and secret fields once instead of per row)."""
    labels = labels if labels is not None else (template_labels(template) if template else {})
    if secret_fields is None:
        secret_fields = set(template.secret_fields or []) if template else set()
    for name in ITEMTEXT_FIELDS:
        if name not in data:
            continue
        value = check.string(name, required=name == "itemtext1", max_length=255)
        if value and template is not None and name not in labels:
            check.error(name, f"the template '{template.item}' has no label for {name}")
        if value and name in secret_fields and value != secrets.MASK and len(value) > secrets.MAX_SECRET_LENGTH:
            check.error(name, f"a secret value must be at most {secrets.MAX_SECRET_LENGTH} characters")
    if creating and not data.get("itemtext1"):
        check.error("itemtext1", "is required")
    present = data.keys()
    if "item_state" in present:
        check.string("item_state", choices=ITEM_STATES, max_length=30)
    for name in ("wholesale_cost", "retail_cost"):
        if name in present:
            check.money(name)
    if "sold_date" in present:
        check.datetime("sold_date")
    if "latitude" in present:
        check.decimal("latitude", minimum=-90, maximum=90)
    if "longitude" in present:
        check.decimal("longitude", minimum=-180, maximum=180)
    for name, length in TEXT_FIELDS.items():
        if name in present:
            check.string(name, max_length=length)
    if "management_password" in present:
        check.string("management_password", max_length=500)


def _check_item(data, item=None):
    check = Checker(data)
    check.reject_unknown(ITEM_WRITABLE, read_only=ITEM_READ_ONLY)
    template = _resolve_template(check, data, item)
    check_item_fields(check, data, template, creating=item is None)
    customer_id = check.integer("customer_id", minimum=1) if "customer_id" in data else None
    service_id = check.integer("service_id", minimum=1) if "service_id" in data else None
    if customer_id is not None:
        from omnicrm.customers.models import Customer
        if db.session.get(Customer, customer_id) is None:
            check.error("customer_id", f"customer {customer_id} does not exist")
    if service_id is not None:
        from omnicrm.services.models import Service
        service = db.session.get(Service, service_id)
        if service is None:
            check.error("service_id", f"service {service_id} does not exist")
        elif customer_id is not None and service.customer_id != customer_id:
            check.error("service_id", f"service {service_id} belongs to customer {service.customer_id}")
        elif "customer_id" not in data or data.get("customer_id") in (None, ""):
            if "customer_id" in data:
                check.error("customer_id", "cannot be empty while a service is given")
            check.values["customer_id"] = service.customer_id
    check.done()
    values = dict(check.values)
    values.pop("inventory_template_id", None)
    values.pop("item", None)
    return template, values


def _store_secrets(item, template, values):
    """Write field values onto the item, encrypting secrets; "***" (the mask) means "unchanged"."""
    secret_fields = set(template.secret_fields or [])
    for name, value in values.items():
        if name in secret_fields or name == "management_password":
            if value == secrets.MASK:
                continue
            value = secrets.encrypt(value)
        setattr(item, name, value)


def _loggable(item):
    """Snapshot for the activity log; secrets stay as their stored tokens here and are masked by `_changes`."""
    return activity.snapshot(item)


def _changes(before, after, template):
    """What changed, with every secret (template secret fields, management_password) shown only as "***"."""
    changes = activity.diff(before, after)
    changes.pop("last_modified", None)
    for name in (set(template.secret_fields or []) | {"management_password"}) & set(changes):
        changes[name] = {"before": secrets.mask(before.get(name)), "after": secrets.mask(after.get(name))}
    return changes


def create_item(data):
    template, values = _check_item(data)
    ownership = {k: values.pop(k) for k in ("customer_id", "service_id") if k in values}
    item = Inventory(inventory_template_id=template.inventory_template_id, item=template.item,
                     wholesale_cost=template.wholesale_cost, retail_cost=template.retail_cost, item_state="New")
    item.template = template
    _store_secrets(item, template, values)
    if ownership.get("customer_id") or ownership.get("service_id"):
        item.customer_id = ownership.get("customer_id")
        item.service_id = ownership.get("service_id")
        if "item_state" not in values:
            item.item_state = "Assigned"
        item.sold_date = item.sold_date or utcnow()
    _check_state_invariant(item.item_state, item.customer_id, item.service_id)
    db.session.add(item)
    db.session.flush()
    activity.record("inventory", item.inventory_id, "create",
                    f"Inventory item {item.inventory_id} ({item.item} {item.itemtext1}) created",
                    customer_id=item.customer_id)
    return item


def _check_state_invariant(state, customer_id, service_id):
    held = customer_id is not None or service_id is not None
    if state in HELD_STATES and not held:
        raise ValidationError("Validation failed", errors={
            "item_state": f"'{state}' needs a customer_id or service_id"})
    if state in FREE_STATES and held:
        raise ValidationError("Validation failed", errors={
            "item_state": f"'{state}' means free stock; release the item (customer_id and service_id null) or "
                          "use Assigned"})


def update_item(item, data):
    """Partial update. Ownership changes (customer_id/service_id) go through `_change_owner`, which is atomic."""
    template, values = _check_item(data, item)
    before = _loggable(item)
    owner_keys = {"customer_id", "service_id"} & set(values)
    if owner_keys or "item_state" in values:
        customer_id = values.pop("customer_id", item.customer_id)
        service_id = values.pop("service_id", item.service_id)
        state = values.pop("item_state", None)
        _change_owner(item, customer_id, service_id, state, explicit_owner=bool(owner_keys),
                      sold_date=values.pop("sold_date", None))
    _store_secrets(item, template, values)
    db.session.flush()
    after = _loggable(item)
    changes = _changes(before, after, template)
    if changes:
        if item.customer_id and not before.get("customer_id"):
            action, text = "assign", f"assigned to customer {item.customer_id}"
        elif before.get("customer_id") and not item.customer_id:
            action, text = "release", f"released ({item.item_state})"
        else:
            action, text = "update", "updated"
        activity.record("inventory", item.inventory_id, action,
                        f"Inventory item {item.inventory_id} ({item.item} {item.itemtext1}) {text}",
                        customer_id=item.customer_id or before.get("customer_id"), changes=changes)
    return item


def _change_owner(item, customer_id, service_id, state, explicit_owner, sold_date=None):
    """Move the item between free stock and a customer/service with one conditional UPDATE: it only succeeds if
    the row still has the owner and state we read, so two concurrent assignments can never both win."""
    old = (item.customer_id, item.service_id, item.item_state)
    was_held = item.customer_id is not None or item.service_id is not None
    now_held = customer_id is not None or service_id is not None
    if state is None:
        if now_held and not was_held:
            state = "Assigned"
        elif was_held and not now_held:
            state = "In Stock"
        else:
            state = item.item_state
    if explicit_owner and now_held:
        if not was_held and item.item_state not in FREE_STATES:
            raise Conflict(f"Inventory item {item.inventory_id} is not available (state {item.item_state})")
        for current, wanted, name in ((item.customer_id, customer_id, "customer"),
                                      (item.service_id, service_id, "service")):
            if current is not None and wanted != current:
                raise Conflict(f"Inventory item {item.inventory_id} is already assigned to {name} {current}; "
                               "release it first")
    _check_state_invariant(state, customer_id, service_id)
    values = {"customer_id": customer_id, "service_id": service_id, "item_state": state,
              "last_modified": utcnow()}
    if sold_date is not None:
        values["sold_date"] = sold_date
    elif now_held and not was_held and item.sold_date is None:
        values["sold_date"] = utcnow()
    result = db.session.execute(
        update(Inventory).where(
            Inventory.inventory_id == item.inventory_id,
            Inventory.customer_id.is_(None) if old[0] is None else Inventory.customer_id == old[0],
            Inventory.service_id.is_(None) if old[1] is None else Inventory.service_id == old[1],
            Inventory.item_state == old[2],
        ).values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(f"Inventory item {item.inventory_id} was just taken or changed by another request; "
                       "pick another item")
    db.session.refresh(item)


def delete_item(item):
    if item.customer_id is not None or item.service_id is not None:
        raise Conflict(f"Inventory item {item.inventory_id} is assigned to a customer/service; release it first")
    activity.record("inventory", item.inventory_id, "delete",
                    f"Inventory item {item.inventory_id} ({item.item} {item.itemtext1}) deleted")
    db.session.delete(item)


# --------------------------------------------------------------------------------------------- engine API

def assign_item(inventory_id, customer_id, service_id=None, item_state="Assigned"):
    """Assign a free item (New/In Stock, no owner) to a customer and optionally a service. Atomic: raises
    Conflict when the item is taken, even by a concurrent transaction. The caller commits."""
    item = get_item(inventory_id)
    if item.customer_id is not None or item.service_id is not None:
        raise Conflict(f"Inventory item {inventory_id} is already assigned")
    data = {"customer_id": customer_id, "item_state": item_state}
    if service_id is not None:
        data["service_id"] = service_id
    return update_item(item, data)


def release_item(inventory_id, item_state="In Stock"):
    """Return an item to stock (or to `item_state`, e.g. "Used" after deprovisioning). The caller commits."""
    item = get_item(inventory_id)
    return update_item(item, {"customer_id": None, "service_id": None, "item_state": item_state})


# What deprovisioning does with each kind of item (spec 06 §12 "inventory reuse after deprovisioning"): numbers
# wait out the porting period, SIMs (their HSS subscriber removed first) go back to stock, other equipment is "Used"
# until it is tested and refurbished.
NUMBER_ITEMS = ("Mobile Number", "Phone Number", "DID", "Number")
SIM_ITEMS = ("SIM Card", "eSIM")
DEFAULT_NUMBER_QUARANTINE_DAYS = 30


def number_quarantine_days():
    return int((current_app.config["CRM"].get("inventory") or {}).get("number_quarantine_days")
               or DEFAULT_NUMBER_QUARANTINE_DAYS)


def service_items(service_id):
    """Every inventory item of a service (no page limit)."""
    return db.session.scalars(select(Inventory).where(Inventory.service_id == service_id)
                              .order_by(Inventory.inventory_id)).all()


def release_service_inventory(service_id, now=None):
    """Release every item of a deprovisioned service by the policy above; returns [{inventory_id, item,
    item_state, quarantine_until}]. The caller commits."""
    now = now or utcnow()
    released = []
    for item in service_items(service_id):
        if item.item in NUMBER_ITEMS:
            state, until = QUARANTINED, now + timedelta(days=number_quarantine_days())
        else:
            state, until = ("In Stock" if item.item in SIM_ITEMS else "Used"), None
        update_item(item, {"customer_id": None, "service_id": None, "item_state": state})
        item.quarantine_until = until
        released.append({"inventory_id": item.inventory_id, "item": item.item, "item_state": state,
                         "quarantine_until": until.isoformat() if until else None})
    db.session.flush()
    return released


def end_quarantines(now=None):
    """The scheduled job: quarantined items whose porting period is over go back to stock. Returns their ids."""
    now = now or utcnow()
    items = db.session.scalars(select(Inventory).where(Inventory.item_state == QUARANTINED,
                                                       Inventory.quarantine_until <= now)).all()
    for item in items:
        update_item(item, {"item_state": "In Stock"})
        item.quarantine_until = None
    db.session.commit()
    return [item.inventory_id for item in items]


def free_items_query(template_name=None, template_id=None, location=None):
    """Items the order screen may offer: of that exact template, New/In Stock, with no customer and no service."""
    stmt = (select(Inventory).join(InventoryTemplate)
            .where(Inventory.item_state.in_(FREE_STATES), Inventory.customer_id.is_(None),
                   Inventory.service_id.is_(None)))
    if template_id is not None:
        stmt = stmt.where(Inventory.inventory_template_id == template_id)
    if template_name is not None:
        template = template_by_name(template_name)
        stmt = stmt.where(Inventory.inventory_template_id == (template.inventory_template_id if template else -1))
    if location:
        stmt = stmt.where(Inventory.item_location == location)
    return stmt


def free_items(template_name, location=None, limit=None):
    """The free items of an inventory type (exact, case-sensitive template name), oldest first."""
    stmt = free_items_query(template_name, location=location).order_by(Inventory.inventory_id)
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def option_label(item):
    """What a selector dropdown shows: reference, primary identifier, location and state."""
    template = item.template
    label = template.itemtext1_label if template and template.itemtext1_label else "itemtext1"
    text = f"#{item.inventory_id} - {label}: {item.itemtext1}"
    if item.item_location:
        text += f" @ {item.item_location}"
    return f"{text} ({item.item_state})"


def search_clause(text):
    """Free text on the itemtext fields, the type, the location and the notes. Secret values are stored as
    Fernet tokens, so they never match (a match could only be a token fragment)."""
    like = f"%{text}%"
    clauses = [and_(col.ilike(like), ~col.like(f"{secrets.PREFIX}%"))
               for col in (getattr(Inventory, f) for f in ITEMTEXT_FIELDS)]
    clauses += [Inventory.item.ilike(like), Inventory.item_location.ilike(like),
                Inventory.inventory_notes.ilike(like)]
    return or_(*clauses)
