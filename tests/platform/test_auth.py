"""Login, refresh, logout, lockout, rate limit, API keys and the IP whitelist, over HTTP."""
import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import RevokedToken, User
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login

CONFIG_KEY = "k" * 40
NET_KEY = "n" * 40


def test_login_returns_tokens_roles_and_permissions(client):
    body = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert body["token"] and body["refresh_token"] and body["token"] == body["access_token"]
    assert body["roles"] == ["admin"]
    assert "admin" in body["permissions"] and "view_customer" in body["permissions"]
    assert body["user"]["email"] == ADMIN_EMAIL
    me = client.get("/crm/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.get_json()["user"]["email"] == ADMIN_EMAIL


def test_login_by_username_and_case_insensitive_email(client):
    assert login(client, "ADMIN@example.com", ADMIN_PASSWORD)["user"]["username"] == "admin"
    assert login(client, "admin", ADMIN_PASSWORD)["user"]["email"] == ADMIN_EMAIL


@pytest.mark.parametrize("payload, status, field", [
    ({"email": ADMIN_EMAIL, "password": "wrong"}, 401, None),
    ({"email": "nobody@example.com", "password": "whatever1A!"}, 401, None),
    ({"email": ADMIN_EMAIL}, 400, "password"),
    ({"password": "x"}, 400, "email"),
])
def test_login_failures(client, payload, status, field):
    response = client.post("/crm/auth/login", json=payload)
    assert response.status_code == status
    body = response.get_json()
    assert body["message"]
    if field:
        assert field in body["errors"]
    else:
        assert body["message"] == "Invalid email or password"


def test_login_rejects_non_json_body(client):
    response = client.post("/crm/auth/login", data="email=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.get_json()["message"]


def test_lockout_after_five_failures_even_with_right_password(client, app):
    for _ in range(5):
        assert client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": "bad"}).status_code == 401
    locked = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert locked.status_code == 423
    assert "locked" in locked.get_json()["message"].lower()
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == ADMIN_EMAIL)).one()
        assert user.locked_until is not None


