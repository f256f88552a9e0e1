"""The product catalogue: validation, CRUD, clone, and which products a customer may be offered (spec 04 §1-5,
spec 06 §2-6)."""
import json
import re
from flask import current_app
from sqlalchemy import func, or_, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.common.serialize import row_to_dict
from omnicrm.common.validation import INT_MAX, Checker
from omnicrm.db import utcnow
from omnicrm.errors import Conflict
from omnicrm.products.lists import ListFormatError, parse_features, parse_list
from omnicrm.products.models import AUTO_RENEW_CHOICES, PRODUCT_CATEGORIES, Product
from omnicrm.provisioning.playbooks import playbook_dir

SLUG_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
PLAY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]*"
MONEY_FIELDS = ("retail_cost", "wholesale_cost", "retail_setup_cost", "wholesale_setup_cost")
BOOLEAN_FIELDS = ("enabled", "residential", "business", "customer_can_purchase", "allow_auto_renew")
LIST_FIELDS = ("features_list", "inventory_items_list", "relies_on_list")
WRITABLE = {"product_name", "product_slug", "category", "service_type", "comment", "icon", "tax_percentage",
            "available_from", "available_until", "contract_days", "auto_renew", "terms", "provisioning_play",
            "provisioning_json_vars", *MONEY_FIELDS, *BOOLEAN_FIELDS, *LIST_FIELDS}
READ_ONLY = {"product_id", "created", "last_modified"}
# Services in these states no longer count when checking a product's relies_on_list.
ENDED_SERVICE_STATES = ("Deactivated",)


# ------------------------------------------------------------------------------------------- playbooks

def playbook_exists(name):
    """Whether <provisioning.playbook_dir>/<name>.yaml exists (the directory as the provisioning engine sees it)."""
    return (playbook_dir() / f"{name}.yaml").is_file()


# ------------------------------------------------------------------------------------------- validation

def _list_field(check, name, parser):
    if name not in check.data:
        return
    try:
        values = parser(check.data[name])
    except ListFormatError as exc:
        check.error(name, f"{exc}: give a JSON array or a string like \"['A', 'B']\"")
        return
    check.values[name] = values
    return values


def _check_relies_on(check):
    values = _list_field(check, "relies_on_list", parse_list)
    if values is None:
        return
    normalised = []
    for value in values:
        if isinstance(value, float) or (isinstance(value, int) and value < 1):
            check.error("relies_on_list", "product ids must be positive whole numbers")
            return
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and value > INT_MAX:
            check.error("relies_on_list", "product ids must be positive whole numbers")
            return
        normalised.append(value)
    ids = [v for v in normalised if isinstance(v, int)]
    if ids:
        found = set(db.session.scalars(select(Product.product_id).where(Product.product_id.in_(ids))))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            check.error("relies_on_list", f"unknown product id(s): {', '.join(missing)}")
    types = [v for v in normalised if isinstance(v, str)]
    unknown = [t for t in types if t not in current_app.config["CRM"]["service_types"]]
    if unknown:
        check.error("relies_on_list", f"unknown service type(s): {', '.join(unknown)}")
    check.values["relies_on_list"] = list(dict.fromkeys(normalised))


def _check_inventory_items(check):
    names = _list_field(check, "inventory_items_list", parse_list)
    if names is None:
        return
    from omnicrm.inventory.models import InventoryTemplate
    if any(not isinstance(n, str) for n in names):
        check.error("inventory_items_list", "must list inventory template names")
        return
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        check.error("inventory_items_list", f"lists {', '.join(duplicates)} twice; the playbook variable would "
                                            "collide (use distinct templates, e.g. 'Primary SIM Card')")
        return
    existing = set(db.session.scalars(select(InventoryTemplate.item)))
    missing = [n for n in names if n not in existing]  # exact, case-sensitive (MariaDB collation is not)
    if missing:
        check.error("inventory_items_list", "no inventory template is named exactly: " + ", ".join(missing))


