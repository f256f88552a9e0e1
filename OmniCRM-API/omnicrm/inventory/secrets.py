"""Encryption at rest of inventory secrets (management_password, template-marked itemtext fields such as Ki/OPc).

Key: OMNICRM_ENCRYPTION_KEY (the environment, or the configuration's `encryption_key`) when set (a Fernet key, or any
passphrase which is hashed into one), else derived from the configured jwt_secret. Stored values carry the `fernet:`
prefix so a reader never mistakes a token for clear text. `omnicrm rotate-encryption-key` moves them to a new key.
"""
import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app, has_app_context

PREFIX = "fernet:"
MASK = "***"
# Longest clear secret we accept: its token must still fit the 255-character itemtext columns.
MAX_SECRET_LENGTH = 100

_ciphers = {}


def _key_material():
    explicit = os.environ.get("OMNICRM_ENCRYPTION_KEY") or (
        current_app.config["CRM"].get("encryption_key") if has_app_context() else None)
    if explicit:
        return "env", explicit
    if has_app_context():
        return "jwt", current_app.config["CRM"]["jwt_secret"]
    raise RuntimeError("No encryption key: set OMNICRM_ENCRYPTION_KEY or run inside the application")


def _cipher_for(kind, material):
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


def _cipher():
    return _cipher_for(*_key_material())


def rotate_key(old_key):
    """Re-encrypt every stored inventory secret from `old_key` to the current key (values already under it are
    kept, so a re-run is safe); returns the number of items rewritten."""
    from omnicrm import db
    from omnicrm.inventory.models import ITEMTEXT_FIELDS, Inventory
    both = MultiFernet([_cipher(), _cipher_for("env", old_key)])
    count = 0
    for item in db.session.query(Inventory).yield_per(500):
        changed = False
        for name in (*ITEMTEXT_FIELDS, "management_password"):
            value = getattr(item, name)
            if is_encrypted(value):
                setattr(item, name, PREFIX + both.rotate(value[len(PREFIX):].encode()).decode())
                changed = True
        count += changed
    db.session.commit()
    return count


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
