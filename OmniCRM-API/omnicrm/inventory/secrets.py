"""Encryption at rest of inventory secrets (management_password, template-marked itemtext fields such as Ki/OPc).

Key: OMNICRM_ENCRYPTION_KEY when set (a Fernet key, or any passphrase which is hashed into one), else derived from
the configured jwt_secret. Stored values carry the `fernet:` prefix so a reader never mistakes a token for clear text.
"""
import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, has_app_context

PREFIX = "fernet:"
MASK = "***"
# Longest clear secret we accept: its token must still fit the 255-character itemtext columns.
MAX_SECRET_LENGTH = 100

_ciphers = {}


def _key_material():
    explicit = os.environ.get("OMNICRM_ENCRYPTION_KEY")
    if explicit:
        return "env", explicit
    if has_app_context():
        return "jwt", current_app.config["CRM"]["jwt_secret"]
    raise RuntimeError("No encryption key: set OMNICRM_ENCRYPTION_KEY or run inside the application")


def _cipher():
    kind, material = _key_material()
    cache_key = (kind, material)
    if cache_key not in _ciphers:
        try:
            key = material.encode()
            Fernet(key)
        except ValueError:
            digest = hashlib.sha256(f"omnicrm-inventory-secrets:{kind}:{material}".encode()).digest()
            key = base64.urlsafe_b64encode(digest)
        _ciphers[cache_key] = Fernet(key)
    return _ciphers[cache_key]


def encrypt(value):
    """Clear text -> stored token (None and empty stay as they are; already encrypted values are kept)."""
    if value in (None, "") or is_encrypted(value):
        return value
    return PREFIX + _cipher().encrypt(value.encode()).decode()


def decrypt(value):
    """Stored token -> clear text. Clear values (stored before a field became secret) pass through."""
    if not is_encrypted(value):
        return value
    try:
        return _cipher().decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("An inventory secret cannot be decrypted: the encryption key changed") from exc


def is_encrypted(value):
    return isinstance(value, str) and value.startswith(PREFIX)


def mask(value):
    return MASK if value not in (None, "") else value