def _check_json_vars(check):
    if "provisioning_json_vars" not in check.data:
        return
    raw = check.data["provisioning_json_vars"]
    if raw in (None, ""):
        check.values["provisioning_json_vars"] = "{}"
        return
    if isinstance(raw, dict):
        check.values["provisioning_json_vars"] = json.dumps(raw)
        return
    if not isinstance(raw, str):
        check.error("provisioning_json_vars", "must be a JSON object (or a string holding one)")
        return
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        check.error("provisioning_json_vars", f"is not valid JSON: {exc}")
        return
    if not isinstance(parsed, dict):
        check.error("provisioning_json_vars", "must be a JSON object")
        return
    check.values["provisioning_json_vars"] = raw


def check_product(data, product=None, check_play=True):
    """All field errors at once (400); returns the normalised values. `check_play=False` is for the demo seed,
    whose reference plays may not be installed yet."""
    creating = product is None
    check = Checker(data)
    check.reject_unknown(WRITABLE, read_only=READ_ONLY)
    check.string("product_name", required=creating, max_length=255)
    slug = check.string("product_slug", required=creating, max_length=255, pattern=SLUG_PATTERN)
    check.string("category", required=creating, choices=PRODUCT_CATEGORIES, max_length=20)
    for name in ("product_name", "product_slug", "category"):
        if not creating and name in data and data[name] in (None, ""):
            check.error(name, "is required")
    service_types = current_app.config["CRM"]["service_types"]
    check.string("service_type", max_length=50, choices=service_types)
    check.string("comment", max_length=None)
    check.string("icon", max_length=100)
    check.string("terms", max_length=None)
    for name in MONEY_FIELDS:
        check.money(name)
        if name in check.values and check.values[name] is None:
            check.values[name] = 0
    check.decimal("tax_percentage", minimum=0, maximum=100)
    if "tax_percentage" in check.values and check.values["tax_percentage"] is None:
        check.values["tax_percentage"] = 0
    for name in BOOLEAN_FIELDS:
        check.boolean(name)
    check.integer("contract_days", minimum=0, maximum=36500)
    if "auto_renew" in data and isinstance(data["auto_renew"], bool):
        check.values["auto_renew"] = "true" if data["auto_renew"] else "false"
    else:
        check.string("auto_renew", choices=AUTO_RENEW_CHOICES, max_length=10)
    check.datetime("available_from")
    check.datetime("available_until")
    play = check.string("provisioning_play", max_length=255)
    if play:
        if play.endswith((".yaml", ".yml")):
            check.error("provisioning_play", "give the playbook name without the .yaml extension")
        elif not re.fullmatch(PLAY_PATTERN, play):
            check.error("provisioning_play", "must be a playbook file name (letters, digits, _ and -)")
        elif check_play and not playbook_exists(play):
            check.error("provisioning_play", f"no playbook {play}.yaml in {playbook_dir()}")
    _check_json_vars(check)
    _list_field(check, "features_list", parse_features)
    _check_inventory_items(check)
    _check_relies_on(check)
    start = check.values.get("available_from", product.available_from if product else None)
    end = check.values.get("available_until", product.available_until if product else None)
    if start and end and end <= start and "available_until" not in check.errors:
        check.error("available_until", "must be after available_from")
    if slug and _slug_taken(slug, product):
        check.error("product_slug", "is already used by another product")
    if product is not None and product.product_id in (check.values.get("relies_on_list") or []):
        check.error("relies_on_list", "a product cannot rely on itself")
    return check.done()


def _slug_taken(slug, product=None):
    stmt = select(Product.product_id).where(func.lower(Product.product_slug) == slug.lower())
    if product is not None:
        stmt = stmt.where(Product.product_id != product.product_id)
    return db.session.scalar(stmt.limit(1)) is not None


# ------------------------------------------------------------------------------------------- CRUD

def get_product(product_id):
    return db.get_or_404(Product, product_id, "Product")


def product_to_dict(product):
    body = row_to_dict(product)
    for name in LIST_FIELDS:
        body[name] = list(getattr(product, name) or [])
    return body


def create_product(data, check_play=True):
    values = check_product(data, check_play=check_play)
    product = Product(**{"features_list": [], "inventory_items_list": [], "relies_on_list": [],
                         "provisioning_json_vars": "{}", **values})
    db.session.add(product)
    db.session.flush()
    activity.record("product", product.product_id, "create",
                    f"Product '{product.product_name}' ({product.product_slug}) created")
    return product


