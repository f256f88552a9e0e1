"""Issue #11 finding 7 as the attacks: secrets in URLs and logs, library messages and answers that confirm a valid
API key or an existing (locked) account."""
import logging
from datetime import timedelta

from flask_jwt_extended import create_access_token
from sqlalchemy.exc import IntegrityError

from omnicrm import db
from omnicrm.auth.models import User
from tests.auth_flows.test_password_flows import forgot, reset_token_sent_to
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.platform.test_auth import NET_KEY, keyed_app  # noqa: F401 - fixture

INVALID_LOGIN = "Invalid email or password"


def test_reset_link_keeps_the_token_out_of_the_path(client, make_user, mailjet):
    user = make_user(permissions=["view_customer"])
    forgot(client, user.email)
    [message] = mailjet.sent_to(user.email)
    url = message["Variables"]["reset_url"]
    path = url.split("#", 1)[0]
    token = reset_token_sent_to(mailjet, user.email)
    assert token and token not in path and "?" not in path


def test_welcome_link_keeps_the_token_out_of_the_path(client, admin_headers, make_user, mailjet):
    user = make_user(permissions=["view_customer"])
    with client.application.app_context():
        db.session.get(User, user.user_id).login_count = 0
        db.session.commit()
    assert client.post(f"/crm/auth/users/{user.user_id}/send_welcome_email", headers=admin_headers).status_code == 200
    token = reset_token_sent_to(mailjet, user.email, template_id=6118112)
    url = mailjet.sent_to(user.email)[-1]["Variables"]["set_password_url"]
    assert token not in url.split("#", 1)[0]


def test_database_errors_are_logged_without_the_values(app, caplog):
    from omnicrm.api import _integrity_error
    with app.app_context():
        db.session.add(User(username="dup", email=ADMIN_EMAIL, password="x", first_name="a", last_name="b"))
        try:
            db.session.flush()
        except IntegrityError as error:
            with caplog.at_level(logging.DEBUG):
                _integrity_error(error)
            assert "[SQL parameters hidden" in str(error)
    assert ADMIN_EMAIL not in caplog.text and "integrity error" in caplog.text


def test_token_errors_do_not_echo_library_messages(client, app):
    with app.app_context():
        expired = create_access_token(identity="1", expires_delta=timedelta(seconds=-10))
    answers = {client.get("/crm/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()["message"]
               for token in (expired, expired[:-3] + "abc", "not.a.jwt", "x")}
    assert answers == {"Invalid or expired token"}


def test_api_key_from_a_wrong_address_looks_like_a_wrong_key(client, keyed_app):  # noqa: F811
    outside = client.get("/crm/auth/me", headers={"X-API-KEY": NET_KEY}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    unknown = client.get("/crm/auth/me", headers={"X-API-KEY": "z" * 40}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert outside.status_code == unknown.status_code == 401
    assert outside.get_json() == unknown.get_json()
    assert "192.0.2.7" not in outside.get_data(as_text=True)


def test_locked_account_is_not_revealed_without_its_password(client):
    for _ in range(5):
        client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": "bad"})
    locked_wrong = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": "still-bad"})
    nobody = client.post("/crm/auth/login", json={"email": "nobody@example.com", "password": "still-bad"})
    assert locked_wrong.status_code == nobody.status_code == 401
    assert locked_wrong.get_json() == nobody.get_json() == {"message": INVALID_LOGIN}
    # The owner, who knows the password, is told why it does not work.
    assert client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status_code == 423
