"""Forgot/reset password, the welcome e-mail and the lockout notice over HTTP (spec 07 acceptance 52, 53, 56)."""
import hashlib
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth import password_reset
from omnicrm.auth.models import PasswordResetToken, User
from omnicrm.communications.models import Communication
from omnicrm.db import utcnow

NEW_PASSWORD = "NewSecureP@ssw0rd!"
SAME_ANSWER = "If an account exists for that e-mail address, reset instructions have been sent to it"
RESET_PREFIX = "http://localhost:5000/reset-password#token="  # a fragment never reaches a server log


def forgot(client, email):
    response = client.post("/crm/auth/forgot_password", json={"email": email})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["message"] == SAME_ANSWER
    return response


def reset_token_sent_to(mailjet, email, template_id=6735666):
    messages = [m for m in mailjet.sent_to(email) if m["TemplateID"] == template_id]
    assert messages, f"no e-mail with template {template_id} to {email}"
    url = messages[-1]["Variables"].get("reset_url") or messages[-1]["Variables"]["set_password_url"]
    assert url.startswith(RESET_PREFIX)
    return url[len(RESET_PREFIX):]


def reset(client, token, password=NEW_PASSWORD):
    return client.post("/crm/auth/reset_password", json={"token": token, "new_password": password})


def can_log_in(client, email, password):
    return client.post("/crm/auth/login", json={"email": email, "password": password}).status_code == 200


