"""CGRateS' loose value conversions (utils.IfaceAs*, StringMap), used for free-form maps.

The `Balance` map of AddBalance/SetBalance and the `ActionTrigger` map are map[string]any in
Go, so their values go through these converters instead of strict JSON typing (§4.3, §4.4).
"""
import json
import re
from decimal import ROUND_HALF_UP, Decimal

from .gotime import GoError, parse_duration, quote

_GO_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


def go_parse_float(text):
    """strconv.ParseFloat with Go's syntax and error text."""
    if not _GO_FLOAT.fullmatch(text):
        raise GoError(f"strconv.ParseFloat: parsing {quote(text)}: invalid syntax")
    return float(text)


def as_float(value):
    """utils.IfaceAsFloat64: numbers, numeric strings, or durations ("5m") as nanoseconds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise GoError(f"cannot convert field: {as_string(value)} to float64")
    if isinstance(value, str):
        if value.endswith(("s", "m", "h")):
            return float(parse_duration(value))
        return go_parse_float(value)
    return float(value)


def as_string(value):
    """utils.IfaceAsString: numbers and bools are stringified, structures become JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def go_parse_bool(text):
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise GoError(f"strconv.ParseBool: parsing {quote(text)}: invalid syntax")


def as_bool(value):
    """utils.IfaceAsBool: bools, "true"/"false", or a number (> 0 is true)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value > 0
    if isinstance(value, str):
        return go_parse_bool(value)
    raise GoError(f"cannot convert field: {as_string(value)} to bool")


def parse_string_map(text):
    """utils.ParseStringMap: "a;!b" -> {"a": True, "b": False}; "*zero" and "" -> {}."""
    if text in ("", "*zero"):
        return {}
    result = {}
    for item in text.split(";"):
        item = item.strip()
        if item.startswith("!"):
            result[item[1:]] = False
        elif item:
            result[item] = True
    return result


def round_value(value):
    """Balance values are rounded to general.rounding_decimals (5) with *middle (half up)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP))
