"""Open Location Code ("Plus Code") encoding, computed locally from latitude/longitude (spec 03 §6.4).

A code is five pairs of base-20 digits: each pair narrows latitude and longitude by 20 (from 20 degrees down to
1/8000 degree), with a '+' after the eighth digit. Ten digits (11 characters with the '+') is the standard
precision the spec asks for (about 14 x 14 m). Working in integers of the finest unit avoids float drift.
"""
ALPHABET = "23456789CFGHJMPQRVWX"
SEPARATOR_POSITION = 8
PAIR_DIGITS = 10
# Finest unit of a 10-digit code: 1/8000 of a degree in both axes (20^4 / 20 = 8000).
UNITS_PER_DEGREE = 8000


def encode(latitude, longitude):
    """The 10-digit Plus Code of a point, e.g. (51.5074, -0.1278) -> '9C3XGV4C+XV'."""
    latitude = min(90.0, max(-90.0, float(latitude)))
    longitude = float(longitude)
    longitude = (longitude + 180.0) % 360.0 - 180.0
    lat_units = int(round((latitude + 90.0) * UNITS_PER_DEGREE, 6))
    lng_units = int(round((longitude + 180.0) * UNITS_PER_DEGREE, 6))
    lat_units = min(lat_units, 180 * UNITS_PER_DEGREE - 1)  # the north pole belongs to the last row
    digits = []
    for _ in range(PAIR_DIGITS // 2):
        digits.append(ALPHABET[lng_units % 20])
        digits.append(ALPHABET[lat_units % 20])
        lat_units //= 20
        lng_units //= 20
    code = "".join(reversed(digits))
    return code[:SEPARATOR_POSITION] + "+" + code[SEPARATOR_POSITION:]


def is_valid(code):
    """A full 10-digit code as this module writes it (what the site form may send back)."""
    if not isinstance(code, str) or len(code) != 11 or code[SEPARATOR_POSITION] != "+":
        return False
    body = code.upper().replace("+", "")
    return all(c in ALPHABET for c in body) and body[0] in ALPHABET[:9] and body[1] in ALPHABET[:18]
