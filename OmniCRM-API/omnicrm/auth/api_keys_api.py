"""/crm/api-keys: database-managed API keys (spec 01 §3). The key is shown once; only its hash is kept."""
import json
import secrets
from datetime import timedelta

from flask import g
from flask_restx import Namespace, Resource, fields
from sqlalchemy import or_, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.authenticate import hash_api_key
from omnicrm.auth.guards import ensure_can_grant
from omnicrm.auth.models import ApiKey, Permission, User
from omnicrm.auth.permissions import canonical
from omnicrm.auth.rbac import requires
from omnicrm.common.listing import list_parser, paginate, parse_list_params
from omnicrm.common.serialize import iso
from omnicrm.common.validation import Checker, json_body
from omnicrm.db import utcnow
from omnicrm.errors import NotFound, ValidationError

ns = Namespace("api-keys", description="API keys for integrations (X-API-KEY header)", path="/api-keys")

key_model = ns.model("ApiKey", {
    "api_key_id": fields.Integer, "name": fields.String, "description": fields.String,
    "api_key": fields.String(description="Masked, except in the create/regenerate response"),
    "status": fields.String(enum=["active", "expiring_soon", "expired"]), "created": fields.String,
    "expiry_date": fields.String, "permissions": fields.List(fields.String), "created_by": fields.String,
    "last_used": fields.String,
})
key_write_model = ns.model("ApiKeyWrite", {
    "name": fields.String(required=True), "description": fields.String,
    "expiry_date": fields.String(description="YYYY-MM-DD (valid to 23:59:59 UTC that day); empty = never"),
    "permissions": fields.List(fields.String, example=["view_customer", "view_customer_service"]),
})
EXPIRING_SOON = timedelta(days=30)


def key_status(key, now=None):
    now = now or utcnow()
    if key.expiry_date is None:
        return "active"
    if key.expiry_date < now:
        return "expired"
    return "expiring_soon" if key.expiry_date - now <= EXPIRING_SOON else "active"


def _status_clause(values):
    """The statuses of `key_status` as a WHERE clause, so the database filters and pages."""
    now = utcnow()
    clauses = {"active": or_(ApiKey.expiry_date.is_(None), ApiKey.expiry_date > now + EXPIRING_SOON),
               "expiring_soon": ApiKey.expiry_date.between(now, now + EXPIRING_SOON),
               "expired": ApiKey.expiry_date < now}
    unknown = [v for v in values if v not in clauses]
    if unknown:
        raise ValidationError("Invalid list parameters",
                              errors={"filters.status": f"unknown status; allowed: {', '.join(clauses)}"})
    return or_(*(clauses[v] for v in values))


def key_to_dict(key, plaintext=None):
    return {
        "api_key_id": key.api_key_id, "name": key.name, "description": key.description,
        "api_key": plaintext or f"{key.key_prefix}...{key.key_last4}", "status": key_status(key),
        "created": iso(key.created), "expiry_date": iso(key.expiry_date),
        "permissions": json.loads(key.permissions or "[]"),
        "created_by": key.creator.username if key.creator else None, "last_used": iso(key.last_used),
    }


def _new_key_value():
    return "sk_live_" + secrets.token_hex(24)


def _set_key(key, value):
    key.key_hash = hash_api_key(value)
    key.key_prefix = value[:8]
    key.key_last4 = value[-4:]


def _validated(data, partial):
    check = Checker(data)
    check.reject_unknown({"name", "description", "expiry_date", "permissions"})
    check.string("name", required=not partial, max_length=150)
    check.string("description", max_length=2000)
    check.datetime("expiry_date", end_of_day=True)
    permissions = data.get("permissions")
    if permissions is not None:
        known = set(db.session.scalars(select(Permission.name)))
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            check.error("permissions", "must be a list of permission names")
        else:
            unknown = [p for p in permissions if canonical(p) not in known]
            if unknown:
                check.error("permissions", f"unknown permission(s): {', '.join(unknown)}")
            check.values["permissions"] = sorted({canonical(p) for p in permissions})
    elif not partial:
        check.values["permissions"] = []
    values = check.done()
    if "permissions" in values:
        ensure_can_grant(values["permissions"])
    return values


