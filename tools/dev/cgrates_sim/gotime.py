"""Go time semantics that leak through the CGRateS API (CONTRACT.md §4.5, §6.8, §6.11).

CGRateS is a Go program: durations, relative expiry strings, month arithmetic and the
JSON form of times all follow Go rules, so the simulator reproduces those rules here.
"""
import calendar
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time: "never" for expiries
NS = 1_000_000_000
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
          "s": NS, "m": 60 * NS, "h": 3600 * NS}
_MAX_DURATION = 2**63 - 1


class GoError(ValueError):
    """An error whose message is the exact Go error text CGRateS would return."""


def quote(text):
    """Go strconv.Quote for the plain strings that appear in error messages."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_duration(text):
    """time.ParseDuration: "1h30m", "150s", "-1.5h" -> integer nanoseconds."""
    rest = text
    negative = rest[:1] == "-"
    if rest[:1] in "+-" and rest:
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise GoError(f"time: invalid duration {quote(text)}")
    total = 0
    while rest:
        number = re.match(r"(\d*)(?:\.(\d*))?", rest)
        whole, frac = number.group(1), number.group(2)
        if not whole and not frac:
            raise GoError(f"time: invalid duration {quote(text)}")
        rest = rest[number.end():]
        unit = re.match(r"[^\d.]*", rest).group(0)
        rest = rest[len(unit):]
        if not unit:
            raise GoError(f"time: missing unit in duration {quote(text)}")
        if unit not in _UNITS:
            raise GoError(f"time: unknown unit {quote(unit)} in duration {quote(text)}")
        total += int(Decimal(f"{whole or 0}.{frac or 0}") * _UNITS[unit])
        if total > _MAX_DURATION:
            raise GoError(f"time: invalid duration {quote(text)}")
    return -total if negative else total


def format_duration(ns):
    """time.Duration.String(): 150s -> "2m30s", 3600s -> "1h0m0s", 1500ns -> "1.5µs"."""
    if ns == 0:
        return "0s"
    sign, value = ("-" if ns < 0 else ""), abs(ns)
    if value < NS:
        for unit, scale in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if value >= scale:
                return sign + _with_fraction(value, scale) + unit
    seconds, frac = divmod(value, NS)
    text = f"{seconds % 60}" + (f".{frac:09d}".rstrip("0") if frac else "") + "s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m" + text
        if minutes // 60:
            text = f"{minutes // 60}h" + text
    return sign + text


def _with_fraction(value, scale):
    whole, frac = divmod(value, scale)
    digits = len(str(scale)) - 1
    return f"{whole}" + (f".{frac:0{digits}d}".rstrip("0") if frac else "")


def parse_timezone(name):
    """general.default_timezone: "Local", "UTC", an IANA name, or a fixed "+10:00"."""
    if name == "Local":
        return datetime.now().astimezone().tzinfo
    if name == "UTC":
        return timezone.utc
    fixed = re.fullmatch(r"([+-])(\d{2}):(\d{2})", name)
    if fixed:
        sign = -1 if fixed.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(fixed.group(2)), minutes=int(fixed.group(3))))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise GoError(f"unknown time zone {name}") from None


def format_time(moment):
    """Go's JSON form of time.Time (RFC3339Nano, zeros trimmed, "Z" for offset 0)."""
    if moment is None:
        return ZERO_TIME
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    offset = moment.utcoffset()
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return text + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def last_day(year, month):
    return calendar.monthrange(year, month)[1]


def add_date(moment, years=0, months=0, days=0):
    """time.AddDate: overflowing days roll into the next month (Jan 31 + 1 month = Mar 3)."""
    month_index = moment.month - 1 + months
    year = moment.year + years + month_index // 12
    first = moment.replace(year=year, month=month_index % 12 + 1, day=1)
    return first + timedelta(days=moment.day - 1 + days)


