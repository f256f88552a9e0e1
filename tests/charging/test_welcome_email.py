"""Issue #13 finding 7: creating a customer sends the Customer Welcome e-mail (spec 06 §13.3) with the spec's
variables, through Mailjet; a Mailjet failure does not undo the customer."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication


def _create(client, headers, **extra):
    body = {"customer_name": "Jane Home", "customer_account_type": "Individual", "contacts": [
        {"contact_firstname": "Jane", "contact_lastname": "Home", "contact_email": "jane@example.com"}], **extra}
    response = client.put("/crm/customer/", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_new_customer_gets_the_welcome_email_with_the_spec_variables(app, client, admin_headers, mailjet):
    customer = _create(client, admin_headers)
    [message] = mailjet.messages
    assert message["TemplateID"] == 5977509 and message["TemplateLanguage"] is True
    assert message["To"] == [{"Email": "jane@example.com", "Name": "Jane Home"}]
    assert message["Variables"] == {"customer_name": "Jane Home", "email": "jane@example.com",
                                    "company_name": "YourCompany Support",
                                    "login_url": f"{app.config['CRM']['crm']['base_url']}/login",
                                    "support_url": "mailto:support@yourcompany.com"}
    with app.app_context():
        [row] = db.session.scalars(select(Communication)).all()
        assert row.customer_id == customer["customer_id"] and row.status == "sent"


def test_mailjet_down_still_creates_the_customer(app, client, admin_headers, mailjet):
    mailjet.failure = (500, {"ErrorMessage": "down"})
    customer = _create(client, admin_headers)
    with app.app_context():
        [row] = db.session.scalars(select(Communication)).all()
        assert row.status == "failed" and row.customer_id == customer["customer_id"]
