"""Sending e-mail through Mailjet (the double), the recorded outbox, failures, and the /crm/communication API."""
import base64
import json
import socket

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.communications.service import send_plain_email, send_template_email
from omnicrm.customers.models import Contact, Customer
from omnicrm.errors import DependencyError, DependencyUnavailable, ValidationError


def _rows(app):
    with app.app_context():
        return db.session.scalars(select(Communication).order_by(Communication.communication_id)).all()


def test_template_email_goes_to_mailjet_with_the_configured_block(app, mailjet):
    with app.app_context():
        row = send_template_email("api_crmCommunicationUserPasswordReset", {"email": "ann@example.com",
                                                                             "name": "Ann Lee"},
                                  {"user_name": "Ann Lee", "reset_url": "https://crm/reset-password/abc",
                                   "expiry_time": "1 hour"})
        assert row.status == "sent"
    [message] = mailjet.messages
    assert message["TemplateID"] == 6735666 and message["TemplateLanguage"] is True
    assert message["From"] == {"Email": "security@yourcompany.com", "Name": "YourCompany Security"}
    assert message["To"] == [{"Email": "ann@example.com", "Name": "Ann Lee"}]
    assert message["Subject"] == "Password Reset Request"
    assert message["Variables"]["reset_url"] == "https://crm/reset-password/abc"
    [stored] = _rows(app)
    assert stored.status == "sent" and stored.provider_message_id and stored.template_id == 6735666
    assert stored.to_email == "ann@example.com"
    variables = json.loads(stored.variables)
    assert variables["reset_url"] == "***" and variables["user_name"] == "Ann Lee"


def test_attachments_and_subject_suffix_reach_mailjet(app, mailjet):
    pdf = b"%PDF-1.4 invoice"
    with app.app_context():
        send_template_email("api_crmCommunicationCustomerInvoice", "bill@example.com", {"invoice_number": 17},
                            attachments=[{"filename": "YOURCOMPANY_17.pdf", "content": pdf,
                                          "content_type": "application/pdf"}], subject_suffix="17")
    [message] = mailjet.messages
    assert message["Subject"] == "Your Invoice - 17"
    [attached] = message["Attachments"]
    assert attached["Filename"] == "YOURCOMPANY_17.pdf" and base64.b64decode(attached["Base64Content"]) == pdf
    assert json.loads(_rows(app)[0].attachments) == ["YOURCOMPANY_17.pdf"]


def test_without_mailjet_credentials_the_email_is_recorded_in_the_outbox(app, mailjet_server):
    mailjet_server.reset()
    with app.app_context():
        row = send_template_email("api_crmCommunicationUserWelcome", "new@example.com", {"user_name": "New"})
        assert row.status == "recorded"
    assert mailjet_server.requests == 0
    [stored] = _rows(app)
    assert stored.status == "recorded" and stored.provider_message_id is None and stored.error is None


def test_mailjet_error_gives_a_failed_row_and_502(app, mailjet):
    mailjet.fail(400, "Template not found")
    with app.app_context():
        with pytest.raises(DependencyError) as raised:
            send_template_email("api_crmCommunicationUserWelcome", "new@example.com", {"user_name": "New"})
        assert raised.value.status_code == 502 and "Template not found" in raised.value.message
        row = send_template_email("api_crmCommunicationUserWelcome", "new@example.com", {}, raise_errors=False)
        assert row.status == "failed"
    rows = _rows(app)
    assert [r.status for r in rows] == ["failed", "failed"] and "Template not found" in rows[0].error
    assert mailjet.messages == []


def test_wrong_mailjet_credentials_fail_with_mailjets_message(app, mailjet, monkeypatch):
    monkeypatch.setitem(app.config["CRM"]["mailjet"], "api_secret", "wrong")
    with app.app_context():
        with pytest.raises(DependencyError, match="authentication"):
            send_template_email("api_crmCommunicationUserWelcome", "new@example.com", {})
    assert _rows(app)[0].status == "failed"


def test_unreachable_mailjet_is_503(app, mailjet, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config["CRM"]["mailjet"], "api_url", f"http://127.0.0.1:{closed_port}")
    with app.app_context():
        with pytest.raises(DependencyUnavailable) as raised:
            send_template_email("api_crmCommunicationUserWelcome", "new@example.com", {})
        assert raised.value.status_code == 503
    assert _rows(app)[0].status == "failed"


