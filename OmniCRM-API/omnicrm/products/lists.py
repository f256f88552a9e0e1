"""Reading the product list fields in every spelling the specification's examples use (spec 04 A4, spec 06 §5.2).

Accepted: a JSON array; a string holding a JSON or Python list literal with mixed or typographic quotes
("[\"SIM Card\", 'Mobile Number']", "[‘£5 credit’, ‘Valid for 180 days’]"); an array whose single element is itself
a quoted list ("['8GB data', '30 Day Expiry']" inside an array); "" / "[]" / null for none; and, for features, the
period-separated form "5GB High-Speed Data. Valid for 7 Days" (other lists: comma-separated).
"""
import ast
import json

TYPOGRAPHIC_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


class ListFormatError(ValueError):
    pass


def _literal(text):
    """A list literal (JSON or Python syntax) -> list; ListFormatError when it is not one."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text.translate(TYPOGRAPHIC_QUOTES))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ListFormatError("is not a readable list") from None
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list):
        raise ListFormatError("must be a list")
    return value


def _is_quoted_list(text):
    """'a', 'b' -- a list written without its brackets (the "['\\'Modem Router\\'']" spelling)."""
    return text[:1] in "'\"‘“" and text[-1:] in "'\"’”"


def _element(value):
    if isinstance(value, bool) or value is None:
        raise ListFormatError("must hold text or numbers")
    if isinstance(value, (int, float)):
        return [value]
    if not isinstance(value, str):
        raise ListFormatError("must hold text or numbers")
    text = value.strip()
    if _is_quoted_list(text):
        return [_flat(v) for v in _literal(f"[{text}]")]
    return [text] if text else []


def _flat(value):
    if isinstance(value, (list, dict)) or isinstance(value, bool) or value is None:
        raise ListFormatError("must be a flat list")
    return value.strip() if isinstance(value, str) else value


def parse_list(raw, separator=","):
    """Normalise any accepted spelling to a Python list (strings stripped, empties dropped)."""
    if raw is None:
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return []
        if text.startswith("[") or text.startswith("("):
            raw = _literal(text)
        elif _is_quoted_list(text):
            raw = _literal(f"[{text}]")
        else:
            raw = [part for part in text.split(separator)]
    if not isinstance(raw, list):
        raise ListFormatError("must be a list or a string holding a list")
    items = []
    for value in raw:
        items.extend(_element(value))
    return [v for v in items if v != ""]


def parse_features(raw):
    """Features: any list spelling, or the period-separated sentence form ("A. B. C")."""
    if isinstance(raw, str):
        text = raw.strip()
        if text and not text.startswith(("[", "(")) and not _is_quoted_list(text):
            return [part.strip().rstrip(".").strip() for part in text.split(". ") if part.strip(" .")]
    return [str(v) for v in parse_list(raw)]