def test_login_rate_limit_per_ip(client, app):
    app.config["CRM"]["security"]["login_rate_limit_per_minute"] = 3
    try:
        codes = [client.post("/crm/auth/login", json={"email": "x@example.com", "password": "y"},
                             environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(4)]
    finally:
        app.config["CRM"]["security"]["login_rate_limit_per_minute"] = 20
    assert codes == [401, 401, 401, 429]


def test_refresh_rotates_and_old_refresh_token_is_revoked(client):
    first = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    refreshed = client.post("/crm/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.get_json()
    assert client.get("/crm/auth/me", headers=bearer(new["token"])).status_code == 200
    again = client.post("/crm/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401


def test_access_token_is_not_a_refresh_token_and_vice_versa(client):
    session = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert client.post("/crm/auth/refresh", json={"refresh_token": session["token"]}).status_code == 401
    assert client.get("/crm/auth/me", headers=bearer(session["refresh_token"])).status_code == 401


def test_logout_revokes_access_and_refresh_tokens(client, app):
    session = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    headers = bearer(session["token"])
    response = client.post("/crm/auth/logout", json={"refresh_token": session["refresh_token"]}, headers=headers)
    assert response.status_code == 200
    assert client.get("/crm/auth/me", headers=headers).status_code == 401
    assert client.post("/crm/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(RevokedToken).limit(1)) is not None  # no Redis: kept in the database


def test_token_signed_with_another_secret_is_refused(client):
    import jwt as pyjwt
    forged = pyjwt.encode({"sub": "1", "type": "access", "jti": "x", "iat": 1, "nbf": 1, "exp": 9999999999},
                          "another-secret-" * 5, algorithm="HS256")
    response = client.get("/crm/auth/me", headers=bearer(forged))
    assert response.status_code == 401


def test_garbage_token_and_anonymous_are_401(client):
    assert client.get("/crm/auth/users", headers=bearer("garbage")).status_code == 401
    response = client.get("/crm/auth/users")
    assert response.status_code == 401
    assert response.get_json() == {"message": "Authentication required"}


@pytest.fixture
def keyed_app(app):
    """The configured static API keys and whitelist of spec 02 §1.13 (restored afterwards)."""
    from omnicrm.config import _validate_api_keys, _validate_ip_whitelist
    crm = app.config["CRM"]
    saved = crm["api_keys"], crm["ip_whitelist"]
    crm["api_keys"] = _validate_api_keys({
        CONFIG_KEY: {"roles": ["admin"], "ips": ["127.0.0.1", "::1"]},
        NET_KEY: {"roles": ["Auditor"], "ips": ["127.0.0.1", "10.0.1.0/24"]},
    })
    crm["ip_whitelist"] = _validate_ip_whitelist({"10.179.2.142": {"roles": ["admin"]},
                                                  "10.50.0.0/16": {"roles": ["Auditor"]}})
    yield app
    crm["api_keys"], crm["ip_whitelist"] = saved


def test_config_api_key_from_allowed_ip(client, keyed_app):
    response = client.get("/crm/auth/users", headers={"X-API-KEY": CONFIG_KEY})
    assert response.status_code == 200
    me = client.get("/crm/auth/me", headers={"X-API-KEY": CONFIG_KEY}).get_json()
    assert me["kind"] == "api_key"
    assert me["roles"] == ["admin"]


def test_config_api_key_cidr_and_refused_outside(client, keyed_app):
    inside = client.get("/crm/auth/me", headers={"X-API-KEY": NET_KEY}, environ_base={"REMOTE_ADDR": "10.0.1.17"})
    assert inside.status_code == 200
    assert "view_customer" in inside.get_json()["permissions"]
    assert "create_customer" not in inside.get_json()["permissions"]
    outside = client.get("/crm/auth/me", headers={"X-API-KEY": NET_KEY},
                         environ_base={"REMOTE_ADDR": "192.168.5.5"})
    assert outside.status_code == 401
    # the Auditor role of this key cannot manage users
    assert client.get("/crm/auth/users", headers={"X-API-KEY": NET_KEY},
                      environ_base={"REMOTE_ADDR": "10.0.1.17"}).status_code == 403


def test_wrong_api_key_is_401_and_key_in_authorization_header_is_not_accepted(client, keyed_app):
    assert client.get("/crm/auth/me", headers={"X-API-KEY": "x" * 40}).status_code == 401
    assert client.get("/crm/auth/me", headers={"Authorization": CONFIG_KEY}).status_code == 401


def test_ip_whitelist_single_address_and_cidr(client, keyed_app):
    listed = client.get("/crm/auth/users", environ_base={"REMOTE_ADDR": "10.179.2.142"})
    assert listed.status_code == 200
    me = client.get("/crm/auth/me", environ_base={"REMOTE_ADDR": "10.179.2.142"}).get_json()
    assert me["kind"] == "whitelist" and me["user"]["email"] == ADMIN_EMAIL  # acts as the first admin
    ranged = client.get("/crm/auth/me", environ_base={"REMOTE_ADDR": "10.50.3.4"})
    assert ranged.status_code == 200 and ranged.get_json()["roles"] == ["Auditor"]
    assert client.get("/crm/auth/users", environ_base={"REMOTE_ADDR": "10.180.0.1"}).status_code == 401


def test_forwarded_for_is_only_believed_from_a_trusted_proxy(client, keyed_app):
    import ipaddress
    forwarded = {"X-Forwarded-For": "10.179.2.142"}
    assert client.get("/crm/auth/me", headers=forwarded,
                      environ_base={"REMOTE_ADDR": "172.16.0.9"}).status_code == 401
    keyed_app.config["CRM"]["crm"]["trusted_proxies"] = [ipaddress.ip_network("172.16.0.0/24")]
    try:
        assert client.get("/crm/auth/me", headers=forwarded,
                          environ_base={"REMOTE_ADDR": "172.16.0.9"}).status_code == 200
    finally:
        keyed_app.config["CRM"]["crm"]["trusted_proxies"] = []


def test_database_api_key_lifecycle(client, admin_headers):
    created = client.post("/crm/api-keys", headers=admin_headers, json={
        "name": "Nueva Integración", "description": "billing sync", "expiry_date": "2099-01-10",
        "permissions": ["view_customer", "view_service"]})
    assert created.status_code == 201, created.get_json()
    key = created.get_json()
    assert key["api_key"].startswith("sk_live_") and len(key["api_key"]) >= 32
    assert key["status"] == "active" and key["expiry_date"] == "2099-01-10T23:59:59Z"
    assert key["permissions"] == ["view_customer", "view_customer_service"]
    listed = client.get("/crm/api-keys", headers=admin_headers).get_json()["data"]
    assert listed[0]["api_key"] != key["api_key"] and listed[0]["api_key"].startswith("sk_live_...")
    use = client.get("/crm/auth/me", headers={"X-API-KEY": key["api_key"]})
    assert use.status_code == 200 and use.get_json()["label"] == "api_key:Nueva Integración"
    assert client.get("/crm/auth/users", headers={"X-API-KEY": key["api_key"]}).status_code == 403
    expired = client.patch(f"/crm/api-keys/{key['api_key_id']}", headers=admin_headers,
                           json={"expiry_date": "2000-01-01"})
    assert expired.get_json()["status"] == "expired"
    assert client.get("/crm/auth/me", headers={"X-API-KEY": key["api_key"]}).status_code == 401
    client.patch(f"/crm/api-keys/{key['api_key_id']}", headers=admin_headers, json={"expiry_date": None})
    regenerated = client.post(f"/crm/api-keys/{key['api_key_id']}/regenerate", headers=admin_headers).get_json()
    assert client.get("/crm/auth/me", headers={"X-API-KEY": key["api_key"]}).status_code == 401
    assert client.get("/crm/auth/me", headers={"X-API-KEY": regenerated["api_key"]}).status_code == 200
    assert client.delete(f"/crm/api-keys/{key['api_key_id']}", headers=admin_headers).status_code == 200
    assert client.get("/crm/auth/me", headers={"X-API-KEY": regenerated["api_key"]}).status_code == 401


def test_api_key_list_filters_searches_sorts_and_pages(client, admin_headers):
    from datetime import date, timedelta

    def create(name, expiry):
        response = client.post("/crm/api-keys", headers=admin_headers, json={"name": name, "expiry_date": expiry})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    soon = (date.today() + timedelta(days=10)).isoformat()
    billing = create("Billing sync", None)
    create("Porting", "2099-01-01")
    create("Legacy", "2001-01-01")
    expiring = create("Reports", soon)

    def names(**params):
        response = client.get("/crm/api-keys", headers=admin_headers, query_string=params)
        assert response.status_code == 200, response.get_json()
        return [k["name"] for k in response.get_json()["data"]], response.get_json()["pagination"]

    assert names(filters='{"status": ["active"]}')[0] == ["Billing sync", "Porting"]
    assert names(filters='{"status": ["expiring_soon", "expired"]}')[0] == ["Legacy", "Reports"]
    assert names(search="SYNC")[0] == ["Billing sync"]
    assert names(search=billing["api_key"][-4:])[0] == ["Billing sync"]  # the visible end of the masked key
    assert names(sort="name", order="desc")[0] == ["Reports", "Porting", "Legacy", "Billing sync"]
    page, pagination = names(sort="expiry_date", per_page=1, page=2)
    assert len(page) == 1 and pagination["total_items"] == 4 and pagination["total_pages"] == 4
    assert names(sort="created_by")[1]["total_items"] == 4
    assert expiring["status"] == "expiring_soon"
    bad = client.get("/crm/api-keys", headers=admin_headers, query_string={"filters": '{"status": ["gone"]}'})
    assert bad.status_code == 400 and "filters.status" in bad.get_json()["errors"]
    bad = client.get("/crm/api-keys", headers=admin_headers, query_string={"filters": '{"owner": ["x"]}'})
    assert bad.status_code == 400 and "filters.owner" in bad.get_json()["errors"]


def test_api_key_validation(client, admin_headers):
    response = client.post("/crm/api-keys", headers=admin_headers, json={"permissions": ["fly_to_moon"]})
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"name", "permissions"}
