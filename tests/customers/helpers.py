"""Shared steps of the customer-domain tests (all over HTTP)."""
import json

from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog


def create_customer(client, headers, **fields):
    body = {"customer_name": "Jane Doe", "customer_account_type": "Individual",
            "customer_payment_type": "postpaid", **fields}
    response = client.put("/crm/customer/", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_contact(client, headers, customer_id, **fields):
    body = {"customer_id": customer_id, "contact_firstname": "John", "contact_lastname": "Smith",
            "contact_email": "john.smith@example.com", "contact_phone": "+44 7700 900123",
            "contact_types": "Billing", **fields}
    response = client.put("/crm/contact/", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add_site(client, headers, customer_id, **fields):
    body = {"customer_id": customer_id, "site_name": "Head Office", "address_line_1": "123 Main Street",
            "city": "London", "state": "Greater London", "zip_code": "SW1A 1AA", "country": "United Kingdom",
            "latitude": 51.5074, "longitude": -0.1278, **fields}
    response = client.put("/crm/site/", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def activity_entries(app, customer_id=None, entity_type=None):
    with app.app_context():
        stmt = select(ActivityLog).order_by(ActivityLog.activity_id)
        if customer_id is not None:
            stmt = stmt.where(ActivityLog.customer_id == customer_id)
        if entity_type is not None:
            stmt = stmt.where(ActivityLog.entity_type == entity_type)
        rows = db.session.scalars(stmt).all()
        return [{"entity_type": r.entity_type, "entity_id": r.entity_id, "action": r.action,
                 "customer_id": r.customer_id, "actor": r.actor, "user_id": r.user_id,
                 "changes": json.loads(r.changes) if r.changes else None, "description": r.description}
                for r in rows]


def customer_user(app, client, make_user, customer_id, permissions=None):
    """A self-care user linked to a contact of `customer_id`, with the default Customer role."""
    contact = add_contact(client, _admin(client), customer_id, contact_firstname="Self", contact_lastname="Care",
                          contact_email=f"self{customer_id}@example.com", contact_phone=None)
    if permissions:
        return make_user(permissions=permissions, contact_id=contact["contact_id"])
    return make_user(roles=["Customer"], contact_id=contact["contact_id"])


def _admin(client):
    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login
    return bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"])
