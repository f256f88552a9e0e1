"""Go encoding/json rules, as CGRateS applies them to requests and replies (CONTRACT.md §1.4).

Requests: struct fields match case-insensitively (exact match first), unknown fields are
ignored, null keeps the zero value, and a JSON type mismatch is an error with Go's text.
Replies: struct keys in declaration order, integral floats without ".0", times as RFC3339Nano.
"""
import json
import math
from datetime import datetime
from decimal import Decimal

from .gotime import format_time

STRING, FLOAT, INT, BOOL, ANY, DURATION, TIME = (
    "string", "float64", "int", "bool", "interface {}", "time.Duration", "time.Time")
_ZERO = {STRING: "", FLOAT: 0.0, INT: 0, BOOL: False, ANY: None, DURATION: 0, TIME: None}


class RpcError(Exception):
    """A JSON-RPC error reply: the message is the exact CGRateS error string."""


class Struct:
    """A Go struct type: its qualified name (for error texts) and ordered (field, type) pairs."""

    def __init__(self, qualified_name, *fields):
        self.qualified_name = qualified_name
        self.name = qualified_name.rsplit(".", 1)[-1]
        self.fields = fields

    def __str__(self):
        return self.qualified_name


class ListOf:
    def __init__(self, elem):
        self.elem = elem

    def __str__(self):
        return f"[]{self.elem}"


class MapOf:
    def __init__(self, elem):
        self.elem = elem

    def __str__(self):
        return f"map[string]{self.elem}"


class Ptr:
    """A pointer field: None when absent or null (so "not given" differs from zero)."""

    def __init__(self, elem):
        self.elem = elem

    def __str__(self):
        return f"*{self.elem}"


def _json_kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def zero(gotype):
    if isinstance(gotype, Struct):
        return {name: zero(sub) for name, sub in gotype.fields}
    if isinstance(gotype, (ListOf, MapOf, Ptr)):
        return None
    return _ZERO[gotype]


class _Decoder:
    def __init__(self):
        self.error = None  # Go keeps decoding and reports the first type error
        self.struct = None
        self.path = []

    def mismatch(self, value, gotype, shown=None):
        if self.error is None:
            what = shown or _json_kind(value)
            if self.struct is None:
                self.error = f"json: cannot unmarshal {what} into Go value of type {gotype}"
            else:
                self.error = (f"json: cannot unmarshal {what} into Go struct field "
                              f"{self.struct.name}.{'.'.join(self.path)} of type {gotype}")

    def decode(self, value, gotype):
        if value is None:
            return zero(gotype)
        if isinstance(gotype, Ptr):
            return self.decode(value, gotype.elem)
        if isinstance(gotype, Struct):
            return self.struct_value(value, gotype)
        if isinstance(gotype, ListOf):
            if not isinstance(value, list):
                return self.mismatch(value, gotype)
            return [self.decode(item, gotype.elem) for item in value]
        if isinstance(gotype, MapOf):
            if not isinstance(value, dict):
                return self.mismatch(value, gotype)
            return {key: self.decode(item, gotype.elem) for key, item in value.items()}
        return self.scalar(value, gotype)

    def struct_value(self, value, gotype):
        if not isinstance(value, dict):
            return self.mismatch(value, gotype)
        result = zero(gotype)
        names = {name: sub for name, sub in gotype.fields}
        folded = {name.lower(): name for name in names}
        for key, item in value.items():
            name = key if key in names else folded.get(key.lower())
            if name is None:
                continue  # unknown fields are ignored
            outer = self.struct
            self.struct = gotype
            self.path.append(name)
            result[name] = self.decode(item, names[name])
            self.path.pop()
            self.struct = outer
        return result

    def scalar(self, value, gotype):
        kind = _json_kind(value)
        if gotype == ANY:
            return value
        if gotype == STRING:
            return value if kind == "string" else self.mismatch(value, gotype)
        if gotype == BOOL:
            return value if kind == "bool" else self.mismatch(value, gotype)
        if gotype == FLOAT:
            return float(value) if kind == "number" else self.mismatch(value, gotype)
        if gotype in (INT, DURATION):
            if kind != "number":
                return self.mismatch(value, gotype)
            if isinstance(value, float) and not value.is_integer():
                return self.mismatch(value, gotype, f"number {value!r}")
            return int(value)
        if gotype == TIME:
            return value if kind == "string" else self.mismatch(value, gotype)
        raise TypeError(gotype)


def decode_params(params, gotype):
    """Decode `params` the way birpc does: a JSON array whose element [0] fills the argument."""
    if params is None:
        raise RpcError("jsonrpc: request body missing params")
    if not isinstance(params, list):
        raise RpcError(f"json: cannot unmarshal {_json_kind(params)} into Go value of type [1]interface {{}}")
    decoder = _Decoder()
    value = decoder.decode(params[0] if params else None, gotype)
    if decoder.error:
        raise RpcError(decoder.error)
    return value


def missing_fields(args, names):
    """utils.MissingStructFields: "" (after trimming), empty slice/map and int 0 are missing.

    float64 and bool fields are never missing, exactly as in CGRateS.
    """
    missing = []
    for name in names:
        value = args[name]
        if isinstance(value, str):
            args[name] = value = value.strip()
        if _is_missing(value):
            missing.append(name)
    return missing


def _is_missing(value):
    if isinstance(value, (bool, float)):
        return False
    if isinstance(value, (str, int)):
        return value in ("", 0)
    return not value  # nil or empty slice/map


def require(args, *names):
    missing = missing_fields(args, names)
    if missing:
        raise RpcError(f"MANDATORY_IE_MISSING: [{' '.join(missing)}]")


def format_float(number):
    """strconv.FormatFloat(f, 'g'-like) as encoding/json writes float64."""
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    text = repr(number)
    if "e" in text and 1e-7 <= abs(number) < 1e-4:
        return format(Decimal(text), "f")
    return text


def encode(value):
    """Serialise a reply like Go: compact, HTML-safe escapes, Go number and time forms."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("json: unsupported value")
        return format_float(value)
    if isinstance(value, datetime):
        return encode(format_time(value))
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                              ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
            text = text.replace(char, escaped)
        return text
    if isinstance(value, dict):
        return "{" + ",".join(f"{encode(str(k))}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode(item) for item in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__}")


def sorted_map(mapping):
    """Go marshals map keys in sorted order; nil maps stay null."""
    return None if mapping is None else {key: mapping[key] for key in sorted(mapping)}
