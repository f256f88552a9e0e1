"""A user linked to a customer contact is a self-care user, confined to that customer: linking a contact to a staff
or admin account would lock it into one customer (and can lock the last admin out), so the users API refuses to mix
the two (follow-up of issue #11)."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import Role, User
from omnicrm.auth.permissions import SELF_CARE_PERMISSIONS
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, login
from tests.customers.helpers import add_contact, create_customer

STAFF_USER = {"username": "jo", "email": "jo@company.com", "password": "TempP@ssw0rd!", "first_name": "Jo",
              "last_name": "Staff", "role": "Support"}


def _contact(client, headers):
    customer = create_customer(client, headers)
    return add_contact(client, headers, customer["customer_id"])["contact_id"]


def _admin_id(app):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))


def test_linking_a_contact_to_the_admin_is_refused_and_admin_keeps_access(client, admin_headers, app):
    contact_id = _contact(client, admin_headers)
    response = client.put(f"/crm/auth/users/{_admin_id(app)}", headers=admin_headers,
                          json={"contact_id": contact_id})
    assert response.status_code == 400, response.get_json()
    assert "contact_id" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.get(User, _admin_id(app)).contact_id is None
    assert client.get("/crm/auth/users", headers=admin_headers).status_code == 200


def test_creating_a_staff_user_linked_to_a_contact_is_refused(client, admin_headers, app):
    contact_id = _contact(client, admin_headers)
    response = client.post("/crm/auth/users", headers=admin_headers, json={**STAFF_USER, "contact_id": contact_id})
    assert response.status_code == 400, response.get_json()
    assert "contact_id" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "jo@company.com")) is None


def test_staff_roles_are_refused_to_a_contact_linked_user(client, admin_headers, app):
    contact_id = _contact(client, admin_headers)
    created = client.post("/crm/auth/users", headers=admin_headers,
                          json={**STAFF_USER, "role": "Customer", "contact_id": contact_id})
    assert created.status_code == 201, created.get_json()
    user_id = created.get_json()["id"]
    response = client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"role": "Customer,admin"})
    assert response.status_code == 400 and "role" in response.get_json()["errors"]
    with app.app_context():
        admin_role = db.session.scalar(select(Role.id).where(Role.name == "admin"))
    response = client.post(f"/crm/auth/roles/{admin_role}/users/{user_id}", headers=admin_headers)
    assert response.status_code == 400 and "role" in response.get_json()["errors"]
    with app.app_context():
        assert [r.name for r in db.session.get(User, user_id).roles] == ["Customer"]


def test_a_role_held_by_customer_users_cannot_gain_staff_permissions(client, admin_headers, app):
    contact_id = _contact(client, admin_headers)
    assert client.post("/crm/auth/users", headers=admin_headers,
                       json={**STAFF_USER, "role": "Customer", "contact_id": contact_id}).status_code == 201
    with app.app_context():
        role_id = db.session.scalar(select(Role.id).where(Role.name == "Customer"))
        from omnicrm.auth.models import Permission
        view_all = db.session.scalar(select(Permission.id).where(Permission.name == "view_customer"))
    response = client.post(f"/crm/auth/roles/{role_id}/permissions", headers=admin_headers,
                           json={"permission_id": view_all})
    assert response.status_code == 400 and "permission_ids" in response.get_json()["errors"]


def test_unlinking_and_relinking_a_customer_user_still_works(client, admin_headers):
    contact_id = _contact(client, admin_headers)
    user_id = client.post("/crm/auth/users", headers=admin_headers,
                          json={**STAFF_USER, "role": "Customer"}).get_json()["id"]
    assert client.put(f"/crm/auth/users/{user_id}", headers=admin_headers,
                      json={"contact_id": contact_id}).status_code == 200
    assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["permissions"]


def test_every_endpoint_open_to_customers_is_reachable_with_self_care_permissions(app):
    """The self-care set is what decides "staff": it must cover every permission a customer endpoint accepts."""
    for view in app.view_functions.values():
        resource = getattr(view, "view_class", None)
        for method in ("get", "post", "put", "patch", "delete"):
            handler = getattr(resource, method, None)
            if not getattr(handler, "open_to_customers", False):
                continue
            usable = ({handler.own_permission} if handler.own_permission else set(handler.required_permissions))
            assert usable & SELF_CARE_PERMISSIONS, f"{resource.__name__}.{method} needs {usable}"


def test_a_legacy_linked_staff_user_can_still_be_unlinked_or_deactivated(client, admin_headers, make_user, app):
    contact_id = _contact(client, admin_headers)
    legacy = make_user(roles=["Support"], contact_id=contact_id)  # made before the rule, straight in the database
    assert client.put(f"/crm/auth/users/{legacy.user_id}", headers=admin_headers,
                      json={"active": False}).status_code == 200
    assert client.put(f"/crm/auth/users/{legacy.user_id}", headers=admin_headers,
                      json={"contact_id": None}).status_code == 200
    with app.app_context():
        assert db.session.get(User, legacy.user_id).contact_id is None
