"""Creating provisioning jobs: who may order what, the variables a playbook receives, and the Provision row.

The job runs later (omnicrm.provisioning.dispatch); everything here happens inside the API request and either
creates a complete job or changes nothing.
"""
import ast
import json

from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.common.serialize import iso
from omnicrm.common.validation import Checker
from omnicrm.customers.models import Customer
from omnicrm.db import utcnow
from omnicrm.ops.request_log import current_request_id
from omnicrm.errors import Conflict, Forbidden, ValidationError
from omnicrm.inventory.models import FREE_STATES, Inventory
from omnicrm.products.models import Product
from omnicrm.provisioning import orders, playbooks
from omnicrm.provisioning.models import STATUS_FAILED, STATUS_RUNNING, Provision
from omnicrm.provisioning.redaction import redact, secret_values
from omnicrm.services.models import Service

# Set by the engine, never by the caller: a client-supplied value must not win (spec 04 §22 item 5).
SYSTEM_KEYS = ("access_token", "refresh_token", "initiating_user", "crm_config", "provision_id", "renewal")
# Test hooks honoured by the reference playbooks (a named task fails after its effect, to prove the rollback).
# Only staff who may both create and update provisioning jobs may send them; never customers or automated callers.
FAULT_KEYS = ("fail_at_task",)


def _may_inject_faults(identity):
    return identity.customer_id is None and identity.kind == "user" and identity.has("create_provision") \
        and identity.has("update_provision")


def parse_name_list(raw):
    """`inventory_items_list` as written in the wild: JSON, Python-style lists, mixed or typographic quotes."""
    if raw in (None, ""):
        return []
    if isinstance(raw, list):
        items = raw
    else:
        text = str(raw).strip().replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"') \
            .replace("\u201d", '"')
        try:
            items = json.loads(text)
        except ValueError:
            try:
                items = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                items = [part for part in text.strip("[]").split(",")]
    if isinstance(items, str):
        items = [items]
    names = []
    for item in items:
        name = str(item).strip().strip("'\"").strip()
        if name and name not in names:
            names.append(name)
    return names


def _product_vars(product):
    raw = product.provisioning_json_vars
    if raw in (None, ""):
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValidationError("The product's provisioning variables are not valid JSON",
                              errors={"product_id": "provisioning_json_vars of this product is not a JSON "
                                                    "object; fix the product"}) from None
    if not isinstance(value, dict):
        raise ValidationError("The product's provisioning variables are not a JSON object",
                              errors={"product_id": "provisioning_json_vars must be a JSON object"})
    return value


def _check_product(product, customer, identity, errors):
    now = utcnow()
    if not product.enabled:
        errors["product_id"] = "this product is disabled"
    elif product.available_from is not None and product.available_from > now:
        errors["product_id"] = "this product is not available yet"
    elif product.available_until is not None and product.available_until < now:
        errors["product_id"] = "this product is no longer available"
    elif customer.customer_account_type == "Business" and not product.business:
        errors["product_id"] = "this product is not offered to business customers"
    elif customer.customer_account_type != "Business" and not (product.residential or not product.business):
        errors["product_id"] = "this product is not offered to residential customers"
    elif identity.customer_id is not None and not product.customer_can_purchase:
        errors["product_id"] = "this product cannot be purchased from self-care"


def _select_inventory(product, data, errors, subscriber):
    """{inventory type name: inventory_id} for every type the product requires; each item free and of that
    type, and for a subscriber of a type offered to customers (the template's allow_customer_dropdown)."""
    selections = {}
    seen = {}
    for type_name in parse_name_list(product.inventory_items_list):
        raw = data.get(type_name)
        if raw in (None, ""):
            errors[type_name] = "select an inventory item of this type"
            continue
        try:
            inventory_id = int(raw)
            if isinstance(raw, bool) or inventory_id < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors[type_name] = "must be an inventory_id"
            continue
        item = db.session.get(Inventory, inventory_id)
        item_type = None if item is None else (item.template.item if item.template is not None else item.item)
        if item is None:
            errors[type_name] = f"inventory item {inventory_id} does not exist"
        elif item_type != type_name:
            errors[type_name] = f"inventory item {inventory_id} is a {item_type!r}, not a {type_name!r}"
        elif item.customer_id is not None or item.service_id is not None \
                or item.item_state not in FREE_STATES:
            errors[type_name] = f"inventory item {inventory_id} is not available (state {item.item_state})"
        elif subscriber and not (item.template is not None and item.template.allow_customer_dropdown):
            errors[type_name] = f"inventory of type {type_name!r} is not offered to subscribers"
        elif inventory_id in seen:
            errors[type_name] = f"inventory item {inventory_id} is already selected for {seen[inventory_id]!r}"
        else:
            seen[inventory_id] = type_name
            selections[type_name] = inventory_id
    return selections


