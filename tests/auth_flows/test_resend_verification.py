"""Resend the verification e-mail (follow-up of issue #11's e-mail verification): an administrator, or the user
itself, asks for a new link for the address that waits for verification; nobody else can, and the users list shows
which addresses are pending."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import User
from tests.auth_flows.test_email_verification import NEW_USER, VERIFY_TEMPLATE, _link_token, _verify
from tests.conftest import bearer, login


def _verification_mails(mailjet, email):
    return [m for m in mailjet.sent_to(email) if m["TemplateID"] == VERIFY_TEMPLATE]


def _resend(client, headers, user_id):
    return client.post(f"/crm/auth/users/{user_id}/resend_verification", headers=headers)


def _new_user(client, admin_headers):
    return client.post("/crm/auth/users", headers=admin_headers, json=NEW_USER).get_json()["id"]


def test_admin_resends_and_only_the_newest_link_works(client, admin_headers, mailjet, app):
    user_id = _new_user(client, admin_headers)
    first = _link_token(mailjet, NEW_USER["email"])
    response = _resend(client, admin_headers, user_id)
    assert response.status_code == 200, response.get_json()
    assert NEW_USER["email"] in response.get_json()["message"]
    assert len(_verification_mails(mailjet, NEW_USER["email"])) == 2
    assert _verify(client, first).status_code == 400
    assert _verify(client, _link_token(mailjet, NEW_USER["email"])).status_code == 200
    with app.app_context():
        assert db.session.get(User, user_id).email_verified is True
    again = _resend(client, admin_headers, user_id)  # nothing left to verify
    assert again.status_code == 409


def test_the_user_resends_for_its_pending_address(client, admin_headers, mailjet):
    user_id = _new_user(client, admin_headers)
    assert client.put(f"/crm/auth/users/{user_id}", headers=admin_headers,
                      json={"email": "vera.new@example.com"}).status_code == 200
    own = bearer(login(client, NEW_USER["email"], NEW_USER["password"])["token"])
    response = _resend(client, own, user_id)
    assert response.status_code == 200, response.get_json()
    assert len(_verification_mails(mailjet, "vera.new@example.com")) == 2
    assert _verify(client, _link_token(mailjet, "vera.new@example.com")).status_code == 200


def test_another_user_cannot_resend_or_probe(client, admin_headers, make_user, mailjet):
    user_id = _new_user(client, admin_headers)
    support = make_user(roles=["Support"])
    assert _resend(client, support, user_id).status_code == 403
    assert _resend(client, support, 999999).status_code == 403
    assert _resend(client, {}, user_id).status_code == 401
    assert len(_verification_mails(mailjet, NEW_USER["email"])) == 1


def test_resending_is_rate_limited(client, admin_headers, mailjet):
    user_id = _new_user(client, admin_headers)
    codes = [_resend(client, admin_headers, user_id).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert len(_verification_mails(mailjet, NEW_USER["email"])) == 6


def test_users_list_shows_pending_and_verified_addresses(client, admin_headers, app):
    user_id = _new_user(client, admin_headers)
    client.put(f"/crm/auth/users/{user_id}", headers=admin_headers, json={"email": "vera.new@example.com"})
    rows = {u["id"]: u for u in client.get("/crm/auth/users", headers=admin_headers).get_json()["data"]}
    assert rows[user_id]["pending_email"] == "vera.new@example.com"
    assert rows[user_id]["email_verified"] is False
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    assert rows[admin_id]["pending_email"] is None
