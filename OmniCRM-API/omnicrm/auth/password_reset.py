"""Self-service password reset, the lockout notice and the staff welcome e-mail (spec 07 §5.6, §6.12; spec 02 §7.6,
§7.10).

Reset links carry a random token; only its SHA-256 is stored (Password_Reset_Token), it works once and for one
hour. A new link supersedes the user's earlier unused links.
"""
import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import service
from omnicrm.auth.models import PasswordResetToken, User
from omnicrm.auth.passwords import password_problems
from omnicrm.common.serialize import iso
from omnicrm.common.shared_state import hit_counter
from omnicrm.communications.service import send_template_email, template_block
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, ValidationError

log = logging.getLogger(__name__)

RESET_LINK_HOURS = 1
WELCOME_LINK_HOURS = 72  # a new colleague may not read the welcome e-mail within the hour
RESET_EMAILS_PER_HOUR = 5  # per account: the form cannot be used to flood someone's mailbox
FORGOT_ANSWER = "If an account exists for that e-mail address, reset instructions have been sent to it"
RESET_TEMPLATE = "api_crmCommunicationUserPasswordReset"


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def base_url():
    return current_app.config["CRM"]["crm"]["base_url"]


def reset_url(token):
    """The console's reset page with the token in the fragment, which browsers never send to a server, so the
    token cannot reach an access log (issue #11 finding 7)."""
    return f"{base_url()}/reset-password#token={token}"


def issue_token(user, hours):
    """A new reset token for `user` (earlier unused ones stop working); returns the plaintext token."""
    db.session.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                        PasswordResetToken.used.is_(False)).values(used=True))
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(token_hash=token_hash(token), user_id=user.id,
                                      expires=utcnow() + timedelta(hours=hours)))
    return token


def _reset_variables(user, token):
    link = reset_url(token)
    return {"user_name": user.full_name or user.username, "email": user.email, "reset_url": link,
            "reset_link": link, "expiry_time": f"{RESET_LINK_HOURS} hour",
            "support_email": template_block(RESET_TEMPLATE)["from_email"]}


def _recipient(user):
    return {"email": user.email, "name": user.full_name}


def request_reset(email, ip):
    """Forgot-password: e-mail a reset link when `email` belongs to an active user. The caller always gets the
    same answer, so the form does not reveal which addresses have accounts."""
    per_minute = current_app.config["CRM"]["security"]["login_rate_limit_per_minute"]
    if hit_counter(f"omnicrm:forgot-rate:{ip}", 60) > per_minute:
        raise ApiError("Too many requests, wait a minute and try again", status_code=429)
    user = db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()
    if user is None or user.deleted or not user.active:
        return
    if hit_counter(f"omnicrm:forgot-user:{user.id}", 3600) > RESET_EMAILS_PER_HOUR:
        log.warning("password reset e-mails for user %s throttled", user.id)
        return
    token = issue_token(user, RESET_LINK_HOURS)
    activity.record("user", user.id, "password_reset_request", f"Password reset link requested for {user.email}",
                    actor=f"ip:{ip}")
    db.session.commit()
    send_template_email(RESET_TEMPLATE, _recipient(user), _reset_variables(user, token), raise_errors=False)


def notify_lockout(user, ip):
    """After the 5th failed login: the password-reset e-mail doubles as the security notice (spec 07 §6.12)."""
    token = issue_token(user, RESET_LINK_HOURS)
    db.session.commit()
    variables = {**_reset_variables(user, token), "reason": "account_locked", "locked_until": iso(user.locked_until),
                 "ip_address": ip}
    send_template_email(RESET_TEMPLATE, _recipient(user), variables, raise_errors=False)


def reset_password(token, new_password, ip):
    """Set a new password with a reset link's token: once, within its lifetime; other sessions end."""
    errors = {}
    row = db.session.get(PasswordResetToken, token_hash(token))
    now = utcnow()
    if row is None or row.used or row.expires <= now:
        errors["token"] = "is invalid or has expired; request a new reset link"
    problem = password_problems(new_password)
    if problem:
        errors["new_password"] = problem
    user = db.session.get(User, row.user_id) if row is not None else None
    if not errors and (user is None or user.deleted):
        errors["token"] = "is invalid or has expired; request a new reset link"
    if errors:
        raise ValidationError("Validation failed", errors=errors)
    claimed = db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.token_hash == row.token_hash, PasswordResetToken.used.is_(False),
        PasswordResetToken.expires > now).values(used=True)).rowcount
    if claimed != 1:  # used by a concurrent request a moment ago
        raise ValidationError("Validation failed",
                              errors={"token": "is invalid or has expired; request a new reset link"})
    service.set_password(user, new_password, reason="reset with an e-mailed link")
    user.email_verified = True  # the link reached this inbox
    db.session.commit()
    send_template_email("api_crmCommunicationUserPasswordResetSuccess", _recipient(user), {
        "user_name": user.full_name or user.username, "change_date": iso(now), "ip_address": ip,
        "support_email": template_block("api_crmCommunicationUserPasswordResetSuccess")["from_email"],
    }, raise_errors=False)


def notify_password_change(user, ip):
    """Tell the user its password was changed (by itself or an administrator), never with the password."""
    send_template_email("api_crmCommunicationUserPasswordChange", _recipient(user), {
        "user_name": user.full_name or user.username, "change_date": iso(utcnow()), "ip_address": ip,
        "support_email": template_block("api_crmCommunicationUserPasswordChange")["from_email"],
    }, raise_errors=False)


def send_welcome_email(user):
    """Staff welcome e-mail with a link to set the password; only for users who never logged in (else 409)."""
    if user.deleted:
        raise Conflict(f"User {user.email} is deleted")
    if user.login_count:
        raise Conflict(f"{user.email} has already logged in; the welcome e-mail is only for new users")
    token = issue_token(user, WELCOME_LINK_HOURS)
    db.session.commit()
    link = reset_url(token)
    row = send_template_email("api_crmCommunicationUserWelcome", _recipient(user), {
        "user_name": user.full_name or user.username, "email": user.email,
        "role": ", ".join(r.name for r in user.roles), "login_url": f"{base_url()}/login",
        "temp_password": "", "set_password_url": link,
        "support_email": template_block("api_crmCommunicationUserWelcome")["from_email"],
    })
    activity.record("user", user.id, "welcome_email", f"Welcome e-mail {row.status} to {user.email}")
    db.session.commit()
    return row
