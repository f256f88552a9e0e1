"""Rows the service tests need from other domains, written straight to the database (their APIs are built
elsewhere), and a service created the way playbooks create it: PUT /crm/service/."""
from decimal import Decimal

from omnicrm import db
from omnicrm.customers.models import Contact, Customer, Site
from omnicrm.products.models import Product


def make_customer(app, name="Acme Corp", with_contact=False):
    with app.app_context():
        customer = Customer(customer_name=name)
        db.session.add(customer)
        db.session.flush()
        contact_id = None
        if with_contact:
            contact = Contact(customer_id=customer.customer_id, contact_firstname="Ana",
                              contact_lastname=name, contact_email=f"ana@{customer.customer_id}.example.com")
            db.session.add(contact)
            db.session.flush()
            contact_id = contact.contact_id
        db.session.commit()
        return customer.customer_id, contact_id


def make_site(app, customer_id):
    with app.app_context():
        site = Site(customer_id=customer_id, site_name="Head office")
        db.session.add(site)
        db.session.commit()
        return site.site_id


def make_product(app, name="5GB Data Boost", slug=None, retail_cost="5.00", category="addon", **extra):
    with app.app_context():
        product = Product(product_name=name, product_slug=slug or name.lower().replace(" ", "-"),
                          category=category, service_type="mobile", retail_cost=Decimal(retail_cost),
                          wholesale_cost=Decimal("1.50"), provisioning_play="play_topup_charge_then_action",
                          provisioning_json_vars='{"data_gb": 5}', **extra)
        db.session.add(product)
        db.session.commit()
        return product.product_id


def create_service(client, headers, customer_id, **fields):
    body = {"customer_id": customer_id, "service_name": "Mobile SIM - 0412345678", "service_type": "mobile",
            "retail_cost": 30, "wholesale_cost": 5, **fields}
    response = client.put("/crm/service/", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
