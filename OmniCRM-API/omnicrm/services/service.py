"""Service records: create, read, edit (spec 04 §6.1 contract), status changes, delete and bulk operations.

Plain functions so the API, the provisioning engine and tests share one set of rules. They add to the current
session and never commit: the caller commits (the API handlers do), so a caller can group several changes.
"""
import json
import logging
import uuid
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import String, cast, or_, select, update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import customer_scope
from omnicrm.common.safe_log import log_unexpected
from omnicrm.common.serialize import row_to_dict
from omnicrm.common.validation import Checker
from omnicrm.customers.models import Customer, Site
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, NotFound, ValidationError
from omnicrm.services.models import (EDITABLE_FIELDS, ENDED_STATUSES, PENDING_CANCELLATION, READ_ONLY_FIELDS,
                                     SERVICE_STATUSES, Service)

log = logging.getLogger(__name__)

# Fields a creator (playbook or staff) may set; `invoiced` belongs to billing, ids and timestamps to the system.
CREATE_FIELDS = (*EDITABLE_FIELDS, "customer_id", "product_id", "service_uuid", "service_provisioned_date",
                 "provisioning_play", "provisioning_json_vars", "deprovisioning_play", "deprovisioning_json_vars",
                 "bundled_parent")
# Never shown to customer users: internal notes, operator cost and the playbooks' variables.
STAFF_ONLY_FIELDS = ("service_notes", "wholesale_cost", "provisioning_play", "provisioning_json_vars",
                     "deprovisioning_play", "deprovisioning_json_vars", "paused_action_plans")
EXPIRING_SOON = timedelta(days=7)
BULK_ACTIONS = ("delete", "set_status")
MAX_BULK_ITEMS = 500
UNASSIGNED_INVENTORY_STATE = "In Stock"


# ---------------------------------------------------------------------------------------------- reading

def get_service(service_id):
    """The service, or 404; customer users get 404 for services that are not theirs or hidden from them."""
    service = db.session.get(Service, service_id)
    if service is None or not visible_to_caller(service):
        raise NotFound(f"Service {service_id} not found")
    return service


def get_service_by_uuid(service_uuid):
    service = db.session.scalars(select(Service).where(Service.service_uuid == service_uuid)).first()
    if service is None or not visible_to_caller(service):
        raise NotFound(f"Service with service_uuid {service_uuid!r} not found")
    return service


def visible_to_caller(service):
    """Customer users see their own services that are shown to customers and not ended (spec 06 §11.2 step 5: a
    deprovisioned service leaves self-care but stays in the CRM for history)."""
    scope = customer_scope()
    return scope is None or (service.customer_id == scope and service.service_visible_to_customer
                             and service.service_status not in ENDED_STATUSES)


def usage_visible_to_caller(service):
    return customer_scope() is None or bool(service.service_usage_visible_to_customer)


def service_to_dict(service):
    """The service as the API shows it; customer users do not see staff-only fields."""
    data = row_to_dict(service)
    data["customer_name"] = service.customer.customer_name if service.customer is not None else None
    data["product_name"] = service.product.product_name if service.product is not None else None
    data["expiring_soon"] = _expiring_soon(service)
    if customer_scope() is not None:
        for name in STAFF_ONLY_FIELDS:
            data.pop(name, None)
    return data


def _expiring_soon(service):
    end = service.service_deactivate_date
    if end is None or service.service_status != "Active":
        return False
    now = utcnow()
    return now <= end <= now + EXPIRING_SOON


def bundled_children(service):
    """Services bundled under this one (spec 04 §6 `bundled_parent`)."""
    rows = db.session.scalars(select(Service).where(Service.bundled_parent == service.service_id)
                              .order_by(Service.service_id)).unique().all()
    return [{"service_id": s.service_id, "service_name": s.service_name, "service_status": s.service_status}
            for s in rows if visible_to_caller(s)]


LIST_SORTABLE = {
    "service_id": Service.service_id, "service_name": Service.service_name, "customer_name": Customer.customer_name,
    "service_type": Service.service_type, "service_active_date": Service.service_active_date,
    "service_deactivate_date": Service.service_deactivate_date, "retail_cost": Service.retail_cost,
    "created": Service.created, "service_status": Service.service_status,
}
LIST_FILTERS = {
    "service_status": Service.service_status, "service_type": Service.service_type,
    "customer_id": Service.customer_id, "product_id": Service.product_id, "site_id": Service.site_id,
    "bundled_parent": Service.bundled_parent,
}


