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
                    "totp", "backup_code", "key_hash")
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
        self.secrets = sorted({s for s in extra_secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len,
                              reverse=True)

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
