"""Issue #11 finding 3 as the attack: a refresh token stolen (or left on another device) before a password change,
reset, admin reset, 2FA reset or account disable must stop working at once."""
import pytest
import pyotp
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth import twofa
from omnicrm.auth.models import PasswordResetToken, User
from tests.conftest import bearer, login

PASSWORD = "Passw0rd!x"
NEW_PASSWORD = "N3w-Passw0rd!"


def _refresh(client, token):
    return client.post("/crm/auth/refresh", json={"refresh_token": token})


def _change_own_password(client, user, admin_headers, app):
    session = login(client, user.email, PASSWORD)
    return client.post("/crm/auth/change_password", headers=bearer(session["token"]),
                       json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})


def _reset_with_link(client, user, admin_headers, app):
    import hashlib
    with app.app_context():
        from omnicrm.auth.password_reset import issue_token
        token = issue_token(db.session.get(User, user.user_id), 1)
        db.session.commit()
        assert db.session.get(PasswordResetToken, hashlib.sha256(token.encode()).hexdigest())
    return client.post("/crm/auth/reset_password", json={"token": token, "new_password": NEW_PASSWORD})


def _admin_reset(client, user, admin_headers, app):
    return client.post(f"/crm/auth/users/{user.user_id}/admin_reset_password", headers=admin_headers,
                       json={"new_password": NEW_PASSWORD, "force_change": True})


def _twofa_reset(client, user, admin_headers, app):
    return client.post(f"/crm/2fa/admin/disable/user/{user.user_id}", headers=admin_headers)


def _disable(client, user, admin_headers, app):
    return client.put(f"/crm/auth/users/{user.user_id}", headers=admin_headers, json={"active": False})


@pytest.mark.parametrize("action", [_change_own_password, _reset_with_link, _admin_reset, _twofa_reset, _disable])
def test_old_refresh_tokens_die_with_the_credentials(client, make_user, admin_headers, app, action):
    user = make_user(permissions=["view_customer"])
    stolen = user.session["refresh_token"]
    stolen_access = user.session["token"]
    assert _refresh(client, stolen).status_code == 200  # works before (and is rotated)
    stolen = login(client, user.email, PASSWORD)["refresh_token"]
    assert action(client, user, admin_headers, app).status_code == 200
    assert _refresh(client, stolen).status_code == 401
    assert client.get("/crm/auth/me", headers=bearer(stolen_access)).status_code == 401


def test_change_password_keeps_the_new_session_only(client, make_user):
    user = make_user(permissions=["view_customer"])
    other_device = login(client, user.email, PASSWORD)
    changed = client.post("/crm/auth/change_password", headers=user,
                          json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}).get_json()
    assert client.get("/crm/auth/me", headers=bearer(changed["token"])).status_code == 200
    assert _refresh(client, changed["refresh_token"]).status_code == 200
    assert _refresh(client, other_device["refresh_token"]).status_code == 401


def test_logout_ends_the_refresh_token_of_the_session_too(client, make_user):
    user = make_user(permissions=["view_customer"])
    assert client.post("/crm/auth/logout", headers=user).status_code == 200  # no refresh token in the body
    assert _refresh(client, user.session["refresh_token"]).status_code == 401


def test_twofa_reset_ends_sessions_of_an_enrolled_user(client, make_user, admin_headers, app):
    user = make_user(permissions=["view_customer"])
    with app.app_context():
        row = db.session.get(User, user.user_id)
        secret = pyotp.random_base32()
        row.totp_secret = twofa.encrypt_secret(secret)
        row.is_2fa_enabled = True
        db.session.commit()
    assert _twofa_reset(client, user, admin_headers, app).status_code == 200
    assert _refresh(client, user.session["refresh_token"]).status_code == 401
    with app.app_context():
        assert db.session.scalars(select(User.is_2fa_enabled).where(User.id == user.user_id)).one() is False


def test_admin_resetting_its_own_2fa_keeps_only_the_session_it_acts_from(client, admin_headers, app):
    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
    other_device = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    me = client.get("/crm/auth/me", headers=admin_headers).get_json()["user"]["id"]
    assert client.post(f"/crm/2fa/admin/disable/user/{me}", headers=admin_headers).status_code == 200
    assert client.get("/crm/auth/me", headers=admin_headers).status_code == 200
    assert _refresh(client, other_device["refresh_token"]).status_code == 401


def test_create_admin_resetting_the_password_ends_the_admins_sessions(client, app):
    from omnicrm.seed import ensure_admin
    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
    session = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    with app.app_context():
        ensure_admin(ADMIN_EMAIL, "Rec0vered-Pass!")
    assert _refresh(client, session["refresh_token"]).status_code == 401
    assert client.get("/crm/auth/me", headers=bearer(session["token"])).status_code == 401