def _month_end(now):
    return now.replace(day=last_day(now.year, now.month), hour=23, minute=59, second=59, microsecond=0)


def _plus_suffix(keyword, text):
    """The optional "+<duration>" after "*month_end" or "*month"."""
    extra = text[len(keyword):]
    if not extra:
        return timedelta(0)
    return timedelta(microseconds=parse_duration(extra.lstrip("+")) / 1000)


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")
_ASTERISK = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([+-]\d{2})(\d{2})")


def _build(parts, fraction, tz):
    year, month, day, hour, minute, second = (int(p) for p in parts)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)


def _offset(text):
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    hours, minutes = text[1:].split(":") if ":" in text else (text[1:3], text[3:])
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def parse_rfc3339(text):
    """time.Parse(time.RFC3339, text), as used for time.Time fields of requests."""
    match = _RFC3339.fullmatch(text)
    if not match:
        raise GoError(f'parsing time {quote(text)} as "2006-01-02T15:04:05Z07:00": '
                      f'cannot parse {quote(text[19:])} as "Z07:00"')
    return _build(match.groups()[:6], match.group(7), _offset(match.group(8)))


def parse_time(text, tz, now):
    """utils.ParseTimeDetectLayout. Returns None for Go's zero time (= never expires).

    Relative forms are evaluated against `now`; zone-less forms use the server zone `tz`.
    """
    text = text.strip()
    if text in ("", "*unlimited", "0"):
        return None
    keywords = {"*now": now, "*daily": add_date(now, days=1), "*monthly": add_date(now, months=1),
                "*yearly": add_date(now, years=1)}
    if text in keywords:
        return keywords[text]
    if text == "*monthly_estimated":
        nxt = add_date(now.replace(day=1), months=1)
        return nxt.replace(day=min(now.day, last_day(nxt.year, nxt.month)))
    if text.startswith("*month_end"):
        return _month_end(now) + _plus_suffix("*month_end", text)
    if text.startswith("*mo"):
        keyword = text.split("+", 1)[0]
        return add_date(now, months=1) + _plus_suffix(keyword, text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.\d*[+,-]\d+", text):
        match = _ASTERISK.fullmatch(text)
        if not match:
            raise GoError(f'parsing time {quote(text)} as "2006-01-02T15:04:05.999999999-0700": cannot parse')
        return _build(match.groups()[:6], match.group(7), _offset(match.group(8) + match.group(9)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}.+", text):
        return parse_rfc3339(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}\s\d{2}:\d{2}:\d{2}", text):
        return _build(re.split(r"[-\s:]", text), None, tz)
    digits_scale = {16: 1_000_000, 10: 1, 13: 1_000, 19: NS}
    if text.isdigit() and len(text) in digits_scale:
        seconds = Decimal(text) / digits_scale[len(text)]
        return datetime.fromtimestamp(float(seconds), tz)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}T?", text):
        return _build(re.split(r"[-T:]", text[:19]), None, tz)
    if re.fullmatch(r"\d{14}", text):
        chunks = (text[0:4], text[4:6], text[6:8], text[8:10], text[10:12], text[12:14])
        return _build(chunks, None, tz)
    if text[0] in "+-":
        delta = parse_duration(text[1:] if text[0] == "+" else text)
        return now + timedelta(microseconds=delta / 1000)
    raise GoError("Unsupported time format")


class Clock:
    """The simulator's injectable clock: real time, optionally frozen or shifted by tests."""

    def __init__(self, tz):
        self.tz = tz
        self._frozen = None
        self._offset = timedelta(0)

    def now(self):
        moment = self._frozen or datetime.now(timezone.utc) + self._offset
        return moment.astimezone(self.tz)

    def freeze(self, moment):
        self._frozen = moment

    def set(self, moment):
        """Jump to `moment`, staying frozen or running as before."""
        if self._frozen is not None:
            self._frozen = moment
        else:
            self._offset += moment - self.now()