def test_forgot_password_emails_a_one_hour_single_use_link(app, client, make_user, mailjet):
    user = make_user(permissions=["view_customer"])
    forgot(client, user.email)
    [message] = mailjet.sent_to(user.email)
    assert message["TemplateID"] == 6735666 and message["From"]["Email"] == "security@yourcompany.com"
    assert message["Subject"] == "Password Reset Request"
    assert message["Variables"]["user_name"] == f"Test User{user.email.split('@')[0][4:]}"
    assert message["Variables"]["expiry_time"] == "1 hour"
    token = reset_token_sent_to(mailjet, user.email)
    with app.app_context():
        [row] = db.session.scalars(select(PasswordResetToken)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
        assert timedelta(minutes=59) < row.expires - utcnow() <= timedelta(hours=1)

    response = reset(client, token)
    assert response.status_code == 200
    assert response.get_json()["message"] == "The password has been reset successfully"
    assert can_log_in(client, user.email, NEW_PASSWORD) and not can_log_in(client, user.email, user.password)
    assert client.get("/crm/auth/me", headers=user).status_code == 401  # earlier sessions end
    success = [m for m in mailjet.sent_to(user.email) if m["TemplateID"] == 6118378]
    assert len(success) == 1 and success[0]["Variables"]["change_date"]

    again = reset(client, token, "Another1!pass")
    assert again.status_code == 400 and "token" in again.get_json()["errors"]
    assert can_log_in(client, user.email, NEW_PASSWORD)


def test_reset_link_expires_after_one_hour(app, client, make_user, mailjet, monkeypatch):
    user = make_user(permissions=["view_customer"])
    forgot(client, user.email)
    token = reset_token_sent_to(mailjet, user.email)
    monkeypatch.setattr(password_reset, "utcnow", lambda: utcnow() + timedelta(minutes=61))
    response = reset(client, token)
    assert response.status_code == 400 and "expired" in response.get_json()["errors"]["token"]
    assert can_log_in(client, user.email, user.password)


def test_unknown_address_gets_the_same_answer_and_no_email(app, client, mailjet):
    forgot(client, "nobody@example.com")
    assert mailjet.requests == 0
    with app.app_context():
        assert db.session.scalars(select(PasswordResetToken)).all() == []
    bad = client.post("/crm/auth/forgot_password", json={"email": "not an address"})
    assert bad.status_code == 400 and "email" in bad.get_json()["errors"]


@pytest.mark.parametrize("weak, missing", [
    ("Sh0rt!", "8 characters"), ("nouppercase1!", "upper-case"), ("NOLOWERCASE1!", "lower-case"),
    ("NoDigitsHere!", "digit"), ("NoSpecial123", "special")])
def test_reset_enforces_the_password_policy_without_using_the_token(client, make_user, mailjet, weak, missing):
    user = make_user(permissions=["view_customer"])
    forgot(client, user.email)
    token = reset_token_sent_to(mailjet, user.email)
    response = reset(client, token, weak)
    assert response.status_code == 400 and missing in response.get_json()["errors"]["new_password"]
    assert can_log_in(client, user.email, user.password)
    assert reset(client, token).status_code == 200


def test_a_new_link_replaces_the_previous_one(client, make_user, mailjet):
    user = make_user(permissions=["view_customer"])
    forgot(client, user.email)
    first = reset_token_sent_to(mailjet, user.email)
    forgot(client, user.email)
    second = reset_token_sent_to(mailjet, user.email)
    assert first != second
    assert reset(client, first).status_code == 400
    assert reset(client, second).status_code == 200
    assert reset(client, "made-up-token").status_code == 400


def test_without_mailjet_the_reset_email_is_recorded_with_the_link_masked(app, client, make_user, admin_headers):
    user = make_user(permissions=["view_customer"])
    forgot(client, user.email)
    outbox = client.get("/crm/communication/?filters={\"status\": [\"recorded\"]}", headers=admin_headers)
    [row] = outbox.get_json()["data"]
    assert row["template_key"] == "api_crmCommunicationUserPasswordReset" and row["to_email"] == user.email
    assert row["variables"]["reset_url"] == "***" and row["variables"]["reset_link"] == "***"


def test_mailjet_failure_does_not_change_the_answer(app, client, make_user, mailjet):
    user = make_user(permissions=["view_customer"])
    mailjet.fail(400, "Template not found")
    forgot(client, user.email)
    with app.app_context():
        [row] = db.session.scalars(select(Communication)).all()
        assert row.status == "failed" and "Template not found" in row.error


def test_welcome_email_for_a_user_who_never_logged_in(app, client, admin_headers, make_user, mailjet):
    created = client.post("/crm/auth/users", headers=admin_headers, json={
        "username": "bob", "email": "bob@example.com", "password": "Temp123!x", "first_name": "Bob",
        "last_name": "Wilson", "role": "Support,Finance"})
    assert created.status_code == 201
    user_id = created.get_json()["id"]
    path = f"/crm/auth/users/{user_id}/send_welcome_email"
    assert client.post(path).status_code == 401
    assert client.post(path, headers=make_user(permissions=["view_customer"])).status_code == 403
    response = client.post(path, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["status"] == "sent"
    [message] = [m for m in mailjet.sent_to("bob@example.com") if m["TemplateID"] == 6118112]
    assert message["Subject"] == "Welcome to the Team"
    variables = message["Variables"]
    assert variables["user_name"] == "Bob Wilson" and variables["email"] == "bob@example.com"
    assert variables["role"] == "Finance, Support" and variables["login_url"] == "http://localhost:5000/login"
    assert set(variables) >= {"temp_password", "support_email"}
    token = reset_token_sent_to(mailjet, "bob@example.com", 6118112)
    assert reset(client, token).status_code == 200  # the link sets the first password
    assert can_log_in(client, "bob@example.com", NEW_PASSWORD)
    again = client.post(path, headers=admin_headers)
    assert again.status_code == 409 and "already logged in" in again.get_json()["message"]
    assert client.post("/crm/auth/users/99999/send_welcome_email", headers=admin_headers).status_code == 404


def test_welcome_email_fails_with_502_when_mailjet_refuses(client, admin_headers, mailjet):
    created = client.post("/crm/auth/users", headers=admin_headers, json={
        "username": "eve", "email": "eve@example.com", "password": "Temp123!x", "first_name": "Eve",
        "last_name": "Adams", "role": "Support"}).get_json()
    mailjet.fail(400, "Template not found")
    response = client.post(f"/crm/auth/users/{created['id']}/send_welcome_email", headers=admin_headers)
    assert response.status_code == 502 and "Template not found" in response.get_json()["message"]


def test_lockout_sends_the_reset_email_and_the_link_unlocks(app, client, make_user, mailjet):
    user = make_user(permissions=["view_customer"])
    for _ in range(5):
        wrong = client.post("/crm/auth/login", json={"email": user.email, "password": "Wrong123!"})
        assert wrong.status_code == 401
    assert client.post("/crm/auth/login", json={"email": user.email, "password": user.password}).status_code \
        == 423
    [notice] = mailjet.sent_to(user.email)
    assert notice["TemplateID"] == 6735666
    assert notice["Variables"]["reason"] == "account_locked" and notice["Variables"]["locked_until"]
    token = reset_token_sent_to(mailjet, user.email)
    assert reset(client, token).status_code == 200
    assert can_log_in(client, user.email, NEW_PASSWORD)
    with app.app_context():
        assert db.session.get(User, user.user_id).locked_until is None
        entry = db.session.scalars(select(Communication).where(
            Communication.template_key == "api_crmCommunicationUserPasswordReset")).one()
        assert json.loads(entry.variables)["reason"] == "account_locked"


def test_reset_password_validates_its_body(client):
    response = client.post("/crm/auth/reset_password", json={})
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"token", "new_password"}