def _search(term):
    like = f"%{term}%"
    clauses = [Service.service_name.ilike(like), Service.service_uuid.ilike(like),
               Customer.customer_name.ilike(like), cast(Service.service_id, String(20)).like(like)]
    return or_(*clauses)


def list_services(params):
    """The service management list (spec 05 §1): newest first unless asked otherwise; never calls CGRateS."""
    from omnicrm.common.listing import paginate
    stmt = select(Service).join(Customer, Customer.customer_id == Service.customer_id)
    scope = customer_scope()
    if scope is not None:
        stmt = stmt.where(Service.customer_id == scope, Service.service_visible_to_customer.is_(True),
                          Service.service_status.not_in(ENDED_STATUSES))
    return paginate(stmt, params, sortable=LIST_SORTABLE, default_sort="service_id", serialize=service_to_dict,
                    filterable=LIST_FILTERS, search_clause=_search)


# ---------------------------------------------------------------------------------------------- writing

# The guide's Pattern A payload (spec 03 §12.8) sends service_type "generic": always accepted, and read as the
# product's own service_type when the product has one (so add-ons keep matching the service).
GENERIC_SERVICE_TYPE = "generic"


def _check_fields(check, allowed_types, creating):
    """Type checks shared by create and PATCH (values land in check.values)."""
    data = check.data
    check.string("service_name", required=creating, max_length=255)
    if "service_name" in data and not creating and not str(data.get("service_name") or "").strip():
        check.error("service_name", "cannot be empty")
    check.string("service_type", max_length=50,
                 choices=(*allowed_types, GENERIC_SERVICE_TYPE) if allowed_types else None)
    check.string("service_status", max_length=30, choices=SERVICE_STATUSES)
    if "service_status" in data and data["service_status"] in (None, ""):
        check.error("service_status", f"must be one of: {', '.join(SERVICE_STATUSES)}")
    check.string("service_notes", max_length=65535)
    check.string("icon", max_length=100)
    check.string("promo_code", max_length=100)
    for name in ("retail_cost", "wholesale_cost"):
        check.money(name)
        if name in data and data[name] in (None, ""):
            check.values[name] = 0
    for name in ("service_billed", "service_taxable", "service_visible_to_customer",
                 "service_usage_visible_to_customer"):
        if name in data and data[name] is None:
            check.error(name, "must be true or false")
        else:
            check.boolean(name)
    for name in ("service_active_date", "service_deactivate_date", "contract_end_date"):
        check.datetime(name)
    check.integer("site_id", minimum=1)


def _json_text(check, name):
    raw = check.data.get(name)
    if name not in check.data:
        return
    if raw is None or raw == "":
        check.values[name] = None
    elif isinstance(raw, (dict, list)):
        check.values[name] = json.dumps(raw)
    elif isinstance(raw, str):
        try:
            json.loads(raw)
        except ValueError:
            check.error(name, "must be JSON (an object or a JSON string)")
            return
        check.values[name] = raw
    else:
        check.error(name, "must be JSON (an object or a JSON string)")


def _service_types():
    if has_app_context():
        return tuple(current_app.config["CRM"].get("service_types") or ())
    return ()


def _check_site(check, customer_id):
    site_id = check.values.get("site_id")
    if site_id is None or customer_id is None:
        return
    site = db.session.get(Site, site_id)
    if site is None or site.customer_id != customer_id:
        check.error("site_id", f"site {site_id} does not belong to customer {customer_id}")


