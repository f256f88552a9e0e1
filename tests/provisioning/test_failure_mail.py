"""Issue 12 finding 7: one invalid failure_list address (the old default `ops@localhost`) dropped every failure
e-mail. Start-up names the bad addresses and keeps the valid ones; a failed job mails the valid ones."""
import logging

from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.config import load_config
from tests.conftest import TEST_JWT_SECRET
from tests.provisioning.conftest import wait_for_job


def test_start_up_names_invalid_addresses_and_keeps_the_valid_ones(caplog):
    caplog.set_level(logging.WARNING, logger="omnicrm.config")
    config = load_config(environ={"JWT_SECRET": TEST_JWT_SECRET,
                                  "PROVISIONING_FAILURE_LIST": "ops@localhost, noc@example.com,not-an-address"})
    assert config["provisioning"]["failure_list"] == ["noc@example.com"]
    assert "provisioning.failure_list: ignoring invalid e-mail address(es) ops@localhost, not-an-address" \
        in caplog.text
    default = load_config(environ={"JWT_SECRET": TEST_JWT_SECRET})
    assert default["provisioning"]["failure_list"] == ["ops@example.com"]


def test_failed_job_mails_the_valid_addresses(app, client, admin_headers, catalogue, provisioning_config):
    provisioning_config["failure_list"] = ["ops@localhost", "noc@example.com"]
    response = client.put("/crm/provision/", headers=admin_headers,
                          json={"product_id": catalogue["failing"], "customer_id": catalogue["home"]})
    job = wait_for_job(client, admin_headers, response.get_json()["provision_id"])
    assert job["provisioning_status"] == 2
    with app.app_context():
        mails = db.session.scalars(select(Communication).where(Communication.subject.like("Provisioning failed%")))
        assert [m.to_email for m in mails] == ["noc@example.com"]


def test_a_failing_failure_mail_is_logged_without_its_text(app, client, admin_headers, catalogue, provisioning_config,
                                                          monkeypatch, caplog):
    """A mail error can quote what it was sending (redacted results, addresses): the log names the error's class
    and stack only (as for every unexpected error, follow-up of issue 11 finding 7)."""
    from omnicrm.communications import service as communications

    def echoing_failure(recipients, subject, text, **_kwargs):
        raise ValueError(f"relay refused {recipients[0]}: {text}")

    monkeypatch.setattr(communications, "send_plain_email", echoing_failure)
    provisioning_config["failure_list"] = ["noc@example.com"]
    with caplog.at_level(logging.DEBUG, logger="omnicrm.provisioning"):
        response = client.put("/crm/provision/", headers=admin_headers,
                              json={"product_id": catalogue["failing"], "customer_id": catalogue["home"]})
        job = wait_for_job(client, admin_headers, response.get_json()["provision_id"])
    assert job["provisioning_status"] == 2
    logged = [r.getMessage() for r in caplog.records if "failure e-mail" in r.getMessage()]
    assert len(logged) == 1 and "ValueError" in logged[0] and "noc@example.com" not in logged[0]


# ------------------------------------------------------------------ issue 12 finding 8

def test_api_key_roles_given_as_permission_names_grant_them(app, client):
    """Spec 03 acceptance check 4: a key with only view_customer/view_service reads customers, cannot write."""
    key = "m" * 40
    app.config["CRM"]["api_keys"][key] = {"roles": ["view_customer", "view_service"], "ips": None,
                                          "description": "Monitoring"}
    try:
        headers = {"X-API-KEY": key}
        assert client.get("/crm/customers", headers=headers).status_code == 200
        assert client.get("/crm/service/", headers=headers).status_code == 200
        assert client.put("/crm/service/", headers=headers, json={"customer_id": 1}).status_code == 403
    finally:
        del app.config["CRM"]["api_keys"][key]


def test_swagger_is_served_with_and_without_trailing_slash(client):
    for path in ("/crm/docs", "/crm/docs/"):
        response = client.get(path)
        assert response.status_code == 200 and b"swagger" in response.data.lower(), path
