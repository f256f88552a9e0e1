"""E-mail verification (spec 07 §5.3, §5.4.2): a new user's address, and an address an administrator changes, is
confirmed by a link e-mailed to it. A changed address waits in `pending_email` and replaces `email` only when its
link is followed. Only the SHA-256 of a link's token is stored; the token travels in the URL fragment."""
import secrets
from datetime import timedelta

from sqlalchemy import update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import password_reset, service
from omnicrm.auth.models import EmailVerificationToken, User
from omnicrm.common.shared_state import hit_counter
from omnicrm.communications.service import send_template_email, template_block
from omnicrm.db import utcnow
from omnicrm.errors import ApiError, Conflict, ValidationError

TEMPLATE = "api_crmCommunicationEmailVerification"
LINK_HOURS = 48
RESENDS_PER_HOUR = 5  # a mailbox is not flooded by repeated clicks
INVALID = "is invalid or has expired; ask for a new verification e-mail"


def verification_url(token):
    return f"{password_reset.base_url()}/verify-email#token={token}"


def send_verification(user, email):
    """Mail a verification link for `email` (the user's address, or the one it is changing to); earlier links of
    the user stop working. Commits, then sends: a mail failure is in the outbox and never undoes the change."""
    db.session.execute(update(EmailVerificationToken).where(EmailVerificationToken.user_id == user.id,
                                                            EmailVerificationToken.used.is_(False))
                       .values(used=True))
    token = secrets.token_urlsafe(32)
    db.session.add(EmailVerificationToken(token_hash=password_reset.token_hash(token), user_id=user.id, email=email,
                                          expires=utcnow() + timedelta(hours=LINK_HOURS)))
    db.session.commit()
    link = verification_url(token)
    send_template_email(TEMPLATE, {"email": email, "name": user.full_name}, {
        "user_name": user.full_name or user.username, "email": email, "verification_url": link,
        "expiry_time": f"{LINK_HOURS} hours", "support_email": template_block(TEMPLATE)["from_email"],
    }, raise_errors=False)


def resend(user):
    """A new link for the address waiting for verification (a pending change, else an unverified address); the
    earlier links stop working. Returns the address mailed."""
    address = user.pending_email or (None if user.email_verified else user.email)
    if user.deleted or address is None:
        raise Conflict(f"No e-mail address of user {user.id} waits for verification",
                       errors={"email": "already verified, nothing pending"})
    if hit_counter(f"omnicrm:verify-resend:{user.id}", 3600) > RESENDS_PER_HOUR:
        raise ApiError(f"At most {RESENDS_PER_HOUR} verification e-mails an hour; try again later", status_code=429)
    activity.record("user", user.id, "verification_resent", f"Verification e-mail for {address} sent again")
    send_verification(user, address)
    return address


def change_email(user, new_email):
    """Keep the current address until the new one is verified."""
    user.pending_email = new_email
    activity.record("user", user.id, "email_change_requested", f"E-mail change of {user.email} to {new_email} "
                    "waits for verification")


def verify(token):
    """Follow a verification link: the address is confirmed and, for a change, becomes the user's e-mail."""
    row = db.session.get(EmailVerificationToken, password_reset.token_hash(token))
    now = utcnow()
    if row is None or row.used or row.expires <= now:
        raise ValidationError("Validation failed", errors={"token": INVALID})
    user = db.session.get(User, row.user_id)
    if user is None or user.deleted or row.email not in (user.email, user.pending_email):
        raise ValidationError("Validation failed", errors={"token": INVALID})
    other = service.find_user_by_login(row.email)
    if other is not None and other.id != user.id:
        raise Conflict(f"{row.email} is now used by another account; ask for the change again",
                       errors={"email": "already in use"})
    claimed = db.session.execute(update(EmailVerificationToken).where(
        EmailVerificationToken.token_hash == row.token_hash, EmailVerificationToken.used.is_(False))
        .values(used=True)).rowcount
    if claimed != 1:
        raise ValidationError("Validation failed", errors={"token": INVALID})
    if row.email != user.email:
        activity.record("user", user.id, "email_change", f"E-mail of {user.email} changed to {row.email}")
        user.email = row.email
    user.pending_email = None
    user.email_verified = True
    activity.record("user", user.id, "email_verified", f"E-mail {user.email} verified")
    db.session.commit()
    return user
