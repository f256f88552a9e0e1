"""Login, token refresh, logout and user administration, as plain functions the API and CLI call."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import sessions, twofa
from omnicrm.auth.identity import effective_permission_names, permissions_of_user
from omnicrm.auth.models import Role, User
from omnicrm.auth.passwords import check_password, hash_password, password_problems
from omnicrm.auth.tokens import issue_tokens, revoke, revoke_encoded
from omnicrm.common.serialize import iso
from omnicrm.common.shared_state import hit_counter
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, Unauthorized, ValidationError

INVALID_LOGIN = "Invalid email or password"


def _security():
    return current_app.config["CRM"]["security"]


def find_user_by_login(login):
    login = (login or "").strip().lower()
    return db.session.scalars(
        select(User).where(or_(func.lower(User.email) == login, func.lower(User.username) == login))).first()


def login(email, password, ip, remember=False, device=None):
    """Check credentials with lockout and rate limit; return the login response body."""
    limit = _security()["login_rate_limit_per_minute"]
    if hit_counter(f"omnicrm:login-rate:{ip}", 60) > limit:
        raise ApiError("Too many login attempts, wait a minute and try again", status_code=429)
    user = find_user_by_login(email)
    if user is None or user.deleted:
        check_password(password or "", None)
        raise Unauthorized(INVALID_LOGIN)
    now = utcnow()
    locked = user.locked_until is not None and user.locked_until > now
    if not check_password(password or "", user.password):
        if not locked:
            _count_failure(user, ip, now)
        raise Unauthorized(INVALID_LOGIN)  # locked or not: the same answer as for an unknown address
    if locked:  # told only to whoever knows the password
        raise ApiError(f"Account locked after repeated failed logins until {iso(user.locked_until)}; "
                       "reset your password or contact an administrator", status_code=423,
                       locked_until=iso(user.locked_until))
    if not user.active:
        raise ApiError("This account is disabled; contact an administrator", status_code=403)
    if user.force_password_change:
        _use_temporary_password(user)
    user.failed_login_count = 0
    user.locked_until = None
    if user.is_2fa_enabled and user.totp_secret:
        db.session.commit()
        from flask_jwt_extended import create_access_token
        pending = create_access_token(identity=str(user.id), additional_claims={"mfa_pending": True},
                                      expires_delta=timedelta(minutes=5))
        return {"2fa_required": True, "user_id": user.id, "mfa_token": pending}
    return complete_login(user, ip, remember, device)


def _count_failure(user, ip, now):
    """One more failed login; the last allowed one locks the account and e-mails the owner a reset link."""
    user.failed_login_count = (user.failed_login_count or 0) + 1
    if user.failed_login_count < _security()["lockout_attempts"]:
        db.session.commit()
        return
    user.locked_until = now + timedelta(minutes=_security()["lockout_minutes"])
    user.failed_login_count = 0
    activity.record("user", user.id, "lockout", f"User {user.email} locked after repeated failed logins",
                    actor=f"ip:{ip}")
    db.session.commit()
    from omnicrm.auth.password_reset import notify_lockout
    notify_lockout(user, ip)


def _use_temporary_password(user):
    """An admin-set password opens one session only, in which it must be changed (spec 02 §8)."""
    if user.temporary_password_used_at is not None:
        raise Unauthorized("This temporary password has already been used; ask an administrator for a new one")
    user.temporary_password_used_at = utcnow()


def complete_login(user, ip, remember=False, device=None):
    """Start a session for a user whose credentials (and second factor) were checked; the login response."""
    user.login_count = (user.login_count or 0) + 1
    user.last_login = utcnow()
    user.last_login_ip = ip
    session = sessions.start(user, ip, device, remember)
    db.session.commit()
    return _session_body(user, session)


def _session_body(user, session, extra_claims=None):
    access, refresh = issue_tokens(user, session, extra_claims=extra_claims)
    return {"token": access, "access_token": access, "refresh_token": refresh, **session_info(user),
            "session": {"id": session.id, "expires": iso(session.expires), "remember_me": session.remember}}


def session_info(user):
    permissions = permissions_of_user(user)
    return {
        "user": user_to_dict(user),
        "roles": [r.name for r in user.roles],
        "permissions": effective_permission_names(permissions),
        "force_password_change": bool(user.force_password_change),
        "two_factor_enrolment_required": twofa.enrolment_required(user),
    }


def refresh(refresh_token):
    """A new access token and rotated refresh token for a valid refresh token of a live session; the session's
    end (fixed at login) does not move."""
    from flask_jwt_extended import decode_token
    from omnicrm.auth.tokens import is_revoked
    try:
        data = decode_token(refresh_token)
    except Exception:  # noqa: BLE001 - any decoding failure is an invalid token
        raise Unauthorized("Invalid or expired refresh token") from None
    if data.get("type") != "refresh":
        raise Unauthorized("Invalid or expired refresh token")
    if is_revoked(data["jti"]):
        _end_reused_session(data)
        raise Unauthorized("Invalid or expired refresh token")
    user = db.session.get(User, int(data["sub"]))
    if user is None or user.deleted or not user.active:
        raise Unauthorized("User account is not active")
    session = sessions.active(data.get("sid"), user.id)
    revoke_encoded(refresh_token)
    # An impersonation stays one after a refresh: its tokens keep naming the staff member (spec 05 §7.6).
    carried = {"impersonator_id": data["impersonator_id"]} if data.get("impersonator_id") else None
    return _session_body(user, session, extra_claims=carried)


def _end_reused_session(data):
    """A rotated refresh token presented again was copied (OAuth 2.0 Security BCP, refresh token reuse detection):
    whoever holds the newer one may be the thief, so the whole session ends, for the thief and the victim alike."""
    session = sessions.find(data.get("sid"), int(data["sub"]))
    if session is None or session.ended is not None:
        return  # logged out, or ended by a password change: a stale token, not a theft
    sessions.end(session)
    activity.record("user", session.user_id, "refresh_reuse", f"Session {session.id} ended: a refresh token "
                    "already used was presented again (possible token theft)")
    db.session.commit()


def logout(identity, refresh_token=None):
    """End the caller's session: its access token and every refresh token of the login stop working."""
    if identity.token_jti:
        revoke(identity.token_jti, identity.token_expires)
    if refresh_token:
        revoke_encoded(refresh_token)
    if identity.session_id:
        sessions.end(sessions.get_live(identity.user_id, identity.session_id))
        db.session.commit()


