"""The token a playbook calls the CRM with: the `Provisioning` role's permissions only, limited to the job's
customer (its records, its services, the inventory it was given), revoked when the job ends (issue 12 finding 2).

The permissions come from the role named `Provisioning` (seeded with PROVISIONING_PERMISSIONS, editable by the
operator for their own plays); the user named in the token only says who the job acts for in the activity log.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import g, request
from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.permissions import DEFAULT_ROLES
from omnicrm.errors import NotFound

PROVISIONING_ROLE = "Provisioning"
# Every CRM call of the reference plays (Provisioners/): product and customer reads, service create/update/delete,
# inventory read (with the Ki/OPc the HSS needs), assign and release, transactions and their void, the welcome
# e-mail (create_provision), auto-renewal ActionPlans and top-ups through /crm/oam, CGRateS profiles through /crm/ocs.
PROVISIONING_PERMISSIONS = DEFAULT_ROLES[PROVISIONING_ROLE][1]
TOKEN_GRACE_SECONDS = 300


@dataclass(frozen=True)
class JobScope:
    provision_id: int
    customer_id: int | None
    inventory_ids: frozenset


def mint(job, user, inventory_ids, timeout_seconds):
    """(token, decoded claims) valid for the longest this job can run."""
    token = create_access_token(identity=str(user.id), additional_claims={
        "type_of_user": "provisioning", "provision_id": job.provision_id, "scope_customer_id": job.customer_id,
        "inventory_ids": sorted(inventory_ids)}, expires_delta=timedelta(seconds=timeout_seconds + TOKEN_GRACE_SECONDS))
    return token, decode_token(token)


def role_permissions():
    from omnicrm.auth.identity import permissions_of_roles
    from omnicrm.auth.models import Role
    exists = db.session.scalar(select(Role.id).where(Role.name == PROVISIONING_ROLE))
    return permissions_of_roles([PROVISIONING_ROLE]) if exists else frozenset(PROVISIONING_PERMISSIONS)


def identity_for_job(claims, user, expires):
    """The Identity of a request carrying a job token (never admin, never a subscriber)."""
    from omnicrm.auth.identity import Identity
    scope = JobScope(int(claims["provision_id"]), claims.get("scope_customer_id"),
                     frozenset(claims.get("inventory_ids") or ()))
    return Identity(kind="provisioning", label=f"provisioning:job {scope.provision_id} for user:{user.email}",
                    permissions=role_permissions(), user=user, roles=[PROVISIONING_ROLE], token_jti=claims["jti"],
                    token_expires=expires, job_scope=scope)


def _customer_of(model, key):
    row = db.session.get(model, key)
    return None if row is None else row.customer_id


def _refuse():
    raise NotFound("Not found")  # as for customers: another customer's records do not exist for a job


def _check_customer(scope, customer_id):
    if customer_id is not None and customer_id != scope.customer_id:
        _refuse()


def _check_service(scope, service_id):
    from omnicrm.services.models import Service
    if service_id not in (None, ""):
        try:
            owner = _customer_of(Service, int(service_id))
        except (TypeError, ValueError):
            return  # the endpoint's own validation answers
        if owner is not None:
            _check_customer(scope, owner)


def _check_inventory(scope, inventory_id):
    from omnicrm.inventory.models import Inventory
    item = db.session.get(Inventory, inventory_id)
    if item is None:
        return
    if item.customer_id is None:
        if inventory_id not in scope.inventory_ids:
            _refuse()  # a free item the job was not given
    else:
        _check_customer(scope, item.customer_id)


def _check_action_plan(scope, action_plan_id):
    from omnicrm.services.models import Service
    uuids = db.session.scalars(select(Service.service_uuid).where(Service.customer_id == scope.customer_id))
    if not any(uuid and uuid in action_plan_id for uuid in uuids):
        _refuse()


def enforce(identity):
    """Called by every permission check: a job token reaches only its customer's records. Path ids and the
    body's customer_id/service_id are checked; a list without an id is limited to the customer (customer_scope)."""
    scope = getattr(identity, "job_scope", None)
    if scope is None:
        return
    from omnicrm.billing.models import Transaction
    args = request.view_args or {}
    if "customer_id" in args:
        _check_customer(scope, args["customer_id"])
    if "service_id" in args:
        _check_service(scope, args["service_id"])
    if "inventory_id" in args:
        _check_inventory(scope, args["inventory_id"])
    if "transaction_id" in args:
        _check_customer(scope, _customer_of(Transaction, args["transaction_id"]))
    if "action_plan_id" in args:
        _check_action_plan(scope, args["action_plan_id"])
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict):
        if isinstance(body.get("customer_id"), (int, str)) and str(body["customer_id"]).strip():
            try:
                _check_customer(scope, int(body["customer_id"]))
            except ValueError:
                pass  # not a number: the endpoint's validation answers 400
        _check_service(scope, body.get("service_id"))
    if "service_uuid" in args:
        from omnicrm.services.models import Service
        _check_customer(scope, db.session.scalar(select(Service.customer_id).where(
            Service.service_uuid == args["service_uuid"])))
    if request.method == "GET" and not any(name.endswith("_id") or name == "service_uuid" for name in args):
        g.customer_scope = scope.customer_id
