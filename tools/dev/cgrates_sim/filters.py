"""A small FilterS: inline filters ("*string:~*req.Account:1001|1002") and stored profiles.

CONTRACT.md §10.2 allows simplified filters; the rule types that need other subsystems
(*timings, *destinations, *rsr, ...) are accepted when stored but cannot be evaluated here.
"""
import re

from .gojson import RpcError

KNOWN_TYPES = frozenset({
    "*string", "*prefix", "*suffix", "*empty", "*exists", "*timings", "*destinations", "*rsr",
    "*gt", "*gte", "*lt", "*lte", "*regex", "*ipnet", "*apiban", "*sentrypeer", "*activation_interval",
    "*cronexp", "*http"})
_NO_VALUES = frozenset({"*exists", "*empty"})


def _base_type(rule_type):
    return "*" + rule_type[len("*not"):] if rule_type.startswith("*not") else rule_type


def rule_error(rule):
    """Why a stored filter rule is invalid (engine.NewFilterRule), or None."""
    rule_type = rule["Type"]
    if _base_type(rule_type) not in KNOWN_TYPES:
        return f"Unsupported filter Type: {rule_type}"
    if not rule["Element"]:
        return f"Element is mandatory for Type: {rule_type}"
    if not rule["Values"] and _base_type(rule_type) not in _NO_VALUES:
        return f"Values is mandatory for Type: {rule_type}"
    return None


def _inline(filter_id):
    rule_type, element, values = [*filter_id.split(":", 2), "", ""][:3]
    return [{"Type": rule_type, "Element": element, "Values": values.split("|") if values else []}]


def passes(state, filter_ids, tenant, data):
    """True when every filter passes for `data` ({"*req": {...}, ...}); unknown IDs are NOT_FOUND."""
    for filter_id in filter_ids:
        if filter_id.startswith("*"):
            rules = _inline(filter_id)
        else:
            profile = state.filters.get(f"{tenant}:{filter_id}")
            if profile is None:
                raise RpcError(f"NOT_FOUND:{filter_id}")
            rules = profile["Rules"] or []
        if not all(_rule_passes(rule, data) for rule in rules):
            return False
    return True


def _lookup(element, data):
    path = element.lstrip("~").split(".")
    value = data
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None, False
        value = value[part]
    return value, True


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _rule_passes(rule, data):
    rule_type = _base_type(rule["Type"])
    value, found = _lookup(rule["Element"], data)
    text = "" if value is None else str(value)
    values = rule["Values"] or []
    checks = {
        "*string": lambda: found and text in values,
        "*prefix": lambda: found and any(text.startswith(v) for v in values),
        "*suffix": lambda: found and any(text.endswith(v) for v in values),
        "*exists": lambda: found and value is not None,
        "*empty": lambda: found and value in ("", None, [], {}),
        "*regex": lambda: found and any(re.search(v, text) for v in values),
        "*gt": lambda: _compare(value, values, lambda a, b: a > b),
        "*gte": lambda: _compare(value, values, lambda a, b: a >= b),
        "*lt": lambda: _compare(value, values, lambda a, b: a < b),
        "*lte": lambda: _compare(value, values, lambda a, b: a <= b),
    }
    if rule_type not in checks:
        raise RpcError(f"SERVER_ERROR: filter type {rule['Type']} is not supported by the simulator")
    result = bool(checks[rule_type]())
    return not result if rule["Type"].startswith("*not") else result


def _compare(value, values, operator):
    number = _number(value)
    return number is not None and any(
        _number(v) is not None and operator(number, _number(v)) for v in values)
