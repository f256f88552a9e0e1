"""Security headers on the API, the docs and the console; HSTS only behind TLS; CORS closed unless configured."""
import ipaddress

import pytest

import omnicrm
from omnicrm.config import ConfigError
from tests.conftest import make_config

EVIL = "https://evil.example"


@pytest.fixture
def console(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("<div id=root></div>")
    monkeypatch.setattr(omnicrm, "UI_DIST", tmp_path)


def _directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


@pytest.mark.parametrize("path", ["/crm/health", "/crm/auth/me", "/crm/no/such", "/", "/customers/1",
                                  "/crm/docs"])
def test_every_answer_refuses_framing_and_sniffing(client, console, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored or wrong


def test_api_answers_may_load_nothing(client):
    assert _directives(client.get("/crm/health"))["default-src"] == ["'none'"]


def test_console_policy_allows_the_spa_and_stripe_but_no_inline_script(client, console):
    policy = _directives(client.get("/customers/1"))
    assert policy["script-src"] == ["'self'", "https://js.stripe.com"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert "'unsafe-inline'" in policy["style-src"]  # Mantine's style attributes and CSS variables
    assert "https://api.stripe.com" in policy["connect-src"] and "'self'" in policy["connect-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]


def test_hsts_when_served_over_tls(client, app):
    assert "Strict-Transport-Security" in client.get("/crm/health", base_url="https://crm.example").headers
    forwarded = {"X-Forwarded-Proto": "https"}
    spoofed = client.get("/crm/health", headers=forwarded, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert "Strict-Transport-Security" not in spoofed.headers  # an untrusted client cannot claim TLS
    app.config["CRM"]["crm"]["trusted_proxies"] = [ipaddress.ip_network("172.16.0.0/24")]
    try:
        proxied = client.get("/crm/health", headers=forwarded, environ_base={"REMOTE_ADDR": "172.16.0.9"})
    finally:
        app.config["CRM"]["crm"]["trusted_proxies"] = []
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cors_is_closed_by_default(client, admin_headers):
    preflight = client.options("/crm/auth/users", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "Authorization"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    read = client.get("/crm/auth/users", headers={**admin_headers, "Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in read.headers
    assert "Access-Control-Allow-Credentials" not in read.headers


def test_cors_allows_only_the_configured_origins(client, app):
    app.config["CRM"]["crm"]["cors_allowed_origins"] = ["https://portal.example.com"]
    try:
        good = client.options("/crm/auth/login", headers={"Origin": "https://portal.example.com",
                                                          "Access-Control-Request-Method": "POST"})
        bad = client.get("/crm/health", headers={"Origin": "https://portal.example.com.evil.example"})
    finally:
        app.config["CRM"]["crm"]["cors_allowed_origins"] = []
    assert good.headers["Access-Control-Allow-Origin"] == "https://portal.example.com"
    assert "POST" in good.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in good.headers["Access-Control-Allow-Headers"]
    assert "Origin" in good.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in bad.headers


@pytest.mark.parametrize("origins", [["*"], ["https://portal.example.com/path"], ["portal.example.com"], "x y"])
def test_cors_origins_must_be_exact_origins(origins):
    with pytest.raises(ConfigError, match="cors_allowed_origins"):
        make_config(OMNICRM__CRM__CORS_ALLOWED_ORIGINS=str(origins) if not isinstance(origins, str) else origins)
