"""Browser-facing hardening on every response: Content-Security-Policy, HSTS behind TLS, no framing, nosniff,
referrer policy, and CORS only for the origins listed in `crm.cors_allowed_origins` (none by default)."""
import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, request

from omnicrm.integrations import stripe_client

# The console (Vite build, Mantine) loads only its own files; Mantine writes inline style attributes and
# <style> tags (CSS variables), so styles need 'unsafe-inline' — scripts never do. Stripe Elements runs in
# frames from js.stripe.com / hooks.stripe.com and talks to api.stripe.com; the site map is a Google Maps
# embed frame.
CONSOLE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' https://js.stripe.com",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https://*.stripe.com https://maps.gstatic.com https://*.googleapis.com",
    "font-src 'self' data:",
    "connect-src 'self' https://api.stripe.com https://maps.googleapis.com",
    "frame-src https://js.stripe.com https://hooks.stripe.com https://www.google.com",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# JSON answers are never rendered as documents: nothing may load or frame them.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI (flask-restx) starts itself with an inline script and inline styles.
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
DOCS_PATHS = ("/crm/docs", "/oam/docs", "/swaggerui/")
HSTS = "max-age=31536000; includeSubDomains"
CORS_HEADERS = "Authorization, Content-Type, X-API-KEY"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


def install(app):
    app.after_request(_harden)


def _policy(path):
    if path.startswith(DOCS_PATHS):
        return DOCS_POLICY
    if path in ("/crm", "/oam") or path.startswith(("/crm/", "/oam/")):
        return API_POLICY
    policy = console_policy(stripe_client.settings().get("js_url") or "")
    tiles = _map_tile_origin()
    return policy.replace("img-src 'self'", f"img-src 'self' {tiles}") if tiles else policy


def _map_tile_origin():
    """The cell broadcast map's tile server (`cbc.map_tile_url`), when one is configured, may serve images."""
    from omnicrm.cbc.service import map_tile_origin
    return map_tile_origin()


@lru_cache(maxsize=8)
def console_policy(stripe_js_url):
    """The console policy, also allowing the configured Stripe.js origin (`stripe.js_url`, e.g. localstripe's fake
    Stripe.js in the demo) to load scripts, be called and framed; js.stripe.com is always allowed."""
    parts = urlsplit(stripe_js_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in parts.netloc for c in " ;,'\""):
        return CONSOLE_POLICY
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin == "https://js.stripe.com":
        return CONSOLE_POLICY
    return CONSOLE_POLICY.replace("script-src 'self' https://js.stripe.com",
                                  f"script-src 'self' https://js.stripe.com {origin}") \
        .replace("connect-src 'self'", f"connect-src 'self' {origin}") \
        .replace("frame-src https://js.stripe.com", f"frame-src https://js.stripe.com {origin}")


def served_over_tls():
    """HTTPS seen by the client: the request itself, or X-Forwarded-Proto from a trusted reverse proxy."""
    if request.is_secure:
        return True
    if request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() != "https":
        return False
    try:
        peer = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(peer in network for network in current_app.config["CRM"]["crm"]["trusted_proxies"])


def _harden(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _policy(request.path))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if served_over_tls():
        headers.setdefault("Strict-Transport-Security", HSTS)
    _cors(response)
    return response


def _cors(response):
    """Cross-origin calls are allowed only from the configured origins (exact scheme://host[:port])."""
    origin = request.headers.get("Origin")
    if not origin or origin not in current_app.config["CRM"]["crm"]["cors_allowed_origins"]:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers.add("Vary", "Origin")
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
