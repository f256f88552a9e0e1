"""Rows from other domains the catalogue and inventory tests need (customers, services), written straight to the
database, plus a customer self-care login."""
import uuid

from omnicrm import db
from omnicrm.customers.models import Contact, Customer
from omnicrm.services.models import Service


def make_customer(app, name="Ana Lopez", account_type="Individual"):
    with app.app_context():
        customer = Customer(customer_name=name, customer_account_type=account_type)
        db.session.add(customer)
        db.session.commit()
        return customer.customer_id


def make_service(app, customer_id, service_type="mobile", product_id=None, status="Active"):
    with app.app_context():
        service = Service(customer_id=customer_id, product_id=product_id, service_type=service_type,
                          service_name=f"{service_type} service", service_uuid=uuid.uuid4().hex,
                          service_status=status)
        db.session.add(service)
        db.session.commit()
        return service.service_id


def customer_login(app, make_user, customer_id):
    """A self-care user (role Customer) of `customer_id`."""
    with app.app_context():
        contact = Contact(customer_id=customer_id, contact_firstname="Self", contact_lastname="Care",
                          contact_email=f"self{customer_id}@example.com")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.contact_id
    return make_user(roles=["Customer"], contact_id=contact_id)
