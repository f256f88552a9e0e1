"""Out of the box: the console's CSP allows the configured Stripe.js origin (localstripe's in the demo), the SPA
learns the publishable key and Stripe.js URL from GET /crm/stripe/config, never the secret key."""
import pytest

import omnicrm


@pytest.fixture
def console(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("<div id=root></div>")
    monkeypatch.setattr(omnicrm, "UI_DIST", tmp_path)


def _directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_csp_allows_the_configured_stripe_js_origin(app, client, console, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["stripe"], "js_url", "http://localhost:8420/js.stripe.com/v3/")
    policy = _directives(client.get("/billing"))
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "http://localhost:8420"]
    assert "http://localhost:8420" in policy["connect-src"] and "http://localhost:8420" in policy["frame-src"]
    monkeypatch.setitem(app.config["CRM"]["stripe"], "js_url", "http://x; script-src *")
    assert _directives(client.get("/billing"))["script-src"] == ["'self'", "https://js.stripe.com"]


def test_config_for_the_spa(app, client, admin_headers, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["stripe"], "secret_key", "sk_test_secret")
    monkeypatch.setitem(app.config["CRM"]["stripe"], "publishable_key", "pk_test_public")
    answer = client.get("/crm/stripe/config", headers=admin_headers).get_json()
    assert answer == {"configured": True, "publishable_key": "pk_test_public",
                      "js_url": "https://js.stripe.com/v3/", "currency": "aud"}
    monkeypatch.setitem(app.config["CRM"]["stripe"], "secret_key", "")
    assert client.get("/crm/stripe/config", headers=admin_headers).get_json()["configured"] is False