def test_invalid_recipient_is_400_and_nothing_is_recorded(app, mailjet):
    with app.app_context():
        with pytest.raises(ValidationError) as raised:
            send_template_email("api_crmCommunicationUserWelcome", ["ok@example.com", "not-an-address"], {})
        assert "not-an-address" in raised.value.errors["to"]
    assert _rows(app) == [] and mailjet.requests == 0


def test_plain_notice_to_the_failure_list(app, mailjet):
    with app.app_context():
        failure_list = ["ops@example.com", "noc@example.com"]
        row = send_plain_email(failure_list, "Provisioning failed: play_local_mobile_sim.yaml",
                               "Customer 12 (ACME): task 'Create account' failed")
        assert row.status == "sent"
        assert send_plain_email([], "nobody", "text") is None
    [message] = mailjet.messages
    assert "TemplateID" not in message and message["TextPart"].startswith("Customer 12")
    assert [t["Email"] for t in message["To"]] == ["ops@example.com", "noc@example.com"]
    assert message["From"]["Email"] == "admin@yourcompany.com"
    [stored] = _rows(app)
    assert stored.template_key is None and stored.to_email == "ops@example.com, noc@example.com"


def _customer_with_contact(app, name):
    with app.app_context():
        customer = Customer(customer_name=name)
        db.session.add(customer)
        db.session.flush()
        contact = Contact(customer_id=customer.customer_id, contact_firstname=name)
        db.session.add(contact)
        db.session.commit()
        return customer.customer_id, contact.contact_id


def test_list_and_read_communications(app, client, admin_headers):
    customer_id, _ = _customer_with_contact(app, "ACME")
    with app.app_context():
        for n in range(3):
            send_template_email("api_crmCommunicationCustomerWelcome", f"c{n}@example.com", {"n": n},
                                customer_id=customer_id if n else None)
    listing = client.get("/crm/communication/?per_page=2", headers=admin_headers)
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 2, "total_items": 3}
    assert [r["to_email"] for r in body["data"]] == ["c2@example.com", "c1@example.com"]  # newest first
    filtered = client.get('/crm/communication/?filters={"customer_id": [%d]}&search=c1' % customer_id,
                          headers=admin_headers).get_json()
    assert [r["to_email"] for r in filtered["data"]] == ["c1@example.com"]
    assert filtered["data"][0]["status"] == "recorded" and filtered["data"][0]["variables"] == {"n": 1}
    bad = client.get('/crm/communication/?filters={"colour": ["red"]}', headers=admin_headers)
    assert bad.status_code == 400 and "filters.colour" in bad.get_json()["errors"]
    one = client.get(f"/crm/communication/{body['data'][0]['communication_id']}", headers=admin_headers)
    assert one.status_code == 200 and one.get_json()["template_key"] == "api_crmCommunicationCustomerWelcome"
    assert client.get("/crm/communication/99999", headers=admin_headers).status_code == 404


def test_communication_permissions_and_own_scope(app, client, make_user):
    own_customer, own_contact = _customer_with_contact(app, "Mine")
    other_customer, _ = _customer_with_contact(app, "Other")
    with app.app_context():
        mine = send_template_email("api_crmCommunicationCustomerWelcome", "me@example.com", {},
                                   customer_id=own_customer).communication_id
        theirs = send_template_email("api_crmCommunicationCustomerWelcome", "them@example.com", {},
                                     customer_id=other_customer).communication_id
    assert client.get("/crm/communication/").status_code == 401
    assert client.get("/crm/communication/", headers=make_user(permissions=["view_customer"])).status_code == 403
    staff = make_user(permissions=["view_communication"])
    assert client.get("/crm/communication/", headers=staff).get_json()["pagination"]["total_items"] == 2
    customer_user = make_user(permissions=["view_own_communication"], contact_id=own_contact)
    listing = client.get("/crm/communication/", headers=customer_user).get_json()
    assert [r["communication_id"] for r in listing["data"]] == [mine]
    assert client.get(f"/crm/communication/{mine}", headers=customer_user).status_code == 200
    assert client.get(f"/crm/communication/{theirs}", headers=customer_user).status_code == 404