def create_service(data):
    """Create a service from the playbook/staff payload (spec 04 §6.2); returns the new (flushed) Service."""
    check = Checker(data)
    check.reject_unknown(CREATE_FIELDS, read_only=("service_id", "invoiced", "created", "last_modified"))
    _check_fields(check, _service_types(), creating=True)
    customer_id = check.integer("customer_id", required=True, minimum=1)
    product_id = check.integer("product_id", minimum=1)
    service_uuid = check.string("service_uuid", max_length=100, pattern=r"[A-Za-z0-9_.:@\-]+")
    check.datetime("service_provisioned_date")
    check.string("provisioning_play", max_length=255)
    check.string("deprovisioning_play", max_length=255)
    _json_text(check, "provisioning_json_vars")
    _json_text(check, "deprovisioning_json_vars")
    parent_id = check.integer("bundled_parent", minimum=1)

    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer_id and customer is None:
        check.error("customer_id", f"customer {customer_id} does not exist")
    product = None
    if product_id:
        from omnicrm.products.models import Product
        product = db.session.get(Product, product_id)
        if product is None:
            check.error("product_id", f"product {product_id} does not exist")
    if parent_id:
        parent = db.session.get(Service, parent_id)
        if parent is None or parent.customer_id != customer_id:
            check.error("bundled_parent", f"service {parent_id} is not a service of customer {customer_id}")
    _check_site(check, customer_id)
    if service_uuid and db.session.scalars(select(Service.service_id)
                                           .where(Service.service_uuid == service_uuid)).first():
        raise Conflict("A service with this service_uuid already exists",
                       errors={"service_uuid": "is already used by another service"})
    values = check.done()

    now = utcnow()
    status = values.get("service_status") or "Active"
    service = Service(customer_id=customer_id, service_status=status)
    for name, value in values.items():
        setattr(service, name, value)
    if product is not None:
        # Spec 04 §6: the playbook and its variables are inherited from the product unless given.
        if "provisioning_play" not in data:
            service.provisioning_play = product.provisioning_play
        if "provisioning_json_vars" not in data:
            service.provisioning_json_vars = product.provisioning_json_vars
        if "service_type" not in data or (data["service_type"] == GENERIC_SERVICE_TYPE and product.service_type):
            service.service_type = product.service_type
        if "icon" not in data:
            service.icon = product.icon
    service.service_uuid = service_uuid or _new_service_uuid(service.service_type)
    if service.service_provisioned_date is None:
        service.service_provisioned_date = now
    if status == "Active" and service.service_active_date is None:
        service.service_active_date = now
    if status in ENDED_STATUSES and service.service_deactivate_date is None:
        service.service_deactivate_date = now
    for name in ("service_billed", "service_taxable", "service_visible_to_customer",
                 "service_usage_visible_to_customer"):
        if getattr(service, name) is None:
            setattr(service, name, True)
    db.session.add(service)
    db.session.flush()
    activity.record("service", service.service_id, "create",
                    f"Created service {service.service_id} '{service.service_name}' ({service.service_uuid})",
                    customer_id=customer_id, changes=activity.diff({}, activity.snapshot(service)))
    _index(service)
    return service


def _new_service_uuid(service_type):
    """`ServiceType_xxxxxxxx`, the form CGRateS accounts take (spec 05 §5.3), when the creator sent none."""
    prefix = "".join(ch for ch in (service_type or "Service").title() if ch.isalnum()) or "Service"
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def update_service(service, data):
    """PATCH (spec 04 §6.1): only the editable fields; a read-only or unknown field refuses the whole request."""
    check = Checker(data)
    check.reject_unknown(EDITABLE_FIELDS, read_only=READ_ONLY_FIELDS)
    _check_fields(check, _service_types(), creating=False)
    _check_site(check, service.customer_id)
    if not data:
        check.error("body", f"send at least one of: {', '.join(EDITABLE_FIELDS)}")
    values = check.done()

    before = activity.snapshot(service)
    old_status = service.service_status
    new_status = values.pop("service_status", None) or old_status
    for name, value in values.items():
        setattr(service, name, value)
    if new_status != old_status:
        _apply_status(service, old_status, new_status, explicit=set(values))
    changes = activity.diff(before, activity.snapshot(service))
    if not changes:
        return {}
    action = "status" if "service_status" in changes else "update"
    description = (f"Service {service.service_id} status {old_status} -> {new_status}" if action == "status"
                   else f"Updated service {service.service_id}: {', '.join(sorted(changes))}")
    activity.record("service", service.service_id, action, description, customer_id=service.customer_id,
                    changes=changes)
    db.session.flush()
    _index(service)
    return changes


def change_status(service, new_status, effective=None):
    """Move a service to another status (bulk and the provisioning engine); the dates follow (see below)."""
    if new_status not in SERVICE_STATUSES:
        raise ValidationError("Validation failed",
                              errors={"service_status": f"must be one of: {', '.join(SERVICE_STATUSES)}"})
    data = {"service_status": new_status}
    if effective is not None:
        data["service_deactivate_date" if new_status in ENDED_STATUSES else "service_active_date"] = effective
    return update_service(service, data)


def _apply_status(service, old_status, new_status, explicit):
    """Status dates (spec 04 §6, 05 §3.3): reaching Active stamps the activation date when none is set; an
    ending status stamps the deactivation date with now unless the caller sent one. The OCS account follows:
    suspended and ended services are disabled in CGRateS, reactivated ones enabled (before any row changes)."""
    from omnicrm.ocs.service import sync_account_status
    sync_account_status(service, old_status, new_status)
    service.service_status = new_status
    now = utcnow()
    if new_status == "Active" and service.service_active_date is None and "service_active_date" not in explicit:
        service.service_active_date = now
    if new_status in ENDED_STATUSES and "service_deactivate_date" not in explicit:
        service.service_deactivate_date = now
    if new_status == PENDING_CANCELLATION:
        from omnicrm.services.lifecycle import grace_period_end
        service.grace_period_end = grace_period_end(now)
    else:  # paid within the grace period (back to Active) or ended: no deadline left
        service.grace_period_end = None