def user_to_dict(user, detail=False):
    body = {
        "id": user.id, "username": user.username, "email": user.email, "first_name": user.first_name,
        "middle_name": user.middle_name, "last_name": user.last_name, "phone_number": user.phone_number,
        "roles": [r.name for r in user.roles], "active": user.active, "deleted": user.deleted,
        "deleted_at": iso(user.deleted_at), "email_verified": user.email_verified,
        "is_2fa_enabled": user.is_2fa_enabled, "login_count": user.login_count,
        "last_login": iso(user.last_login), "contact_id": user.contact_id,
        "customer_id": user.contact.customer_id if user.contact else None,
        "force_password_change": user.force_password_change, "created": iso(user.created),
        "pending_email": user.pending_email,
    }
    if detail:
        body["permissions"] = effective_permission_names(permissions_of_user(user))
        body["last_login_ip"] = user.last_login_ip
        body["locked_until"] = iso(user.locked_until)
    return body


def roles_from_text(text):
    """Roles named in a request: "Support,Finance" or ["Support"]; case-insensitive; 400 on unknown names."""
    names = text if isinstance(text, list) else [n for n in str(text or "").split(",")]
    names = [n.strip() for n in names if n and n.strip()]
    if not names:
        raise ValidationError("Validation failed", errors={"role": "at least one role is required"})
    roles = {r.name.lower(): r for r in db.session.scalars(select(Role))}
    unknown = [n for n in names if n.lower() not in roles]
    if unknown:
        raise ValidationError("Validation failed", errors={"role": f"unknown role(s): {', '.join(unknown)}"})
    return [roles[n.lower()] for n in dict.fromkeys(names)]


def check_password_policy(password, field="password"):
    problem = password_problems(password)
    if problem:
        raise ValidationError("Validation failed", errors={field: problem})


def create_user(data, roles, contact_id=None, force_password_change=False):
    if find_user_by_login(data["email"]) or find_user_by_login(data["username"]):
        raise Conflict("A user with this username or email already exists",
                       errors={"email": "already in use"})
    user = User(username=data["username"], email=data["email"].lower(), password=hash_password(data["password"]),
                first_name=data["first_name"], middle_name=data.get("middle_name"), last_name=data["last_name"],
                phone_number=data.get("phone_number"), roles=roles, contact_id=contact_id,
                force_password_change=force_password_change)
    db.session.add(user)
    db.session.flush()
    activity.record("user", user.id, "create", f"User {user.email} created with roles "
                    f"{', '.join(r.name for r in roles)}")
    return user


def get_user(user_id):
    return db.get_or_404(User, user_id, "User")


def soft_delete_user(user):
    user.deleted = True
    user.deleted_at = utcnow()
    sessions.end_all(user.id)
    activity.record("user", user.id, "delete", f"User {user.email} deleted (soft)")


def restore_user(user):
    user.deleted = False
    user.deleted_at = None
    activity.record("user", user.id, "restore", f"User {user.email} restored")


def set_password(user, new_password, force_change=False, reason="changed"):
    """New password; every session of the user ends (refresh tokens included)."""
    check_password_policy(new_password, "new_password")
    user.password = hash_password(new_password)
    user.force_password_change = bool(force_change)
    user.temporary_password_used_at = None
    user.failed_login_count = 0
    user.locked_until = None
    sessions.end_all(user.id)
    activity.record("user", user.id, "password", f"Password of {user.email} {reason}")


def set_temporary_password(user, password):
    set_password(user, password, force_change=True, reason="reset by an administrator (temporary password)")


def deactivate(user):
    user.active = False
    sessions.end_all(user.id)