def _reference(check, name, model, required):
    value = check.integer(name, required=required, minimum=1)
    return None if value is None else (value, db.session.get(model, value))


def create_job(identity, data, *, parent_provision_id=None, retry_of=None, dispatch=True):
    """Validate an order and create its Provision row (status 1); the run is queued after commit."""
    check = Checker(data)
    product_ref = _reference(check, "product_id", Product, required=True)
    service_ref = _reference(check, "service_id", Service, required=False)
    customer_ref = _reference(check, "customer_id", Customer, required=service_ref is None)
    play_override = check.string("provisioning_play", max_length=200)
    for key in SYSTEM_KEYS:
        if key in data:
            check.error(key, "is set by the provisioning system, not by the caller")
    for key in FAULT_KEYS:
        if key in data and not _may_inject_faults(identity):
            check.error(key, "is a test hook reserved to staff with create_provision and update_provision")
    check.done()
    errors = {}
    product = product_ref[1]
    service = service_ref[1] if service_ref else None
    if product is None:
        errors["product_id"] = f"product {product_ref[0]} does not exist"
    if service_ref and service is None:
        errors["service_id"] = f"service {service_ref[0]} does not exist"
    if customer_ref is None and service is not None:
        customer_ref = (service.customer_id, db.session.get(Customer, service.customer_id))
    customer = customer_ref[1] if customer_ref else None
    if customer_ref and customer is None:
        errors["customer_id"] = f"customer {customer_ref[0]} does not exist"
    if identity.customer_id is not None and customer_ref and customer_ref[0] != identity.customer_id:
        raise Forbidden("You can only provision services for your own account")
    if errors:
        raise ValidationError("Validation failed", errors=errors)
    if customer.customer_status in ("Closed", "Archived"):
        errors["customer_id"] = f"customer is {customer.customer_status}"
    deprovision = data.get("action") == "deprovision"
    if deprovision and service is None:
        errors["service_id"] = "deprovisioning needs the service_id of the service to remove"
    orders.check_service_rules(product, service, customer, deprovision, data, errors)
    play = play_override or product.provisioning_play
    if not play:
        errors["provisioning_play"] = "the product has no provisioning_play"
    elif not playbooks.valid_play_name(play):
        errors["provisioning_play"] = "must be a playbook name from Provisioners/plays (letters, digits, _ . -)"
    if not deprovision:  # removing a service consumes no stock and works for discontinued products too
        _check_product(product, customer, identity, errors)
        orders.check_dependencies(product, customer, errors)
    product_vars = _product_vars(product)
    inventory_types = parse_name_list(product.inventory_items_list)
    overrides = orders.check_keys(data, identity, product_vars, inventory_types, SYSTEM_KEYS + FAULT_KEYS, errors)
    auto_renew = orders.auto_renew_choice(product, data.get("auto_renew"), errors)
    # The service's own plan ordered onto it again is its renewal (the monthly ActionPlan's callback): the play
    # charges and credits the plan again and takes no new SIM, number or equipment.
    renewal = service is not None and not deprovision and product.category != "addon" \
        and service.product_id == product.product_id
    selections = {} if deprovision or renewal else _select_inventory(product, data, errors,
                                                                      identity.customer_id is not None)
    if errors:
        raise ValidationError("Validation failed", errors=errors)

    order = {k: data[k] for k in ("action", "service_uuid", *FAULT_KEYS) if data.get(k) not in (None, "")}
    if auto_renew is not None:
        order["auto_renew"] = auto_renew
    if renewal:
        order["renewal"] = True
    variables = {**orders.playbook_variables(product_vars), **overrides, **order, **selections,
                 "customer_id": customer.customer_id, "product_id": product.product_id,
                 "initiating_user": identity.user_id}
    if service is not None:
        variables["service_id"] = service.service_id
    task_count, description = playbooks.describe(playbooks.playbook_path(play))
    job = Provision(product_id=product.product_id, customer_id=customer.customer_id,
                    service_id=service.service_id if service else None, provisioning_play=play,
                    playbook_description=(description or play)[:255], provisioning_status=STATUS_RUNNING,
                    task_count=task_count, initiating_user=identity.user_id,
                    parent_provision_id=parent_provision_id, retry_of=retry_of, request_id=current_request_id())
    db.session.add(job)
    db.session.flush()
    variables["provision_id"] = job.provision_id
    job.provisioning_json_vars = json.dumps(variables, default=str)
    activity.record("provision", job.provision_id, "create",
                    f"Provisioning job {job.provision_id} started: {play} for product "
                    f"{product.product_name!r}" + (f" (retry of job {retry_of})" if retry_of else ""),
                    customer_id=customer.customer_id)
    db.session.commit()
    if dispatch:
        from omnicrm.provisioning.dispatch import submit
        submit(job)
    return job


