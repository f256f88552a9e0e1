"""Subscribers' own API keys (spec 07 §6.13): read-only or read-write, with an expiry, shown once. A key acts as its
owner (a customer user), confined to the owner's customer like the portal, with the intersection of the key's and
the owner's permissions; a disabled or deleted owner's keys stop working."""
import json
from datetime import timedelta

from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import identity_for_user
from omnicrm.auth.models import ApiKey, User
from omnicrm.auth.permissions import SELF_CARE_PERMISSIONS
from omnicrm.db import utcnow
from omnicrm.errors import Forbidden, NotFound, Unauthorized, ValidationError

ACCESS = ("read_only", "read_write")
MAX_DAYS = 366
WRITE_PERMISSIONS = frozenset({"create_provision"})


def access_permissions(access):
    reads = {p for p in SELF_CARE_PERMISSIONS if p.startswith("view_own_")} | {"view_product"}
    return sorted(reads | (WRITE_PERMISSIONS if access == "read_write" else set()))


def identity_for_owned_key(key, key_permissions):
    owner = db.session.get(User, key.owner_user_id)
    if owner is None or owner.deleted or not owner.active or owner.contact_id is None:
        raise Unauthorized("Invalid API key")
    identity = identity_for_user(owner)
    identity.kind = "api_key"
    identity.label = f"api_key:{key.name} (user:{owner.email})"
    identity.permissions = frozenset(identity.permissions & key_permissions)
    return identity


def _owner(identity):
    if identity.kind != "user" or not identity.is_customer_user:
        raise Forbidden("Only subscribers manage their own API keys here; staff use /crm/api-keys")
    if identity.impersonator_id:
        raise Forbidden("API keys cannot be created or revoked while impersonating")
    return identity.user


def key_to_dict(key, plaintext=None):
    permissions = set(json.loads(key.permissions or "[]"))
    from omnicrm.auth.api_keys_api import key_status
    from omnicrm.common.serialize import iso
    return {"api_key_id": key.api_key_id, "name": key.name,
            "access": "read_write" if permissions & WRITE_PERMISSIONS else "read_only",
            "api_key": plaintext or f"{key.key_prefix}...{key.key_last4}", "status": key_status(key),
            "created": iso(key.created), "expiry_date": iso(key.expiry_date), "last_used": iso(key.last_used)}


def my_keys(identity):
    user = _owner(identity)
    rows = db.session.scalars(select(ApiKey).where(ApiKey.owner_user_id == user.id).order_by(ApiKey.api_key_id))
    return [key_to_dict(k) for k in rows]


def create(identity, name, access, expiry):
    from omnicrm.auth.api_keys_api import _new_key_value, _set_key
    user = _owner(identity)
    now = utcnow()
    if expiry <= now:
        raise ValidationError("Validation failed", errors={"expiry_date": "must be in the future"})
    if expiry > now + timedelta(days=MAX_DAYS):
        raise ValidationError("Validation failed", errors={"expiry_date": f"at most {MAX_DAYS} days ahead"})
    value = _new_key_value()
    key = ApiKey(name=name, description=f"Self-care key of {user.email}", expiry_date=expiry,
                 permissions=json.dumps(access_permissions(access)), created_by=user.id, owner_user_id=user.id)
    _set_key(key, value)
    db.session.add(key)
    db.session.flush()
    activity.record("api_key", key.api_key_id, "create", f"API key {name} ({access}) created by {user.email}",
                    customer_id=identity.customer_id)
    db.session.commit()
    return key_to_dict(key, plaintext=value)


def revoke(identity, api_key_id):
    user = _owner(identity)
    key = db.session.get(ApiKey, api_key_id)
    if key is None or key.owner_user_id != user.id:
        raise NotFound(f"API key {api_key_id} not found")
    name = key.name
    db.session.delete(key)
    activity.record("api_key", api_key_id, "delete", f"API key {name} revoked by {user.email}",
                    customer_id=identity.customer_id)
    db.session.commit()
    return {"result": "success", "message": f"API key {name} revoked"}