def update_product(product, data):
    values = check_product(data, product)
    before = activity.snapshot(product)
    for name, value in values.items():
        setattr(product, name, value)
    product.last_modified = utcnow()
    db.session.flush()
    changes = activity.diff(before, activity.snapshot(product))
    changes.pop("last_modified", None)
    if changes:
        action = "update"
        if set(changes) == {"enabled"}:
            action = "enable" if product.enabled else "disable"
        activity.record("product", product.product_id, action,
                        f"Product '{product.product_name}' {action}d", changes=changes)
    return product


def clone_product(product):
    """A copy named and slugged with the suffix "_clone" (then _clone2, ...). It starts disabled: a half-edited
    copy must not appear in the customers' catalogue."""
    copy = {c.key: getattr(product, c.key) for c in Product.__mapper__.column_attrs
            if c.key not in READ_ONLY}
    suffix, n = "_clone", 1
    while _slug_taken(f"{product.product_slug}{suffix}"):
        n += 1
        suffix = f"_clone{n}"
    copy.update(product_name=f"{product.product_name}{suffix}"[:255],
                product_slug=f"{product.product_slug}{suffix}", enabled=False)
    for name in LIST_FIELDS:
        copy[name] = list(copy[name] or [])
    clone = Product(**copy)
    db.session.add(clone)
    db.session.flush()
    activity.record("product", clone.product_id, "clone",
                    f"Product '{clone.product_name}' cloned from product {product.product_id}")
    return clone


def delete_product(product):
    from omnicrm.services.models import Service
    count = db.session.scalar(select(func.count()).select_from(Service).where(Service.product_id == product.product_id))
    if count:
        raise Conflict(f"{count} service(s) use this product; disable it instead of deleting it",
                       service_count=count)
    dependants = [p for p in db.session.scalars(select(Product).where(Product.product_id != product.product_id))
                  if product.product_id in (p.relies_on_list or [])]
    if dependants:
        raise Conflict("Other products rely on this product: " + ", ".join(p.product_name for p in dependants))
    activity.record("product", product.product_id, "delete",
                    f"Product '{product.product_name}' ({product.product_slug}) deleted")
    db.session.delete(product)


def products_requiring(template_name):
    """Products whose inventory_items_list names this inventory template (exact name)."""
    rows = db.session.scalars(select(Product).where(Product.inventory_items_list.isnot(None))).all()
    return [p for p in rows if template_name in (p.inventory_items_list or [])]


# ------------------------------------------------------------------------------------------- selection

def offer_filters(stmt, *, account_type=None, include_disabled=False, self_purchase=False, now=None):
    """SQL part of the selection rules: enabled, inside the availability window, account type, self-purchase."""
    now = now or utcnow()
    if not include_disabled:
        stmt = stmt.where(Product.enabled.is_(True),
                          or_(Product.available_from.is_(None), Product.available_from <= now),
                          or_(Product.available_until.is_(None), Product.available_until > now))
    if account_type == "Business":
        stmt = stmt.where(Product.business.is_(True))
    elif account_type == "Individual":
        # Spec 04 §5.2: residential products, or any product not flagged for business.
        stmt = stmt.where(or_(Product.residential.is_(True), Product.business.is_(False)))
    if self_purchase:
        stmt = stmt.where(Product.customer_can_purchase.is_(True))
    return stmt


def customer_holdings(customer_id):
    """(product ids, service types) of the customer's services that have not ended."""
    from omnicrm.services.models import Service
    rows = db.session.execute(select(Service.product_id, Service.service_type).where(
        Service.customer_id == customer_id, Service.service_status.notin_(ENDED_SERVICE_STATES))).all()
    return {r.product_id for r in rows if r.product_id}, {r.service_type for r in rows if r.service_type}


def dependencies_met(product, holdings):
    """Every entry of relies_on_list must be held: a product id among the customer's services, or a service type
    one of them has."""
    product_ids, service_types = holdings
    for need in product.relies_on_list or []:
        if isinstance(need, int) and need not in product_ids:
            return False
        if isinstance(need, str) and need not in service_types:
            return False
    return True
