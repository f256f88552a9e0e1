"""Issue #11 findings 1, 2 and 9 written as the attacks: a limited user trying to become admin, a whitelisted
network without roles, and requests that would lock every administrator out."""
import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import Permission, Role, User
from omnicrm.config import ConfigError, load_config
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_JWT_SECRET, bearer, login


def _key_manager(make_user):
    return make_user(permissions=["manage_api_keys", "view_customer"])


# Finding 1: nobody grants a role or permission they do not hold.

def test_key_manager_cannot_mint_an_admin_key_and_create_admins_with_it(client, make_user):
    manager = _key_manager(make_user)
    attempt = client.post("/crm/api-keys", headers=manager, json={"name": "backdoor", "permissions": ["admin"]})
    assert attempt.status_code == 403
    assert "admin" in attempt.get_json()["errors"]["permissions"]
    attempt = client.post("/crm/api-keys", headers=manager,
                          json={"name": "backdoor", "permissions": ["view_customer", "delete_customer"]})
    assert attempt.status_code == 403 and "delete_customer" in attempt.get_json()["errors"]["permissions"]
    assert client.get("/crm/api-keys", headers=manager).get_json()["data"] == []


def test_key_manager_may_grant_what_it_holds(client, make_user):
    manager = _key_manager(make_user)
    created = client.post("/crm/api-keys", headers=manager, json={"name": "ok", "permissions": ["view_customer"]})
    assert created.status_code == 201
    assert client.get("/crm/customers", headers={"X-API-KEY": created.get_json()["api_key"]}).status_code == 200


def test_key_manager_cannot_widen_its_key_or_take_over_a_stronger_one(client, make_user, admin_headers):
    manager = _key_manager(make_user)
    own = client.post("/crm/api-keys", headers=manager, json={"name": "own", "permissions": ["view_customer"]})
    key_id = own.get_json()["api_key_id"]
    widened = client.patch(f"/crm/api-keys/{key_id}", headers=manager, json={"permissions": ["admin"]})
    assert widened.status_code == 403
    strong = client.post("/crm/api-keys", headers=admin_headers, json={"name": "ops", "permissions": ["admin"]})
    strong_id = strong.get_json()["api_key_id"]
    # Regenerating would hand the manager the plaintext of an admin key.
    assert client.post(f"/crm/api-keys/{strong_id}/regenerate", headers=manager).status_code == 403
    assert client.patch(f"/crm/api-keys/{strong_id}", headers=manager,
                        json={"expiry_date": "2099-01-01"}).status_code == 403
    assert client.delete(f"/crm/api-keys/{strong_id}", headers=manager).status_code == 403
    assert client.get(f"/crm/api-keys/{strong_id}", headers=admin_headers).status_code == 200


def test_limited_api_key_cannot_create_users_or_grant_roles(client, admin_headers, app):
    key = client.post("/crm/api-keys", headers=admin_headers,
                      json={"name": "limited", "permissions": ["manage_api_keys"]}).get_json()["api_key"]
    headers = {"X-API-KEY": key}
    assert client.post("/crm/auth/users", headers=headers, json={
        "username": "evil", "email": "evil@example.com", "password": "Evil-Pass1!", "first_name": "E",
        "last_name": "Vil", "role": "admin"}).status_code == 403
    assert client.post("/crm/api-keys", headers=headers,
                       json={"name": "k2", "permissions": ["admin"]}).status_code == 403


# Finding 2: an ip_whitelist entry without roles gets no access; start-up refuses it, naming the entry.

@pytest.mark.parametrize("whitelist, key", [
    ('{"10.179.2.142": {}}', "ip_whitelist.10.179.2.142.roles"),
    ('{"10.50.0.0/16": {"roles": []}}', "ip_whitelist.10.50.0.0/16.roles"),
    ('["10.0.0.0/24"]', "ip_whitelist.10.0.0.0/24.roles"),
])
def test_whitelist_entry_without_roles_is_refused_at_start_up(whitelist, key):
    with pytest.raises(ConfigError) as error:
        load_config(environ={"JWT_SECRET": TEST_JWT_SECRET, "OMNICRM_IP_WHITELIST": whitelist})
    assert error.value.key == key and key in str(error.value)


