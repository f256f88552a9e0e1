"""JSON rendering of model rows: Decimal money as strings, UTC timestamps as ISO 8601 with Z."""
from datetime import date, datetime
from decimal import Decimal


def iso(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def plain(value):
    if isinstance(value, (datetime, date)):
        return iso(value)
    if isinstance(value, Decimal):
        return decimal_text(value)
    return value


def decimal_text(value):
    """At least two decimals (money reads as money), more only when they carry information."""
    if value == value.quantize(Decimal("0.01")):
        return f"{value:.2f}"
    return format(value.normalize(), "f")


def row_to_dict(obj, fields=None, exclude=()):
    """All mapped columns of `obj` (or just `fields`), JSON-ready."""
    names = fields or [c.key for c in obj.__mapper__.column_attrs]
    return {name: plain(getattr(obj, name)) for name in names if name not in exclude}
