"""Input checking that collects every field error before answering 400, so nothing is half-written."""
import re
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation

from flask import request

from omnicrm.common.emails import EMAIL_RE  # noqa: F401 - re-exported for the modules that import it from here
from omnicrm.errors import ValidationError

# Control characters other than tab/newline, and the bidi controls that make "evil\u202egnp.exe" show as
# "evilexe.png" (Trojan Source): refused in every text field.
FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
INT_MAX = 2**31 - 1  # ids and counts are INT columns on MariaDB
MONEY_PLACES = 2
CENT = Decimal(1).scaleb(-MONEY_PLACES)
MONEY_LIMIT = Decimal(10) ** 10  # Money() is NUMERIC(14, 4): ten digits before the point
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(9999, 12, 31, 23, 59, 59)


def json_body():
    """The request body as a JSON object, or 400."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object")
    return data


class Checker:
    """Collects field errors; `done()` raises one ValidationError listing them all."""

    def __init__(self, data):
        self.data = data
        self.errors = {}
        self.values = {}

    def error(self, name, message):
        self.errors.setdefault(name, message)

    def reject_unknown(self, allowed, read_only=()):
        for name in self.data:
            if name in read_only:
                self.error(name, "is read-only")
            elif name not in allowed:
                self.error(name, "is not a known field")

    def _get(self, name, required):
        """(raw value, True) when given; an explicit null/empty for an optional field records None."""
        if name not in self.data or self.data[name] in (None, ""):
            if required:
                self.error(name, "is required")
            elif name in self.data:
                self.values[name] = None
            return None, False
        return self.data[name], True

    def _accept(self, name, value):
        self.values[name] = value
        return value

    def string(self, name, required=False, max_length=255, choices=None, pattern=None):
        raw, present = self._get(name, required)
        if not present:
            return None
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            self.error(name, "must be text")
            return None
        value = str(raw).strip()
        if FORBIDDEN_TEXT.search(value):
            self.error(name, "contains control or bidirectional-override characters")
        if max_length and len(value) > max_length:
            self.error(name, f"must be at most {max_length} characters")
        if choices and value not in choices:
            self.error(name, f"must be one of: {', '.join(choices)}")
        if pattern and not re.fullmatch(pattern, value):
            self.error(name, "has an invalid format")
        return self._accept(name, value)

    def secret(self, name, required=False, max_length=1024):
        """A password or token exactly as typed (not stripped); numbers and other JSON types are refused."""
        raw, present = self._get(name, required)
        if not present:
            return None
        if not isinstance(raw, str):
            self.error(name, "must be text")
            return None
        if len(raw) > max_length:
            self.error(name, f"must be at most {max_length} characters")
        return self._accept(name, raw)

    def email(self, name, required=False):
        value = self.string(name, required=required)
        if value is not None and not EMAIL_RE.match(value):
            self.error(name, "must be a valid e-mail address")
        return value

    def boolean(self, name, required=False):
        raw, present = self._get(name, required)
        if not present:
            return None
        text = str(raw).lower()
        if isinstance(raw, bool):
            return self._accept(name, raw)
        if text in ("true", "1", "yes", "false", "0", "no"):
            return self._accept(name, text in ("true", "1", "yes"))
        self.error(name, "must be true or false")
        return None

    def _number(self, name, required, minimum, maximum, convert, what):
        raw, present = self._get(name, required)
        if not present:
            return None
        try:
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = convert(str(raw))
        except (ValueError, InvalidOperation):
            self.error(name, f"must be {what}")
            return None
        if minimum is not None and value < minimum:
            self.error(name, f"must be at least {minimum}")
        elif maximum is not None and value > maximum:
            self.error(name, f"must be at most {maximum}")
        else:
            return self._accept(name, value)
        return None  # out of range: callers must not look it up or store it

    def integer(self, name, required=False, minimum=None, maximum=INT_MAX):
        return self._number(name, required, minimum, maximum, int, "a whole number")

    def decimal(self, name, required=False, minimum=None, maximum=None):
        return self._number(name, required, minimum, maximum, _finite_decimal, "a number")

    def money(self, name, required=False, minimum=Decimal(0)):
        """An amount of money: finite, at most 2 decimals, within the Money() column (|x| < 10^10)."""
        value = self._number(name, required, minimum, None, _finite_decimal, "an amount (e.g. 10.00)")
        if value is None:
            return None
        if abs(value) >= MONEY_LIMIT:
            self.error(name, f"must be less than {MONEY_LIMIT:,}")
        elif value != value.quantize(CENT):  # "10.50" and "10.500" are fine, "10.005" is not
            self.error(name, f"must have at most {MONEY_PLACES} decimals")
        else:
            return value
        self.values.pop(name, None)
        return None

    def datetime(self, name, required=False, end_of_day=False):
        raw, present = self._get(name, required)
        if not present:
            return None
        value = parse_datetime(raw, end_of_day=end_of_day)
        if value is None:
            self.error(name, "must be a date (YYYY-MM-DD) or date-time (ISO 8601)")
            return None
        return self._accept(name, value)

    def done(self, message="Validation failed"):
        if self.errors:
            raise ValidationError(message, errors=self.errors)
        return self.values


def _finite_decimal(text):
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(text)
    return value


def parse_datetime(raw, end_of_day=False):
    """ISO 8601 date or date-time (or 'YYYY-MM-DD HH:MM:SS') to naive UTC; None when unreadable."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time.max.replace(microsecond=0) if end_of_day else time.min)
    elif isinstance(raw, str):
        text = raw.strip().replace("Z", "+00:00")
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                value = datetime.combine(day, time(23, 59, 59) if end_of_day else time.min)
            else:
                value = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            return None
    if not EARLIEST <= value <= LATEST:  # MariaDB DATETIME starts at year 1000; nothing here predates 1900
        return None
    return value
