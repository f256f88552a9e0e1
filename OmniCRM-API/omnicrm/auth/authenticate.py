"""Resolves the caller of a request: X-API-KEY, then a Bearer JWT, then the IP whitelist (spec 03 §13)."""
import hashlib
import hmac
import ipaddress
import json
import logging
from flask import current_app, g, request
from flask_jwt_extended import decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth import sessions
from omnicrm.auth.identity import (Identity, first_admin_user, identity_for_user, permissions_of_roles)
from omnicrm.auth.models import ApiKey, User
from omnicrm.auth.permissions import canonical
from omnicrm.auth.tokens import expiry_of, is_revoked
from omnicrm.db import utcnow
from omnicrm.errors import Unauthorized

log = logging.getLogger(__name__)
INVALID_API_KEY = "Invalid API key"


def client_ip():
    """The caller's address; X-Forwarded-For is believed only when it comes through a trusted proxy."""
    remote = request.remote_addr or "0.0.0.0"
    proxies = current_app.config["CRM"]["crm"]["trusted_proxies"]
    if not proxies:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    chain = hops + [remote]
    for address in reversed(chain):
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return remote
        if not any(ip in net for net in proxies):
            return address
    return chain[0]


def _ip_in(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def hash_api_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def _from_api_key(key, ip):
    config_keys = current_app.config["CRM"]["api_keys"]
    matched = None
    for configured, spec in config_keys.items():  # compare against all keys: constant time per key
        if hmac.compare_digest(configured.encode(), key.encode()):
            matched = (configured, spec)
    if matched:
        configured, spec = matched
        if spec["ips"] is not None and not _ip_in(ip, spec["ips"]):
            log.warning("a configured API key was used from %s, outside its allowed addresses", ip)
            raise Unauthorized(INVALID_API_KEY)  # the same answer as a wrong key: a stolen key is not confirmed
        label = spec.get("description") or f"{configured[:6]}…"
        return Identity(kind="api_key", label=f"api_key:{label}", permissions=permissions_of_roles(spec["roles"]),
                        user=first_admin_user(), roles=list(spec["roles"]))
    stored = db.session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key))).first()
    if stored is None:
        raise Unauthorized(INVALID_API_KEY)
    if stored.expiry_date is not None and stored.expiry_date < utcnow():
        raise Unauthorized("API key expired")
    stored.last_used = utcnow()
    db.session.commit()
    permissions = frozenset(canonical(p) for p in json.loads(stored.permissions or "[]"))
    if stored.owner_user_id is not None:  # a subscriber's key: that user, its customer, never more than it holds
        from omnicrm.portal.api_keys import identity_for_owned_key
        return identity_for_owned_key(stored, permissions)
    return Identity(kind="api_key", label=f"api_key:{stored.name}", permissions=permissions,
                    user=first_admin_user())


def _from_bearer(token, ip):
    try:
        data = decode_token(token)
    except (JWTExtendedException, PyJWTError):
        raise Unauthorized("Invalid or expired token") from None
    if data.get("type") != "access":
        raise Unauthorized("An access token is required (this is a refresh token)")
    if data.get("mfa_pending"):
        raise Unauthorized("Two-factor verification required: POST /crm/2fa/verify/user/{user_id}")
    if is_revoked(data["jti"]):
        raise Unauthorized("Token has been revoked")
    user = db.session.get(User, int(data["sub"]))
    if user is None or user.deleted or not user.active:
        raise Unauthorized("User account is not active")
    if data.get("provision_id") is not None:  # a provisioning job's token: its role and customer only, no login
        from omnicrm.provisioning.job_tokens import identity_for_job
        return identity_for_job(data, user, expiry_of(data))
    identity = identity_for_user(user, jti=data["jti"], expires=expiry_of(data))
    session = sessions.active(data.get("sid"), user.id)
    sessions.touch(session, ip)
    identity.session_id = session.id
    identity.impersonator_id = data.get("impersonator_id")
    if identity.impersonator_id:  # the activity log names both people (spec 05 §7.6)
        staff = db.session.get(User, int(identity.impersonator_id))
        from omnicrm.auth.identity import permissions_of_user
        if staff is None or staff.deleted or not staff.active or \
                not {"admin", "can_impersonate"} & set(permissions_of_user(staff)):
            raise Unauthorized("The impersonation has ended: its staff member can no longer impersonate")
        identity.label += f" (impersonated by {staff.email})"
    return identity


def _from_whitelist(ip):
    for entry in current_app.config["CRM"]["ip_whitelist"]:
        if _ip_in(ip, [entry["network"]]):
            return Identity(kind="whitelist", label=f"ip:{ip}", permissions=permissions_of_roles(entry["roles"]),
                            user=first_admin_user(), roles=list(entry["roles"]))
    return None


def authenticate():
    """Identity of the current request (cached on g), or None for an anonymous caller."""
    if "identity" in g:
        return g.identity
    ip = client_ip()
    identity = None
    api_key = request.headers.get("X-API-KEY")
    auth_header = request.headers.get("Authorization", "")
    if api_key:
        identity = _from_api_key(api_key.strip(), ip)
    elif auth_header.lower().startswith("bearer "):
        identity = _from_bearer(auth_header[7:].strip(), ip)
    else:
        identity = _from_whitelist(ip)
    g.identity = identity
    g.client_ip = ip
    return identity