# Finding 9: no change may leave no active admin, and nobody locks themselves out.

def _admin_role_id(app):
    with app.app_context():
        return db.session.scalars(select(Role.id).where(Role.name == "admin")).one()


def _admin_permission_id(app):
    with app.app_context():
        return db.session.scalars(select(Permission.id).where(Permission.name == "admin")).one()


def _me(client, headers):
    return client.get("/crm/auth/me", headers=headers).get_json()["user"]["id"]


def _still_admin(client):
    return client.get("/crm/auth/users", headers=bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"])
                      ).status_code == 200


def test_removing_admin_permission_from_the_admin_role_is_refused(client, admin_headers, app):
    role_id, perm_id = _admin_role_id(app), _admin_permission_id(app)
    response = client.delete(f"/crm/auth/roles/{role_id}/permissions/{perm_id}", headers=admin_headers)
    assert response.status_code == 409
    assert _still_admin(client)


def test_admin_cannot_remove_itself_from_the_admin_role(client, admin_headers, app):
    me = _me(client, admin_headers)
    role_id = _admin_role_id(app)
    assert client.delete(f"/crm/auth/roles/{role_id}/users/{me}", headers=admin_headers).status_code == 409
    assert client.put(f"/crm/auth/users/{me}", headers=admin_headers, json={"role": "Support"}).status_code == 409
    assert _still_admin(client)


@pytest.mark.parametrize("change", [{"active": False}, {"deleted": True}])
def test_admin_cannot_deactivate_or_delete_itself(client, admin_headers, change):
    me = _me(client, admin_headers)
    response = client.put(f"/crm/auth/users/{me}", headers=admin_headers, json=change)
    assert response.status_code == 409
    assert _still_admin(client)


def test_last_admin_cannot_be_removed_by_another_route(client, admin_headers, app):
    """A second admin may demote the first, but not when that leaves nobody; deleting a custom role that is the
    only source of `admin` is refused too."""
    created = client.post("/crm/auth/users", headers=admin_headers, json={
        "username": "second", "email": "second@example.com", "password": "Second-Pass1!", "first_name": "S",
        "last_name": "Admin", "role": "admin"})
    second = bearer(login(client, "second@example.com", "Second-Pass1!")["token"])
    me = _me(client, admin_headers)
    assert client.put(f"/crm/auth/users/{me}", headers=second, json={"active": False}).status_code == 200
    # Now `second` is the only active admin: it cannot be demoted, even by an admin API key.
    key = client.post("/crm/api-keys", headers=second, json={"name": "ops", "permissions": ["admin"]})
    keyed = {"X-API-KEY": key.get_json()["api_key"]}
    second_id = created.get_json()["id"]
    assert client.put(f"/crm/auth/users/{second_id}", headers=keyed, json={"active": False}).status_code == 409
    assert client.delete(f"/crm/auth/users/{second_id}", headers=keyed).status_code == 409
    with app.app_context():
        assert db.session.get(User, second_id).active is True


def test_deleting_the_only_role_granting_admin_is_refused(client, admin_headers, app):
    role = client.post("/crm/auth/roles", headers=admin_headers, json={"name": "Root"}).get_json()
    client.post(f"/crm/auth/roles/{role['id']}/permissions", headers=admin_headers,
                json={"permission_id": _admin_permission_id(app)})
    me = _me(client, admin_headers)
    client.post(f"/crm/auth/roles/{role['id']}/users/{me}", headers=admin_headers)
    # Dropping the built-in admin role from myself is fine: Root still makes me admin.
    assert client.delete(f"/crm/auth/roles/{_admin_role_id(app)}/users/{me}", headers=admin_headers
                         ).status_code == 200
    assert client.delete(f"/crm/auth/roles/{role['id']}", headers=admin_headers).status_code == 409
    assert client.put(f"/crm/auth/roles/{_admin_role_id(app)}", headers=admin_headers,
                      json={"name": "superuser"}).status_code == 409
