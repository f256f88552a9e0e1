"""One helper every domain uses to write the activity log: who, when, what changed, for which customer."""
import json

from flask import g, has_request_context

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.common.serialize import plain

# Never written to the log, whatever the entity (secrets and hashes).
REDACTED_FIELDS = {"password", "management_password", "ki", "opc", "totp_secret", "backup_codes", "key_hash"}


def snapshot(obj, fields=None):
    """The loggable state of a row: JSON-ready column values."""
    names = fields or [c.key for c in obj.__mapper__.column_attrs]
    return {n: plain(getattr(obj, n)) for n in names}


def diff(before, after):
    """{field: {"before": x, "after": y}} for the fields that changed; secrets are masked."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            if name.lower() in REDACTED_FIELDS:
                old, new = ("***" if old else None), ("***" if new else None)
            changes[name] = {"before": old, "after": new}
    return changes


def _actor():
    identity = getattr(g, "identity", None) if has_request_context() else None
    if identity is None:
        return None, "system", None
    return identity.user_id if identity.kind == "user" else None, identity.label, getattr(g, "client_ip", None)


def record(entity_type, entity_id, action, description, customer_id=None, changes=None, actor=None):
    """Add an entry to the current transaction (it commits or rolls back with the change it describes)."""
    user_id, label, ip = _actor()
    identity = getattr(g, "identity", None) if has_request_context() else None
    entry = ActivityLog(entity_type=entity_type, entity_id=None if entity_id is None else str(entity_id),
                        impersonator_id=getattr(identity, "impersonator_id", None),  # both people (spec 05 §7.6)
                        action=action, description=description[:1000], customer_id=customer_id,
                        changes=json.dumps(changes) if changes else None, user_id=user_id,
                        actor=actor or label, ip_address=ip)
    db.session.add(entry)
    return entry