def _get(api_key_id, manage=True):
    """A key; to `manage` it, one: one whose permissions it holds itself (else regenerating it would hand the
    caller a stronger credential)."""
    key = db.session.get(ApiKey, api_key_id)
    if key is None:
        raise NotFound(f"API key {api_key_id} not found")
    if manage:
        ensure_can_grant(json.loads(key.permissions or "[]"))
    return key


@ns.route("")
class ApiKeys(Resource):
    @requires("manage_api_keys")
    @ns.expect(list_parser)
    def get(self):
        """List keys (masked) with status; filters={"status": ["active"|"expiring_soon"|"expired"]}."""
        return paginate(select(ApiKey).outerjoin(User, ApiKey.created_by == User.id), parse_list_params(),
                        sortable={"api_key_id": ApiKey.api_key_id, "name": ApiKey.name, "created": ApiKey.created,
                                  "expiry_date": ApiKey.expiry_date, "created_by": User.username},
                        default_sort="api_key_id", serialize=key_to_dict, filterable={"status": _status_clause},
                        searchable=(ApiKey.name, ApiKey.description, ApiKey.key_prefix, ApiKey.key_last4))

    @requires("manage_api_keys")
    @ns.expect(key_write_model)
    @ns.response(201, "Created: the plaintext api_key is shown only now", key_model)
    def post(self):
        """Create a key. Copy `api_key` from the response: it is never shown again."""
        values = _validated(json_body(), partial=False)
        value = _new_key_value()
        key = ApiKey(name=values["name"], description=values.get("description"),
                     expiry_date=values.get("expiry_date"), permissions=json.dumps(values["permissions"]),
                     created_by=g.identity.user_id)
        _set_key(key, value)
        db.session.add(key)
        db.session.flush()
        activity.record("api_key", key.api_key_id, "create", f"API key {key.name} created")
        db.session.commit()
        return key_to_dict(key, plaintext=value), 201


@ns.route("/<int:api_key_id>")
class ApiKeyItem(Resource):
    @requires("manage_api_keys")
    @ns.response(200, "The key (masked)", key_model)
    def get(self, api_key_id):
        """One key, masked."""
        return key_to_dict(_get(api_key_id, manage=False))

    @requires("manage_api_keys")
    @ns.expect(key_write_model)
    @ns.response(200, "Updated", key_model)
    def patch(self, api_key_id):
        """Change name, description, expiry or permissions (the key value itself only by regenerating)."""
        key = _get(api_key_id)
        values = _validated(json_body(), partial=True)
        for name in ("name", "description", "expiry_date"):
            if name in values:
                setattr(key, name, values[name])
        if "permissions" in values:
            key.permissions = json.dumps(values["permissions"])
        activity.record("api_key", key.api_key_id, "update", f"API key {key.name} updated")
        db.session.commit()
        return key_to_dict(key)

    @requires("manage_api_keys")
    def delete(self, api_key_id):
        """Revoke and delete a key: requests using it get 401 from now on."""
        key = _get(api_key_id)
        db.session.delete(key)
        activity.record("api_key", api_key_id, "delete", f"API key {key.name} revoked")
        db.session.commit()
        return {"result": "success", "message": f"API key {key.name} revoked"}


@ns.route("/<int:api_key_id>/regenerate")
class ApiKeyRegenerate(Resource):
    @requires("manage_api_keys")
    @ns.response(200, "New key value, shown only now", key_model)
    def post(self, api_key_id):
        """Replace the key value (the old one stops working at once); name and permissions stay."""
        key = _get(api_key_id)
        value = _new_key_value()
        _set_key(key, value)
        activity.record("api_key", key.api_key_id, "regenerate", f"API key {key.name} regenerated")
        db.session.commit()
        return key_to_dict(key, plaintext=value)
