"""Two-factor authentication (spec 01 §2, spec 07 §5.7): TOTP (RFC 6238, 30 s, 6 digits) plus 10 single-use
8-digit backup codes.

The TOTP secret and the list of backup-code hashes are stored encrypted (Fernet) under a key derived from the
separate `encryption_key` (OMNICRM_ENCRYPTION_KEY), never from jwt_secret: rotating jwt_secret keeps every
enrolment, and a database copy alone reveals neither the secrets nor hashes that 8-digit codes could be guessed
from. `omnicrm rotate-encryption-key` moves everything to a new encryption key.
"""
import base64
import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import quote

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import or_, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import sessions
from omnicrm.auth.models import User
from omnicrm.common.shared_state import hit_counter
from omnicrm.errors import ApiError, Conflict, DependencyUnavailable, ValidationError

ISSUER = "OmniCRM"
BACKUP_CODE_COUNT = 10
BACKUP_CODE_DIGITS = 8
TOTP_DIGITS = 6
VALID_WINDOW = 1  # the previous and the next 30-second window are accepted (clock drift)
MAX_ATTEMPTS_PER_5_MINUTES = 10
UNREADABLE = ("The stored 2FA data cannot be read: the encryption key changed without `omnicrm "
              "rotate-encryption-key`; restore the key, or ask an administrator to reset 2FA")


