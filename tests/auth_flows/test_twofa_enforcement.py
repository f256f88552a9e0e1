"""2FA enforcement (issue #11 build, spec 01 §2.1): by role or globally from config. A user who must have 2FA and
has none gets a grace login that can only enrol (or log out); customers are never required."""
import pyotp
import pytest

from tests.auth_flows.test_twofa import code
from tests.conftest import bearer, login


@pytest.fixture
def policy(app):
    security = app.config["CRM"]["security"]
    saved = security["two_factor_required"], security["two_factor_required_roles"]

    def set_policy(required=False, roles=()):
        security["two_factor_required"], security["two_factor_required_roles"] = required, list(roles)

    yield set_policy
    security["two_factor_required"], security["two_factor_required_roles"] = saved


def _enrol_via_grace_session(client, user, session):
    headers = bearer(session["token"])
    body = client.post(f"/crm/2fa/enable/user/{user.user_id}", headers=headers, json={"password": user.password})
    assert body.status_code == 200
    totp = pyotp.TOTP(body.get_json()["totp_secret"])
    confirmed = client.post(f"/crm/2fa/verify-setup/user/{user.user_id}", headers=headers, json={"code": code(totp)})
    assert confirmed.status_code == 200
    return headers


def test_required_role_gets_a_grace_login_that_only_enrols(client, make_user, policy):
    policy(roles=["finance"])  # any case
    user = make_user(roles=["Finance"])
    session = login(client, user.email, user.password)
    assert session["two_factor_enrolment_required"] is True
    headers = bearer(session["token"])
    refused = client.get("/crm/customers", headers=headers)
    assert refused.status_code == 403 and refused.get_json()["two_factor_enrolment_required"] is True
    headers = _enrol_via_grace_session(client, user, session)
    assert client.get("/crm/customers", headers=headers).status_code == 200
    assert login(client, user.email, user.password)["2fa_required"] is True  # from now on, both factors


def test_roles_not_listed_are_not_required(client, make_user, policy):
    policy(roles=["admin"])
    user = make_user(roles=["Support"])
    session = login(client, user.email, user.password)
    assert session["two_factor_enrolment_required"] is False
    assert client.get("/crm/customers", headers=bearer(session["token"])).status_code == 200


def test_global_requirement_spares_customers(client, make_user, policy, app):
    from omnicrm.customers.models import Contact, Customer
    from omnicrm import db
    policy(required=True)
    staff = make_user(permissions=["view_customer"])
    assert login(client, staff.email, staff.password)["two_factor_enrolment_required"] is True
    with app.app_context():
        customer = Customer(customer_name="Acme")
        db.session.add(customer)
        db.session.flush()
        contact = Contact(customer_id=customer.customer_id, contact_firstname="C", contact_lastname="Ustomer")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.contact_id
    subscriber = make_user(roles=["Customer"], contact_id=contact_id)
    session = login(client, subscriber.email, subscriber.password)
    assert session["two_factor_enrolment_required"] is False
    assert client.get("/crm/auth/me", headers=bearer(session["token"])).status_code == 200


def test_logout_works_during_the_grace_login(client, make_user, policy):
    policy(required=True)
    user = make_user(permissions=["view_customer"])
    session = login(client, user.email, user.password)
    assert client.post("/crm/auth/logout", headers=bearer(session["token"])).status_code == 200


@pytest.mark.parametrize("env, key", [
    ({"OMNICRM__SECURITY__TWO_FACTOR_REQUIRED": "sometimes"}, "security.two_factor_required"),
    ({"OMNICRM__SECURITY__TWO_FACTOR_REQUIRED_ROLES": "admin"}, "security.two_factor_required_roles"),
])
def test_policy_config_is_checked_at_start_up(env, key):
    from omnicrm.config import ConfigError
    from tests.conftest import make_config
    with pytest.raises(ConfigError) as error:
        make_config(**env)
    assert error.value.key == key
