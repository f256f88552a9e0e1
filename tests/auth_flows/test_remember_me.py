"""Issue #11 finding 5: remember-me keeps its 30 days across refreshes, and the refresh token travels in an
HttpOnly, Secure, SameSite cookie (the console's way) while API clients keep the JSON refresh_token."""
from datetime import timedelta

from flask_jwt_extended import decode_token

from omnicrm.auth.tokens import expiry_of
from omnicrm.db import utcnow
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def _expires_in(app, refresh_token):
    with app.app_context():
        return expiry_of(decode_token(refresh_token)) - utcnow()


def _cookie(response):
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("refresh_token=")]
    return header


def test_remember_me_survives_refreshes(client, app):
    body = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                "remember_me": True}).get_json()
    token = body["refresh_token"]
    for _ in range(3):
        token = client.post("/crm/auth/refresh", json={"refresh_token": token}).get_json()["refresh_token"]
    assert _expires_in(app, token) > timedelta(days=29)


def test_without_remember_me_the_session_ends_within_a_day(client, app):
    body = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).get_json()
    token = client.post("/crm/auth/refresh", json={"refresh_token": body["refresh_token"]}).get_json()["refresh_token"]
    assert _expires_in(app, token) <= timedelta(days=1)


def test_console_login_keeps_the_refresh_token_out_of_javascript(client):
    response = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                    "remember_me": True, "refresh_in_cookie": True})
    assert "refresh_token" not in response.get_json() and response.get_json()["token"]
    cookie = _cookie(response)
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/crm/auth"):
        assert flag in cookie
    assert "Max-Age=" in cookie  # remember me: outlives the browser

    # The browser sends the cookie back; no token in the body, none in the answer, a rotated cookie.
    refreshed = client.post("/crm/auth/refresh")
    assert refreshed.status_code == 200 and "refresh_token" not in refreshed.get_json()
    assert _cookie(refreshed) != cookie

    logout = client.post("/crm/auth/logout", headers={"Authorization": f"Bearer {refreshed.get_json()['token']}"})
    assert "Max-Age=0" in _cookie(logout) or "expires=Thu, 01 Jan 1970" in _cookie(logout)
    assert client.post("/crm/auth/refresh").status_code in (400, 401)


def test_session_cookie_without_remember_me_ends_with_the_browser(client):
    response = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                    "refresh_in_cookie": True})
    assert "Max-Age" not in _cookie(response) and "Expires" not in _cookie(response)


def test_api_clients_keep_the_json_refresh_token(client):
    body = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).get_json()
    assert body["refresh_token"]
    client.delete_cookie("refresh_token", path="/crm/auth")
    again = client.post("/crm/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert again.status_code == 200 and again.get_json()["refresh_token"]
