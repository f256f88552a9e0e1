"""E-mail address syntax, shared by request validation, configuration and mail sending."""
import re

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def split_emails(values):
    """(valid, invalid) addresses of a list, each stripped; non-text entries are invalid."""
    valid, invalid = [], []
    for value in values:
        text = value.strip() if isinstance(value, str) else ""
        (valid if EMAIL_RE.match(text) else invalid).append(text or repr(value))
    return valid, invalid
