"""Password hashing (bcrypt) and the complexity policy of spec 07 §5.6."""
import re

import bcrypt
from flask import current_app, has_app_context

SPECIALS = "!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~"
# Verifying against this keeps the timing of "no such user" equal to "wrong password".
_DUMMY_HASH = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds=12)).decode()


def hash_password(password):
    rounds = current_app.config["CRM"]["security"]["bcrypt_rounds"] if has_app_context() else 12
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds)).decode()


def check_password(password, hashed):
    try:
        return bcrypt.checkpw(password.encode(), (hashed or _DUMMY_HASH).encode())
    except ValueError:
        return False


def password_problems(password):
    """Why a password is too weak, as a sentence; None when acceptable."""
    if not isinstance(password, str):
        return "must be text"
    missing = []
    if len(password) < 8:
        missing.append("at least 8 characters")
    if not re.search(r"[A-Z]", password):
        missing.append("an upper-case letter")
    if not re.search(r"[a-z]", password):
        missing.append("a lower-case letter")
    if not re.search(r"\d", password):
        missing.append("a digit")
    if not any(c in SPECIALS for c in password):
        missing.append("a special character (!@#$%^&*)")
    return f"must contain {', '.join(missing)}" if missing else None
