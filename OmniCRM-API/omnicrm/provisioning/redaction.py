"""Redaction of secrets from everything the provisioning engine stores or sends (events, variables, e-mails).

Two passes: values under secret-looking keys become "***", and every string is scrubbed of the job's own secret
values (the access token, secret variables) and of anything shaped like a bearer token or a JWT, because Ansible
echoes variables inside messages, URLs and command lines where no key names them.
"""
import json
import re

MASK = "***"
# Keys whose value is secret wherever they appear (compared lower-case, "-" read as "_").
SECRET_KEYS = {"ki", "k", "opc", "op", "pin", "pin1", "pin2", "puk", "puk1", "puk2", "authorization", "cookie",
               "set_cookie", "x_api_key", "access_token", "refresh_token", "token", "jwt", "otp"}
SECRET_KEY_PARTS = ("password", "passwd", "passphrase", "secret", "api_key", "apikey", "private_key", "credential",
                    "totp", "backup_code", "key_hash", "psk", "pre_shared_key")
SECRET_KEY_SUFFIXES = ("_token", "_ki", "_opc", "_pin", "_puk")
TOKEN_PATTERNS = (
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-_.~+/=]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
)
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words and numbers


def is_secret_key(key):
    name = str(key).strip().lower().replace("-", "_")
    return name in SECRET_KEYS or any(part in name for part in SECRET_KEY_PARTS) \
        or name.endswith(SECRET_KEY_SUFFIXES)


def secret_values(variables):
    """The string values of secret-named variables (searched for recursively), to scrub from free text."""
    found = set()

    def walk(node, secret=False):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, secret or is_secret_key(key))
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value, secret)
        elif secret and node not in (None, "", True, False):
            text = str(node)
            if len(text) >= MIN_SECRET_LENGTH:
                found.add(text)

    walk(variables)
    return found


class Redactor:
    """Masks secrets in JSON-like data; `extra_secrets` are literal values to scrub from every string."""

    def __init__(self, extra_secrets=()):
        self.secrets = []
        self.add(extra_secrets)

    def add(self, values):
        """Scrub these literal values from now on (longest first, so a secret inside another is not half-done)."""
        known = set(self.secrets) | {str(s) for s in values if s and len(str(s)) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(known, key=len, reverse=True)

    def learn(self, node):
        """Remember the values found under secret-named keys (a password a task generated, a PSK in set_fact),
        so the same value is scrubbed wherever it shows up later: rendered configs, URLs, messages."""
        self.add(secret_values(node))

    def text(self, value):
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        for pattern in TOKEN_PATTERNS:
            value = pattern.sub(lambda m: "Bearer " + MASK if m.group(0).lower().startswith("bearer")
                                else MASK, value)
        stripped = value.strip()
        if stripped[:1] in "{[" and stripped[-1:] in "}]":
            try:
                parsed = json.loads(stripped)
            except ValueError:
                return value
            return json.dumps(self.data(parsed))
        return value

    def data(self, node):
        if isinstance(node, dict):
            return {key: (MASK if is_secret_key(key) and value not in (None, "") else self.data(value))
                    for key, value in node.items()}
        if isinstance(node, (list, tuple)):
            return [self.data(value) for value in node]
        if isinstance(node, str):
            return self.text(node)
        return node


def redact(data, extra_secrets=()):
    return Redactor(extra_secrets).data(data)


def inventory_secret_values(inventory_ids=(), customer_id=None, service_id=None):
    """Clear values of the secret fields (template secret_fields such as Ki/OPc, management_password) of the
    inventory a job can read: the items it was given and those of its customer and service."""
    from sqlalchemy import or_, select

    from omnicrm import db
    from omnicrm.inventory import secrets
    from omnicrm.inventory.models import Inventory
    clauses = [Inventory.inventory_id.in_([i for i in inventory_ids if isinstance(i, int)])]
    if customer_id is not None:
        clauses.append(Inventory.customer_id == customer_id)
    if service_id is not None:
        clauses.append(Inventory.service_id == service_id)
    found = set()
    for item in db.session.scalars(select(Inventory).where(or_(*clauses))):
        fields = set(item.template.secret_fields or []) if item.template is not None else set()
        for name in fields | {"management_password"}:
            try:
                value = secrets.decrypt(getattr(item, name))
            except RuntimeError:  # unreadable with this key: the job cannot read it either
                continue
            if value:
                found.add(value)
    return found
