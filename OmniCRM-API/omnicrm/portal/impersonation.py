"""Staff acting as a subscriber (spec 05 §7, spec 07 §5.10), as plain functions the API calls.

An impersonation is a new login session of the target user whose tokens carry `impersonator_id`: the caller gets
only the target's permissions, every activity-log entry names both people (`actor` and `impersonator_id`), the
target's own sessions are untouched, and the session ends at the time limit (`security.impersonation_minutes`).
Only subscribers (users linked to a customer contact, holding no staff permission) can be impersonated; one
impersonation per staff member at a time (starting another ends the previous one)."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import sessions
from omnicrm.auth.identity import permissions_of_user
from omnicrm.auth.models import User, UserSession
from omnicrm.auth.permissions import SELF_CARE_PERMISSIONS
from omnicrm.auth.tokens import revoke
from omnicrm.common.serialize import iso
from omnicrm.db import utcnow
from omnicrm.errors import Forbidden, NotFound, ValidationError
from omnicrm.portal.models import ImpersonationLog

DEFAULT_MINUTES = 60


def time_limit():
    minutes = current_app.config["CRM"].get("security", {}).get("impersonation_minutes") or DEFAULT_MINUTES
    return timedelta(minutes=int(minutes))


def ensure_impersonable(target):
    """403 for anyone but an active subscriber: staff and administrators are never impersonated."""
    if target is None or target.deleted:
        raise NotFound("User not found")
    if not target.active:
        raise Forbidden("This user account is disabled")
    staff = set(permissions_of_user(target)) - SELF_CARE_PERMISSIONS
    if target.contact_id is None or staff:
        raise Forbidden("Only customer (self-care) users can be impersonated, never staff or administrators")


def _end(log_row, reason, now=None):
    now = now or utcnow()
    log_row.impersonation_end = now
    log_row.impersonation_duration = max(int((now - log_row.impersonation_start).total_seconds()), 0)
    log_row.end_reason = reason
    if log_row.session_id:
        session = db.session.get(UserSession, log_row.session_id)
        if session is not None:
            sessions.end(session)


def open_logs(staff_id):
    return db.session.scalars(select(ImpersonationLog).where(
        ImpersonationLog.impersonating_user_id == staff_id, ImpersonationLog.impersonation_end.is_(None))).all()


def start(identity, target_id, reason, ip, device):
    """Begin acting as `target_id`; returns the login-shaped body with the target's tokens."""
    from omnicrm.auth.service import _session_body
    if identity.kind != "user" or identity.session_id is None:
        raise Forbidden("Only a logged-in staff user can impersonate")
    if identity.impersonator_id:
        raise Forbidden("Stop the current impersonation first")
    target = db.session.get(User, target_id)
    ensure_impersonable(target)
    if target.id == identity.user_id:
        raise ValidationError("Validation failed", errors={"user_id": "you cannot impersonate yourself"})
    now = utcnow()
    for previous in open_logs(identity.user_id):  # one impersonation per staff member at a time
        _end(previous, "replaced", now)
    session = sessions.start(target, ip, f"impersonation by {identity.user.email}: {device or ''}", remember=False)
    session.expires = now + time_limit()
    customer_id = target.contact.customer_id if target.contact else None
    row = ImpersonationLog(impersonating_user_id=identity.user_id, target_user_id=target.id,
                           customer_id=customer_id, reason=reason, impersonation_start=now,
                           expires=session.expires, session_id=session.id, staff_session_id=identity.session_id)
    db.session.add(row)
    db.session.flush()
    activity.record("user", target.id, "impersonation_start",
                    f"{identity.user.email} started impersonating {target.email}: {reason}",
                    customer_id=customer_id)
    db.session.commit()
    body = _session_body(target, session, extra_claims={"impersonator_id": identity.user_id})
    body.update({"success": True, "impersonating_user_id": identity.user_id, "target_user_id": target.id,
                 "impersonation_start": iso(now), "impersonation_expires": iso(session.expires),
                 "impersonation_id": row.id,
                 "impersonator": {"id": identity.user_id, "email": identity.user.email,
                                  "name": identity.user.full_name}})
    return body


def stop(identity):
    """End the caller's impersonation and return the staff member's own session (tokens), when it is still live."""
    from omnicrm.auth.service import _session_body
    if not identity.impersonator_id:
        raise ValidationError("This session is not an impersonation")
    row = db.session.scalars(select(ImpersonationLog).where(
        ImpersonationLog.session_id == identity.session_id)).first()
    if row is None:
        raise NotFound("Impersonation not found")
    now = utcnow()
    if row.impersonation_end is None:
        _end(row, "stopped", now)
    if identity.token_jti:
        revoke(identity.token_jti, identity.token_expires)
    activity.record("user", row.target_user_id, "impersonation_stop",
                    f"Impersonation of {identity.user.email} ended after {row.impersonation_duration} s",
                    customer_id=row.customer_id)
    db.session.commit()
    body = {"success": True, "impersonation_end": iso(row.impersonation_end),
            "duration_seconds": row.impersonation_duration}
    staff = db.session.get(User, row.impersonating_user_id)
    staff_session = sessions.find(row.staff_session_id, row.impersonating_user_id)
    if staff is not None and staff.active and not staff.deleted and staff_session is not None \
            and staff_session.ended is None and staff_session.expires > now:
        body.update(_session_body(staff, staff_session))
    return body


def log_to_dict(row, users=None):
    users = users or {}
    staff, target = users.get(row.impersonating_user_id), users.get(row.target_user_id)
    return {"id": row.id, "impersonating_user_id": row.impersonating_user_id,
            "impersonating_user_email": staff.email if staff else None,
            "target_user_id": row.target_user_id, "target_user_email": target.email if target else None,
            "customer_id": row.customer_id, "reason": row.reason,
            "impersonation_start": iso(row.impersonation_start), "impersonation_end": iso(row.impersonation_end),
            "impersonation_duration": row.impersonation_duration, "expires": iso(row.expires),
            "end_reason": row.end_reason,
            "active": row.impersonation_end is None and row.expires is not None and row.expires > utcnow()}
