"""Google Maps Geocoding API client: address -> coordinates and place, coordinates -> address (spec 03 §6.2-6.3).

Talks only to `google_maps.base_url` (default https://maps.googleapis.com) with `google_maps.api_key`; without a
key geocoding is simply not available and sites are saved with the coordinates the caller sends.
Google answers HTTP 200 with a `status`: OK, ZERO_RESULTS (no such place: not an error, returns None), or an
error status (REQUEST_DENIED, OVER_QUERY_LIMIT, ...) which is raised as `GeocodingError`; a network failure or
5xx is `GeocodingUnavailable`.
"""
from decimal import Decimal

import requests

DEFAULT_BASE_URL = "https://maps.googleapis.com"
GEOCODE_PATH = "/maps/api/geocode/json"
TIMEOUT_SECONDS = 5

# Google address component type -> site field
_COMPONENTS = {
    "subpremise": "address_line_2",
    "locality": "city",
    "postal_town": "city",
    "administrative_area_level_1": "state",
    "postal_code": "zip_code",
    "country": "country",
}


class GeocodingError(Exception):
    """Google answered with an error status (bad key, quota, invalid request)."""


class GeocodingUnavailable(GeocodingError):
    """Google could not be reached or failed (timeout, connection refused, HTTP 5xx)."""


class GoogleMapsClient:
    def __init__(self, api_key, base_url=DEFAULT_BASE_URL, timeout=TIMEOUT_SECONDS):
        self.api_key = api_key
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout

    def geocode(self, address):
        """The best match for a free-text address as site fields, or None when Google knows no such place."""
        return self._lookup({"address": address})

    def reverse_geocode(self, latitude, longitude):
        """The address at a point (the dragged map pin) as site fields, or None."""
        return self._lookup({"latlng": f"{latitude},{longitude}"})

    def _lookup(self, params):
        try:
            response = requests.get(self.base_url + GEOCODE_PATH, params={**params, "key": self.api_key},
                                    timeout=self.timeout)
        except requests.RequestException as exc:
            raise GeocodingUnavailable(f"Google Maps could not be reached: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise GeocodingUnavailable(f"Google Maps answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise GeocodingError(f"Google Maps answered HTTP {response.status_code} without JSON") from None
        status = body.get("status")
        if status == "ZERO_RESULTS":
            return None
        if response.status_code != 200 or status != "OK":
            detail = body.get("error_message") or status or f"HTTP {response.status_code}"
            raise GeocodingError(f"Google Maps refused the request: {detail}")
        results = body.get("results") or []
        return site_fields(results[0]) if results else None


def site_fields(result):
    """One geocoding result as the site's fields (spec 03 §6.3 list)."""
    fields = {"google_maps_place_id": result.get("place_id")}
    number = route = None
    for component in result.get("address_components") or []:
        types = component.get("types") or []
        if "street_number" in types:
            number = component.get("long_name")
        elif "route" in types:
            route = component.get("long_name")
        for kind, name in _COMPONENTS.items():
            if kind in types and name not in fields:
                fields[name] = component.get("long_name")
    street = " ".join(p for p in (number, route) if p)
    if street:
        fields["address_line_1"] = street
    formatted = result.get("formatted_address")
    fields["site_name"] = street or (formatted.split(",")[0] if formatted else None)
    location = (result.get("geometry") or {}).get("location") or {}
    if "lat" in location and "lng" in location:
        fields["latitude"] = Decimal(str(location["lat"]))
        fields["longitude"] = Decimal(str(location["lng"]))
    return {k: v for k, v in fields.items() if v is not None}


def client_from_config(config):
    """The client for this deployment, or None when no API key is configured."""
    api_key = config.get_path("google_maps.api_key") or ""
    if not api_key:
        return None
    return GoogleMapsClient(api_key, config.get_path("google_maps.base_url") or DEFAULT_BASE_URL)
