"""`POST /crm/ocs/proxy` (spec 05 §6.6): one CGRateS JSON-RPC call on behalf of staff holding cgrates_api_access,
through the CRM's CGRateS client, limited to an allow-list of methods.

Allowed by default: reads only, i.e. `Get…` methods (and Ping) of the CGRateS services the CRM works with.
Writes must be listed one by one in `ocs.proxy_write_methods` (none by default: the service form saves attributes
and filters through its own endpoints, which validate what they store). Every allowed write is logged to the
customer's activity feed with the method, tenant, full parameters, service and user; reads are not (§6.6).
"""
import re

from flask import current_app
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.common.validation import Checker
from omnicrm.errors import Forbidden, ValidationError
from omnicrm.ocs.service import jsonable, ocs_client
from omnicrm.services.models import Service

READ_SERVICES = ("APIerSv1", "APIerSv2", "ApierV1", "ApierV2", "AttributeSv1", "SessionSv1", "CDRsV1", "CDRsV2",
                 "ThresholdSv1", "ResourceSv1", "StatSv1", "ChargerSv1", "RouteSv1", "RALsV1", "SchedulerSv1")
METHOD_PATTERN = r"[A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9]*"
READ_METHOD = re.compile(rf"^(?:{'|'.join(READ_SERVICES)})\.(?:Get[A-Za-z0-9]*|Ping)$")


def write_methods():
    return set((current_app.config["CRM"].get("ocs") or {}).get("proxy_write_methods") or [])


def is_read(method):
    return bool(READ_METHOD.match(method))


def proxy(data):
    """Check, call, log a write; returns {method, tenant, result}."""
    check = Checker(data)
    check.reject_unknown(("method", "params", "customer_id", "service_id", "tenant"))
    method = check.string("method", required=True, max_length=100, pattern=METHOD_PATTERN)
    customer_id = check.integer("customer_id", required=True, minimum=1)
    service_id = check.integer("service_id", required=True, minimum=1)
    tenant = check.string("tenant", max_length=255)
    params = data.get("params")
    if not isinstance(params, list) or len(params) > 1 or \
            any(not isinstance(p, (dict, str)) for p in params):
        check.error("params", "must be an array with at most one parameter object (CGRateS reads only the first)")
    check.done()
    write = not is_read(method)
    if write and method not in write_methods():
        raise Forbidden(f"{method} is not allowed through the proxy: only read (Get…) methods and the write "
                        "methods listed in ocs.proxy_write_methods are", errors={"method": "not allowed"})
    service = db.session.scalars(select(Service).where(Service.service_id == service_id)).first()
    if service is None or service.customer_id != customer_id:
        raise ValidationError("Validation failed", errors={"service_id": "is not a service of this customer"})
    client = ocs_client()
    tenant = tenant or client.tenant
    sent = [dict(p) if isinstance(p, dict) else p for p in params] or [{}]
    if isinstance(sent[0], dict):
        sent[0].setdefault("Tenant", tenant)
    result = client.call(method, sent)
    if write:
        activity.record("service", service.service_id, "cgrates_proxy",
                        f"CGRateS {method} (tenant {tenant}) on service {service.service_id}",
                        customer_id=service.customer_id,
                        changes={"method": method, "tenant": tenant, "params": sent, "service_id": service.service_id})
        db.session.commit()
    return {"method": method, "tenant": tenant, "result": jsonable(result)}
