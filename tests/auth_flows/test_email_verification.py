"""E-mail verification (issue #11 build, spec 07 §5.4.2): a new user's address and a changed address count only once
the e-mailed link is followed; a changed address takes effect only then. Password changes are announced by mail."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import User
from tests.conftest import bearer, login

VERIFY_TEMPLATE = 6267350
PASSWORD_CHANGE_TEMPLATE = 6118423
VERIFY_PREFIX = "http://localhost:5000/verify-email#token="
NEW_USER = {"username": "vera", "email": "vera@example.com", "password": "Vera-Pass1!", "first_name": "Vera",
            "last_name": "Fy", "role": "Support"}


def _link_token(mailjet, email):
    messages = [m for m in mailjet.sent_to(email) if m["TemplateID"] == VERIFY_TEMPLATE]
    assert messages, f"no verification e-mail to {email}"
    url = messages[-1]["Variables"]["verification_url"]
    assert url.startswith(VERIFY_PREFIX)
    return url[len(VERIFY_PREFIX):]


def _verify(client, token):
    return client.post("/crm/auth/verify_email", json={"token": token})


def _user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def test_new_user_verifies_its_address(app, client, admin_headers, mailjet):
    user_id = client.post("/crm/auth/users", headers=admin_headers, json=NEW_USER).get_json()["id"]
    assert _user(app, user_id).email_verified is False
    token = _link_token(mailjet, NEW_USER["email"])
    assert _verify(client, token).status_code == 200
    assert _user(app, user_id).email_verified is True
    again = _verify(client, token)
    assert again.status_code == 400 and "token" in again.get_json()["errors"]


def test_changed_address_takes_effect_only_when_the_link_is_followed(app, client, admin_headers, mailjet):
    user_id = client.post("/crm/auth/users", headers=admin_headers, json=NEW_USER).get_json()["id"]
    _verify(client, _link_token(mailjet, NEW_USER["email"]))
    changed = client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"email": "new@example.com"})
    assert changed.status_code == 200
    assert changed.get_json()["email"] == NEW_USER["email"]
    assert changed.get_json()["pending_email"] == "new@example.com"
    # Until then the old address still logs in, the new one does not.
    login(client, NEW_USER["email"], NEW_USER["password"])
    assert client.post("/crm/auth/login", json={"email": "new@example.com",
                                                "password": NEW_USER["password"]}).status_code == 401
    assert _verify(client, _link_token(mailjet, "new@example.com")).status_code == 200
    user = _user(app, user_id)
    assert (user.email, user.pending_email, user.email_verified) == ("new@example.com", None, True)
    login(client, "new@example.com", NEW_USER["password"])


def test_address_taken_meanwhile_is_not_applied(app, client, admin_headers, mailjet, make_user):
    user_id = client.post("/crm/auth/users", headers=admin_headers, json=NEW_USER).get_json()["id"]
    client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"email": "wanted@example.com"})
    token = _link_token(mailjet, "wanted@example.com")
    other = client.post("/crm/auth/users", headers=admin_headers, json={
        **NEW_USER, "username": "other", "email": "wanted@example.com"})
    assert other.status_code == 201
    assert _verify(client, token).status_code == 409
    assert _user(app, user_id).email == NEW_USER["email"]


def test_bad_token_is_a_field_error(client):
    response = _verify(client, "forged")
    assert response.status_code == 400 and "token" in response.get_json()["errors"]


def test_password_change_is_announced_by_mail(app, client, make_user, admin_headers, mailjet):
    user = make_user(permissions=["view_customer"])
    client.post("/crm/auth/change_password", headers=user,
                json={"current_password": user.password, "new_password": "Changed-Pass1!"})
    client.post(f"/crm/auth/users/{user.user_id}/admin_reset_password", headers=admin_headers,
                json={"new_password": "Temp-Pass1!x"})
    mails = [m for m in mailjet.sent_to(user.email) if m["TemplateID"] == PASSWORD_CHANGE_TEMPLATE]
    assert len(mails) == 2
    assert all("Changed-Pass1!" not in str(m) and "Temp-Pass1!x" not in str(m) for m in mails)
    with app.app_context():
        assert db.session.scalars(select(User.email).where(User.id == user.user_id)).one() == user.email