def delete_service(service):
    """Delete a service for good (spec 05 §2.2): it is deprovisioned in CGRateS first (auto-renewals removed,
    account disabled and removed, scheduler reloaded, profiles removed; an unreachable OCS stops here with 503 and
    the row stays), its inventory returns to stock, its transactions stay (unlinked), and the activity log keeps
    what it was."""
    from omnicrm.inventory.models import Inventory
    from omnicrm.ocs.service import deprovision_ocs
    ocs_report = deprovision_ocs(service)
    removed_plans = ocs_report["action_plans_removed"]
    before = activity.snapshot(service)
    released = db.session.execute(
        update(Inventory).where(Inventory.service_id == service.service_id)
        .values(service_id=None, customer_id=None, item_state=UNASSIGNED_INVENTORY_STATE)
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(Service).where(Service.bundled_parent == service.service_id)
                       .values(bundled_parent=None).execution_options(synchronize_session=False))
    description = f"Deleted service {service.service_id} '{service.service_name}' ({service.service_uuid})"
    if released:
        description += f"; {released} inventory item(s) returned to stock"
    if removed_plans:
        description += f"; auto-renewals removed: {', '.join(removed_plans)}"
    if ocs_report["account_removed"]:
        description += f"; OCS account {service.service_uuid} disabled and removed"
    activity.record("service", service.service_id, "delete", description, customer_id=service.customer_id,
                    changes=activity.diff(before, {}))
    db.session.delete(service)
    db.session.flush()
    return {"service_id": before["service_id"], "inventory_released": released, "action_plans_removed": removed_plans,
            "ocs": ocs_report}


def bulk_operation(action, service_ids, service_status=None):
    """Apply one action to many services (spec 05 §2): each item commits or rolls back on its own, so an item
    is never half-done, and the answer reports every item."""
    results = []
    for service_id in service_ids:
        try:
            service = get_service(service_id)
            if action == "delete":
                outcome = delete_service(service)
            else:
                outcome = {"service_id": service_id, "service_status": service_status,
                           "changes": change_status(service, service_status)}
            db.session.commit()
            results.append({"service_id": service_id, "ok": True, "status_code": 200, **outcome})
        except ApiError as error:
            db.session.rollback()
            results.append({"service_id": service_id, "ok": False, "status_code": error.status_code,
                            **error.to_dict()})
        except Exception as error:  # noqa: BLE001 - one bad item must not stop the others; reported and logged
            db.session.rollback()
            log_unexpected(log, error, "bulk %s failed on service %s", action, service_id)
            results.append({"service_id": service_id, "ok": False, "status_code": 500,
                            "message": "Internal error on this item; nothing was changed"})
    succeeded = sum(1 for r in results if r["ok"])
    return {"action": action, "succeeded": succeeded, "failed": len(results) - succeeded, "results": results}


def check_bulk_request(data):
    check = Checker(data)
    check.reject_unknown(("action", "service_ids", "service_status"))
    action = check.string("action", required=True, choices=BULK_ACTIONS)
    ids = data.get("service_ids")
    if not isinstance(ids, list) or not ids:
        check.error("service_ids", "must be a non-empty list of service ids")
    elif len(ids) > MAX_BULK_ITEMS:
        check.error("service_ids", f"at most {MAX_BULK_ITEMS} services per request")
    elif not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        check.error("service_ids", "must contain only service ids (positive whole numbers)")
    if action == "set_status":
        check.string("service_status", required=True, choices=SERVICE_STATUSES)
    elif "service_status" in data:
        check.error("service_status", "only used with action set_status")
    check.done()
    return action, list(dict.fromkeys(ids)), data.get("service_status")


# ---------------------------------------------------------------------------------------------- search hook

_search_index = {"loaded": False, "index_service": None}


def _index(service):
    """Keep global search current. The one place that tolerates `omnicrm.utilities.search_index` being absent
    (it is built separately); once present, its `index_service(service)` runs in the same transaction."""
    if not _search_index["loaded"]:
        try:
            from omnicrm.utilities.search_index import index_service
        except ImportError:
            index_service = None
        _search_index.update(loaded=True, index_service=index_service)
    if _search_index["index_service"] is not None:
        _search_index["index_service"](service)
