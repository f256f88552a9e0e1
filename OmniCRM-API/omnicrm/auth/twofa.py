"""Two-factor authentication (spec 01 §2, spec 07 §5.7): TOTP (RFC 6238, 30 s, 6 digits) plus 10 single-use
8-digit backup codes.

The TOTP secret is stored encrypted (Fernet, key derived from jwt_secret) and backup codes as keyed hashes
(HMAC-SHA256, key derived from jwt_secret): a database copy alone reveals neither. Rotating jwt_secret therefore
makes existing enrolments unreadable; an administrator then disables 2FA and the users enrol again.
"""
import base64
import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import quote

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from omnicrm.activity import log as activity
from omnicrm.auth import sessions
from omnicrm.common.shared_state import hit_counter
from omnicrm.errors import ApiError, Conflict, ValidationError

ISSUER = "OmniCRM"
BACKUP_CODE_COUNT = 10
BACKUP_CODE_DIGITS = 8
TOTP_DIGITS = 6
VALID_WINDOW = 1  # the previous and the next 30-second window are accepted (clock drift)
MAX_ATTEMPTS_PER_5_MINUTES = 10


def _derived_key(purpose):
    secret = current_app.config["CRM"]["jwt_secret"].encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def _fernet():
    return Fernet(base64.urlsafe_b64encode(_derived_key(b"omnicrm totp secret")))


def encrypt_secret(secret):
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(user):
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode()
    except (InvalidToken, ValueError):
        raise ApiError("The stored 2FA secret cannot be read (was jwt_secret changed?); ask an administrator to "
                       "reset 2FA", status_code=409) from None


def hash_backup_code(code):
    return hmac.new(_derived_key(b"omnicrm backup codes"), code.encode(), hashlib.sha256).hexdigest()


def normalise_code(code):
    """Codes as typed: spaces and dashes are ignored."""
    return "".join(ch for ch in str(code or "") if ch not in " -")


def new_backup_codes(user):
    """Replace the user's backup codes with 10 fresh ones; returns the plaintext codes (shown once)."""
    codes = [f"{secrets.randbelow(10 ** BACKUP_CODE_DIGITS):0{BACKUP_CODE_DIGITS}d}"
             for _ in range(BACKUP_CODE_COUNT)]
    user.backup_codes = json.dumps([hash_backup_code(c) for c in codes])
    return codes


def use_backup_code(user, code):
    """Consume `code` if it is one of the user's unused backup codes (single use); True when it was."""
    code = normalise_code(code)
    if len(code) != BACKUP_CODE_DIGITS or not code.isdigit():
        return False
    hashes_ = json.loads(user.backup_codes or "[]")
    wanted = hash_backup_code(code)
    match = next((h for h in hashes_ if hmac.compare_digest(h, wanted)), None)
    if match is None:
        return False
    hashes_.remove(match)
    user.backup_codes = json.dumps(hashes_)
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


def disable(user):
    """Admin reset: secret and codes cleared, every session ended; the user logs in with the password only and
    may enrol again."""
    user.totp_secret = None
    user.backup_codes = None
    user.is_2fa_enabled = False
    sessions.end_all(user.id)
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