def fernet_for(encryption_key):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"omnicrm 2fa").derive(encryption_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet():
    key = current_app.config["CRM"].get("encryption_key")
    if not key:
        raise DependencyUnavailable("Two-factor authentication needs an encryption key: set OMNICRM_ENCRYPTION_KEY")
    return fernet_for(key)


def _decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise ApiError(UNREADABLE, status_code=409) from None


def encrypt_secret(secret):
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(user):
    return _decrypt(user.totp_secret)


def hash_backup_code(code):
    return hashlib.sha256(code.encode()).hexdigest()


def _backup_hashes(user):
    return json.loads(_decrypt(user.backup_codes)) if user.backup_codes else []


def _store_backup_hashes(user, hashes_):
    user.backup_codes = _fernet().encrypt(json.dumps(hashes_).encode()).decode()


def rotate_encryption_key(old_key):
    """Re-encrypt every user's 2FA data under the configured key; data already under it is kept (a re-run after an
    interruption is safe). Returns the number of users rewritten."""
    both = MultiFernet([_fernet(), fernet_for(old_key)])
    users = db.session.scalars(select(User).where(or_(User.totp_secret.is_not(None),
                                                      User.backup_codes.is_not(None)))).all()
    for user in users:
        if user.totp_secret:
            user.totp_secret = both.rotate(user.totp_secret.encode()).decode()
        if user.backup_codes:
            user.backup_codes = both.rotate(user.backup_codes.encode()).decode()
    db.session.commit()
    return len(users)


def normalise_code(code):
    """Codes as typed: spaces and dashes are ignored."""
    return "".join(ch for ch in str(code or "") if ch not in " -")


def new_backup_codes(user):
    """Replace the user's backup codes with 10 fresh ones; returns the plaintext codes (shown once)."""
    codes = [f"{secrets.randbelow(10 ** BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}"
             for _ in range(BACKUP_CODE_COUNT)]
    _store_backup_hashes(user, [hash_backup_code(c) for c in codes])
    return codes


def use_backup_code(user, code):
    """Consume `code` if it is one of the user's unused backup codes (single use); True when it was."""
    code = normalise_code(code)
    if len(code) != BACKUP_CODE_DIGITS or not code.isdigit():
        return False
    hashes_ = _backup_hashes(user)
    wanted = hash_backup_code(code)
    match = next((h for h in hashes_ if hmac.compare_digest(h, wanted)), None)
    if match is None:
        return False
    hashes_.remove(match)
    _store_backup_hashes(user, hashes_)
    return True


def provisioning_uri(user, secret):
    """otpauth://totp/OmniCRM:<email>?secret=...&issuer=OmniCRM, rendered as a QR code by the client."""
    return f"otpauth://totp/{ISSUER}:{quote(user.email, safe='@')}?secret={secret}&issuer={ISSUER}"


def check_totp(user, code):
    """True for the current code or one from the previous/next window, each accepted once (no replay)."""
    code = normalise_code(code)
    if len(code) != TOTP_DIGITS or not code.isdigit() or not user.totp_secret:
        return False
    totp = pyotp.TOTP(decrypt_secret(user))
    current = totp.timecode(time.time())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return hit_counter(f"omnicrm:totp-used:{user.id}:{step}", 30 * (2 * VALID_WINDOW + 2)) == 1
    return False


def limit_attempts(user):
    """At most 10 code checks per user in 5 minutes, so a 6-digit code cannot be guessed by brute force."""
    if hit_counter(f"omnicrm:2fa-attempts:{user.id}", 300) > MAX_ATTEMPTS_PER_5_MINUTES:
        raise ApiError("Too many 2FA attempts, wait a few minutes and try again", status_code=429)


def is_active(user):
    return bool(user.is_2fa_enabled and user.totp_secret)


def enrolment_required(user):
    """True for a staff user whom the configured policy requires to use 2FA and who has not enrolled yet; such a
    user's sessions can only enrol (spec 01 §2.1: by role or globally; customers are never required)."""
    if is_active(user) or user.contact_id is not None:
        return False
    names = {r.name.lower() for r in user.roles}
    if "customer" in names:
        return False
    policy = current_app.config["CRM"]["security"]
    return policy["two_factor_required"] or bool(names & {r.lower() for r in policy["two_factor_required_roles"]})


def start_enrolment(user):
    """New secret and backup codes; 2FA becomes active only after `confirm_enrolment` with a valid code."""
    if is_active(user):
        raise Conflict("2FA is already enabled; use reset-for-new-device to move it to a new device")
    secret = pyotp.random_base32()
    user.totp_secret = encrypt_secret(secret)
    user.is_2fa_enabled = False
    codes = new_backup_codes(user)
    activity.record("user", user.id, "2fa_setup", f"2FA setup started for {user.email}")
    return enrolment_body(user, secret, codes)


def enrolment_body(user, secret, codes):
    return {"totp_secret": secret, "qr_code_url": provisioning_uri(user, secret), "backup_codes": codes}


def confirm_enrolment(user, code):
    if is_active(user):
        raise Conflict("2FA is already enabled")
    if not user.totp_secret:
        raise Conflict("No 2FA setup in progress: call /2fa/enable first")
    limit_attempts(user)
    if not check_totp(user, code):
        raise ValidationError("Validation failed", errors={"code": "is not a valid code from the authenticator"})
    user.is_2fa_enabled = True
    activity.record("user", user.id, "2fa_enable", f"2FA enabled for {user.email}")


def verify_second_factor(user, code):
    """The login step: a TOTP code or an unused backup code (consumed). 400 when neither matches."""
    if not is_active(user):
        raise Conflict("2FA is not enabled for this user")
    limit_attempts(user)
    if check_totp(user, code):
        return "totp"
    if use_backup_code(user, code):
        activity.record("user", user.id, "2fa_backup_code", f"{user.email} logged in with a backup code")
        return "backup_code"
    raise ValidationError("Validation failed", errors={"code": "is not a valid 2FA or backup code"})


def regenerate_backup_codes(user):
    if not is_active(user):
        raise Conflict("2FA is not enabled for this user")
    codes = new_backup_codes(user)
    activity.record("user", user.id, "2fa_backup_codes", f"Backup codes regenerated for {user.email}")
    return codes


def disable(user, keep_session=None):
    """Admin reset: secret and codes cleared, every session ended (but `keep_session`, an admin's own when it resets
    itself); the user logs in with the password only and may enrol again."""
    user.totp_secret = None
    user.backup_codes = None
    user.is_2fa_enabled = False
    sessions.end_all(user.id, keep=keep_session)
    activity.record("user", user.id, "2fa_reset", f"2FA reset for {user.email}")


def reset_for_new_device(user, backup_code):
    """Prove possession with a backup code, then switch to a new secret and new codes (2FA stays on)."""
    if not is_active(user):
        raise Conflict("2FA is not enabled for this user")
    limit_attempts(user)
    if not use_backup_code(user, backup_code):
        raise ValidationError("Validation failed", errors={"backup_code": "is not a valid unused backup code"})
    secret = pyotp.random_base32()
    user.totp_secret = encrypt_secret(secret)
    codes = new_backup_codes(user)
    activity.record("user", user.id, "2fa_new_device", f"2FA moved to a new device for {user.email}")
    return enrolment_body(user, secret, codes)
