"""What a provisioning order may contain, per caller type, and the product rules every order must meet.

A request reaches the playbook only through the keys below: the order's own fields, one inventory id per inventory
type of the product, and the variables the product declares overridable for the caller's type
(`provisioning_json_vars.overridable`). Anything else is refused with 400, so a caller cannot set prices,
allowances or the playbook, and no request text is ever templated (the runner also marks every value unsafe).
"""
import re

from omnicrm.errors import Conflict
from omnicrm.products.service import customer_holdings, dependencies_met
from omnicrm.services.lifecycle import paused_renewal_products
from omnicrm.services.models import PENDING_CANCELLATION

# The order's own fields (spec 04 §7.6); the engine reads them, they are not free playbook variables.
ORDER_KEYS = ("product_id", "customer_id", "service_id", "provisioning_play", "action", "service_uuid", "auto_renew")
# Where a product declares the variables callers may override (removed before the playbook sees the variables).
OVERRIDABLE_KEY = "overridable"
CALLER_TYPES = ("staff", "api_key", "customer")
# A subscriber never sets these, whatever the product declares: prices, allowances, durations, playbooks.
CUSTOMER_NEVER = re.compile(r"(?i)cost|price|charge|amount|fee|tax|discount|balance|credit|_gb|_mb|gb_|mb_|data|"
                            r"minute|sms|voice|days|month|expir|renew_at|play|speed|mbps|limit|quota|inventory")
MAX_VALUE_CHARS = 1000
ACTIONS = ("deprovision",)
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")


def caller_type(identity):
    """"customer" for a subscriber's login, "api_key" for systems (API keys, whitelisted networks, a running job's
    token), else "staff"."""
    if identity.customer_id is not None:
        return "customer"
    return "api_key" if identity.kind in ("api_key", "whitelist", "provisioning") else "staff"


def overridable_keys(product_vars, caller):
    """The variables this caller type may override: `overridable` is a list (staff and API keys) or an object
    {"staff": [...], "api_key": [...], "customer": [...]}; subscribers are further barred from CUSTOMER_NEVER."""
    declared = product_vars.get(OVERRIDABLE_KEY) or []
    if isinstance(declared, dict):
        names = declared.get(caller) or []
    else:
        names = declared if caller != "customer" else []
    names = {str(n) for n in names} if isinstance(names, list) else set()
    if caller == "customer":
        names = {n for n in names if not CUSTOMER_NEVER.search(n)}
    return names


def playbook_variables(product_vars):
    return {k: v for k, v in product_vars.items() if k != OVERRIDABLE_KEY}


def _scalar_ok(value):
    if isinstance(value, (dict, list)):
        return False
    return value is None or not isinstance(value, str) or len(value) <= MAX_VALUE_CHARS


def check_keys(data, identity, product_vars, inventory_types, reserved, errors):
    """Refuse every request key that is neither part of the order nor declared overridable for this caller.
    Returns the accepted overrides {name: value}."""
    caller = caller_type(identity)
    allowed = overridable_keys(product_vars, caller)
    overrides = {}
    for key, value in data.items():
        if key in ORDER_KEYS or key in inventory_types or key in reserved:
            continue
        if key not in allowed:
            who = {"customer": "subscribers", "api_key": "API keys"}.get(caller, "staff")
            errors[key] = (f"is not a variable this product lets {who} override (declare it in "
                           f"provisioning_json_vars.{OVERRIDABLE_KEY})")
        elif not _scalar_ok(value):
            errors[key] = f"must be a number, true/false or text of at most {MAX_VALUE_CHARS} characters"
        else:
            overrides[key] = value
    if caller == "customer" and data.get("provisioning_play") not in (None, ""):
        errors["provisioning_play"] = "subscribers cannot choose the playbook"
    action = data.get("action")
    if action not in (None, "") and action not in ACTIONS:
        errors["action"] = f"must be one of: {', '.join(ACTIONS)}"
    return overrides


def auto_renew_choice(product, raw, errors):
    """The order's auto-renew answer as "true"/"false", refused when the product does not offer auto-renewal."""
    if raw in (None, ""):
        return None
    word = str(raw).strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        errors["auto_renew"] = "must be true or false"
        return None
    wanted = word in TRUE_WORDS
    offered = product.auto_renew == "true" or (product.auto_renew == "prompt" and product.allow_auto_renew)
    if wanted and not offered:
        errors["auto_renew"] = "this product does not offer auto-renewal"
        return None
    return "true" if wanted else "false"


def check_service_rules(product, service, customer, deprovision, data, errors):
    """Spec 04 §5.5 for add-ons, the service's owner and state; deprovisioning only needs the service."""
    if service is None:
        if product.category == "addon":
            errors["service_id"] = "an add-on is provisioned onto an existing service: give its service_id"
        return
    if service.customer_id != customer.customer_id:
        errors["service_id"] = "this service belongs to another customer"
        return
    uuid = data.get("service_uuid")
    if uuid not in (None, "") and uuid != service.service_uuid:
        errors["service_uuid"] = "does not match the service's service_uuid"
    if deprovision:
        return
    if product.category == "addon" and product.service_type and product.service_type != service.service_type:
        errors["service_id"] = (f"rule service_type: this add-on is for {product.service_type!r} services, "
                                f"service {service.service_id} is {service.service_type!r}")
    if service.service_status == PENDING_CANCELLATION and product.product_id in paused_renewal_products(service):
        return  # paying the renewal within the grace period (services.lifecycle.renewal_paid)
    if service.service_status != "Active":
        raise Conflict(f"Service {service.service_id} is {service.service_status}: provisioning runs only on an "
                       "Active service", errors={"service_id": f"service is {service.service_status}"})


def check_dependencies(product, customer, errors):
    """relies_on_list (spec 04 §5.5): every product id or service type must be held by one of the customer's
    services that has not ended."""
    if product.relies_on_list and not dependencies_met(product, customer_holdings(customer.customer_id)):
        needs = ", ".join(str(n) for n in product.relies_on_list)
        errors["product_id"] = f"rule relies_on_list: this product needs a service of {needs}"
