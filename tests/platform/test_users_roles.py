"""User, role and permission administration (spec 07 §5, acceptance 44-51, 53-55)."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.auth.models import Permission
from tests.conftest import bearer, login

NEW_USER = {"username": "john.smith", "email": "john.smith@company.com", "password": "TempP@ssw0rd!",
            "first_name": "John", "middle_name": "D", "last_name": "Smith", "phone_number": "+61412345678",
            "role": "Support"}


def _create(client, headers, **overrides):
    return client.post("/crm/auth/users", headers=headers, json={**NEW_USER, **overrides})


def test_create_user_and_log_in(client, admin_headers, app):
    response = _create(client, admin_headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["username"] == "john.smith" and body["roles"] == ["Support"] and body["created"].endswith("Z")
    session = login(client, "john.smith@company.com", "TempP@ssw0rd!")
    assert "view_customer" in session["permissions"] and "admin" not in session["permissions"]
    with app.app_context():
        assert db.session.scalar(select(ActivityLog).where(ActivityLog.entity_type == "user",
                                                           ActivityLog.action == "create")) is not None


def test_non_admin_cannot_create_users(client, make_user):
    support = make_user(roles=["Support"])
    assert _create(client, support).status_code == 403


def test_duplicate_email_or_username_rejected(client, admin_headers):
    assert _create(client, admin_headers).status_code == 201
    assert _create(client, admin_headers, username="other").status_code == 409
    assert _create(client, admin_headers, email="other@company.com").status_code == 409


def test_weak_password_and_missing_fields_rejected(client, admin_headers):
    for weak in ("short1!", "alllowercase1!", "ALLUPPERCASE1!", "NoDigits!!", "NoSpecial123"):
        response = _create(client, admin_headers, password=weak)
        assert response.status_code == 400 and "password" in response.get_json()["errors"], weak
    response = client.post("/crm/auth/users", headers=admin_headers, json={"username": "x"})
    assert response.status_code == 400
    assert {"email", "password", "first_name", "last_name", "role"} <= set(response.get_json()["errors"])
    assert _create(client, admin_headers, role="Nonexistent").status_code == 400


def test_union_of_roles_permissions(client, admin_headers):
    _create(client, admin_headers, role="Support,Finance")
    permissions = login(client, NEW_USER["email"], NEW_USER["password"])["permissions"]
    assert "create_customer_invoice" in permissions  # Finance
    assert "create_provision" in permissions  # Support


def test_search_users_by_text_and_role(client, admin_headers):
    _create(client, admin_headers)
    _create(client, admin_headers, username="jane", email="jane@company.com", first_name="Jane", role="Finance")
    response = client.get('/crm/auth/users/search?search=john&filters={"role": ["Support"]}&page=1&per_page=50',
                          headers=admin_headers)
    body = response.get_json()
    assert [u["username"] for u in body["data"]] == ["john.smith"]
    assert body["pagination"] == {"current_page": 1, "per_page": 50, "total_pages": 1, "total_items": 1}
    bad = client.get('/crm/auth/users?filters={"shoe_size": [1]}', headers=admin_headers)
    assert bad.status_code == 400 and "filters.shoe_size" in bad.get_json()["errors"]


def test_soft_delete_ends_sessions_and_restore_keeps_password(client, admin_headers):
    user_id = _create(client, admin_headers).get_json()["id"]
    session = login(client, NEW_USER["email"], NEW_USER["password"])
    assert client.delete(f"/crm/auth/users/{user_id}", headers=admin_headers).status_code == 200
    assert client.get("/crm/auth/me", headers=bearer(session["token"])).status_code == 401
    assert client.post("/crm/auth/login", json={"email": NEW_USER["email"],
                                                "password": NEW_USER["password"]}).status_code == 401
    deleted = client.get('/crm/auth/users/search?filters={"deleted": [true]}', headers=admin_headers).get_json()
    assert [u["id"] for u in deleted["data"]] == [user_id]
    restored = client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"deleted": False})
    assert restored.status_code == 200 and restored.get_json()["deleted"] is False
    login(client, NEW_USER["email"], NEW_USER["password"])


def test_put_role_replaces_roles_and_rejects_unknown_fields(client, admin_headers):
    user_id = _create(client, admin_headers).get_json()["id"]
    response = client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"role": "Finance"})
    assert response.get_json()["roles"] == ["Finance"]
    assert "create_provision" not in response.get_json()["permissions"]
    bad = client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"password": "x"})
    assert bad.status_code == 400 and "password" in bad.get_json()["errors"]
    assert client.put("/crm/auth/users/999999", headers=admin_headers, json={}).status_code == 404


def test_admin_reset_password_forces_change(client, admin_headers):
    user_id = _create(client, admin_headers).get_json()["id"]
    response = client.post(f"/crm/auth/users/{user_id}/admin_reset_password", headers=admin_headers,
                           json={"new_password": "Temp0rary!x", "force_change": True})
    assert response.status_code == 200
    session = login(client, NEW_USER["email"], "Temp0rary!x")
    assert session["force_password_change"] is True
    changed = client.post("/crm/auth/change_password", headers=bearer(session["token"]),
                          json={"current_password": "Temp0rary!x", "new_password": "N3w-Password!"})
    assert changed.status_code == 200 and changed.get_json()["force_password_change"] is False
    wrong = client.post("/crm/auth/change_password", headers=bearer(changed.get_json()["token"]),
                        json={"current_password": "nope", "new_password": "N3w-Password!2"})
    assert wrong.status_code == 400 and "current_password" in wrong.get_json()["errors"]


def test_roles_and_permissions_management(client, admin_headers, app):
    role = client.post("/crm/auth/roles", headers=admin_headers,
                       json={"name": "Tier2_Support", "description": "second line"})
    assert role.status_code == 201
    role = role.get_json()
    assert role["permissions"] == [] and role["users"] == []
    with app.app_context():
        ids = {p.name: p.id for p in db.session.scalars(select(Permission))}
    granted = client.post(f"/crm/auth/roles/{role['id']}/permissions", headers=admin_headers,
                          json={"permission_ids": [ids["view_customer"], ids["create_provision"]]}).get_json()
    assert {p["name"] for p in granted["permissions"]} == {"view_customer", "create_provision"}
    user_id = _create(client, admin_headers, role="Tier2_Support").get_json()["id"]
    members = client.get(f"/crm/auth/roles/{role['id']}/users", headers=admin_headers).get_json()
    assert [m["id"] for m in members] == [user_id]
    session = login(client, NEW_USER["email"], NEW_USER["password"])
    assert "create_provision" in session["permissions"]
    client.delete(f"/crm/auth/roles/{role['id']}/permissions/{ids['create_provision']}", headers=admin_headers)
    me = client.get("/crm/auth/me", headers=bearer(session["token"])).get_json()
    assert "create_provision" not in me["permissions"]  # effective immediately, same token
    assert client.delete(f"/crm/auth/roles/{role['id']}", headers=admin_headers).status_code == 200
    me = client.get("/crm/auth/me", headers=bearer(session["token"])).get_json()
    assert me["roles"] == [] and me["permissions"] == []
    assert client.post("/crm/auth/roles", headers=admin_headers, json={"name": "admin"}).status_code == 409


def test_permission_catalogue_is_complete(client, admin_headers):
    names = {p["name"] for p in client.get("/crm/auth/permissions", headers=admin_headers).get_json()}
    for resource in ("customer", "customer_site", "customer_contact", "customer_attribute", "customer_tag",
                     "customer_service", "customer_activity", "customer_stripe_card", "customer_transaction",
                     "customer_invoice", "communication", "inventory", "inventory_template", "product",
                     "cbc_message", "provision", "provision_event"):
        for action in ("view", "create", "update", "delete"):
            assert f"{action}_{resource}" in names
    assert {"admin", "can_impersonate", "view_own_customer", "view_own_provision"} <= names
    roles = {r["name"] for r in client.get("/crm/auth/roles", headers=admin_headers).get_json()}
    assert {"admin", "Support", "Finance", "Sales", "Auditor", "Customer"} <= roles