def get_job(provision_id):
    return db.get_or_404(Provision, provision_id, "Provisioning job")


def retry_job(identity, job):
    """A new job repeating a failed one with the same variables (the order is validated again)."""
    if job.provisioning_status != STATUS_FAILED:
        raise Conflict("Only a failed provisioning job can be retried",
                       errors={"provisioning_status": f"is {job.provisioning_status}"})
    if job.parent_provision_id is not None:  # a chain part: repeat it on the same bundle, no new order
        from omnicrm.provisioning import chains
        root = get_job(job.parent_provision_id)
        if job.provisioning_play in chains.parts_of(root):
            return chains.create_part(root, job.provisioning_play, retry_of=job.provision_id)
    stored = json.loads(job.provisioning_json_vars or "{}")
    repeatable = set(orders.ORDER_KEYS) | set(FAULT_KEYS)
    if job.product is not None:  # the order's inventory and the overrides this caller may still make
        repeatable |= set(parse_name_list(job.product.inventory_items_list))
        repeatable |= orders.overridable_keys(_product_vars(job.product), orders.caller_type(identity))
    data = {k: v for k, v in stored.items() if k in repeatable and k not in SYSTEM_KEYS}
    data["provisioning_play"] = job.provisioning_play
    return create_job(identity, data, retry_of=job.provision_id, parent_provision_id=job.parent_provision_id)


def job_variables_redacted(job):
    variables = json.loads(job.provisioning_json_vars or "{}")
    return redact(variables, secret_values(variables))


def event_to_dict(event):
    return {"provision_event_id": event.provision_event_id, "event_number": event.event_number,
            "event_name": event.event_name, "provisioning_status": event.provisioning_status,
            "provisioning_result_json": event.provisioning_result_json, "timestamp": iso(event.created)}


def job_to_dict(job, events=True):
    body = {
        "provision_id": job.provision_id, "customer_id": job.customer_id,
        "customer_name": job.customer.customer_name if job.customer is not None else None,
        "product_id": job.product_id, "product_name": job.product.product_name if job.product else None,
        "service_id": job.service_id, "provisioning_status": job.provisioning_status,
        "provisioning_play": job.provisioning_play, "playbook_description": job.playbook_description,
        "task_count": job.task_count, "initiating_user": job.initiating_user,
        "parent_provision_id": job.parent_provision_id, "retry_of": job.retry_of, "job_id": job.job_id,
        "request_id": job.request_id,
        "created": iso(job.created), "last_modified": iso(job.last_modified), "finished": iso(job.finished),
    }
    if events:
        body["provisioning_json_vars"] = json.dumps(job_variables_redacted(job))
        body["provisioning_result_json"] = [event_to_dict(e) for e in job.events]
    return body


def jobs_query():
    return select(Provision).outerjoin(Customer, Customer.customer_id == Provision.customer_id) \
        .outerjoin(Product, Product.product_id == Provision.product_id)

