"""The unhandled-error log line names the exception class and where it happened, never the exception's text: a
library or a bug can quote the request (passwords, tokens, SQL parameters) in its message (follow-up of #11.7)."""
import logging

import pytest

from omnicrm import create_app
from omnicrm.auth import service as auth_service
from tests.conftest import make_config

SECRET = "Hunter2-S3cret!pw"
NEW_USER = {"username": "leaky", "email": "leaky@company.com", "password": SECRET, "first_name": "L",
            "last_name": "Y", "role": "Support"}


def _echoing_bug(data, *_args, **_kwargs):
    raise ValueError(f"cannot store user with password={data['password']}")


def test_unhandled_error_log_has_no_exception_text(client, admin_headers, monkeypatch, caplog):
    monkeypatch.setattr(auth_service, "create_user", _echoing_bug)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/crm/auth/users", headers=admin_headers, json=NEW_USER)
    assert response.status_code == 500
    assert response.get_json() == {"message": "Internal server error"}
    assert SECRET not in caplog.text and SECRET not in response.get_data(as_text=True)
    assert "ValueError" in caplog.text and "_echoing_bug" in caplog.text  # still useful to whoever debugs
    assert caplog.text.count("(message not logged)") == 1  # logged once


@pytest.fixture
def bare_app(database_url):
    """An app with one extra route outside the API's own handlers (the app-level 500 handler)."""
    app = create_app(make_config(), database_url=database_url)

    @app.route("/crm-plain/boom", methods=["POST"])
    def boom():
        from flask import request
        raise KeyError(f"token={request.get_json()['token']}")

    return app


def test_app_level_500_log_has_no_exception_text(bare_app, caplog):
    with caplog.at_level(logging.DEBUG):
        response = bare_app.test_client().post("/crm-plain/boom", json={"token": SECRET})
    assert response.status_code == 500
    assert SECRET not in caplog.text and "KeyError" in caplog.text and "boom" in caplog.text
