"""Customer transactions over HTTP (spec 07 §4, acceptance checks 37-43 and 64): create, validate, read, list,
void; who may do what; the activity log."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.customers.models import Contact, Customer, Site
from omnicrm.products.models import Product
from omnicrm.services.models import Service


@pytest.fixture
def world(app):
    """Two customers; the first with a contact, a site and a service of a product taxed at 10 %."""
    with app.app_context():
        jane = Customer(customer_name="Jane Home", customer_account_type="Individual")
        other = Customer(customer_name="Other Co", customer_account_type="Business")
        product = Product(product_name="Mobile Plan", product_slug="mobile-plan", category="standalone",
                          service_type="mobile", tax_percentage=Decimal("10"), enabled=True)
        db.session.add_all([jane, other, product])
        db.session.flush()
        contact = Contact(customer_id=jane.customer_id, contact_firstname="Jane", contact_email="jane@example.com")
        site = Site(customer_id=jane.customer_id, site_name="Home", address_line_1="1 Main St")
        other_site = Site(customer_id=other.customer_id, site_name="Office", address_line_1="2 High St")
        service = Service(customer_id=jane.customer_id, product_id=product.product_id, service_name="Mobile",
                          service_uuid="Mobile_1", service_type="mobile", service_status="Active")
        db.session.add_all([contact, site, other_site, service])
        db.session.commit()
        return {"jane": jane.customer_id, "other": other.customer_id, "contact": contact.contact_id,
                "site": site.site_id, "other_site": other_site.site_id, "service": service.service_id}


def add(client, headers, customer_id, **fields):
    body = {"customer_id": customer_id, "title": "Installation Fee", "retail_cost": "75.00", **fields}
    return client.put("/crm/transaction/", json=body, headers=headers)


def created(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listed(client, headers, customer_id, **params):
    query = {k: json.dumps(v) if k == "filters" else v for k, v in params.items()}
    response = client.get(f"/crm/transaction/customer_id/{customer_id}", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(body):
    return [row["transaction_id"] for row in body["data"]]


def count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Transaction))


def test_debit_tax_and_credit_sign(app, client, admin_headers, world):
    fee = created(add(client, admin_headers, world["jane"], retail_cost="75.00", wholesale_cost="45.00",
                      service_id=world["service"], site_id=world["site"], tax_percentage="0"))
    assert (fee["retail_cost"], fee["wholesale_cost"], fee["tax_amount"]) == ("75.00", "45.00", "0.00")
    assert fee["transaction_type"] == "debit" and fee["invoice_id"] is None and fee["void"] is False

    taxed = created(add(client, admin_headers, world["jane"], title="Mobile Plan", retail_cost="50.00",
                        tax_percentage="10"))
    assert (taxed["retail_cost"], taxed["tax_percentage"], taxed["tax_amount"]) == ("50.00", "10.00", "5.00")
    from_product = created(add(client, admin_headers, world["jane"], title="Plan", retail_cost="50",
                               service_id=world["service"]))
    assert (from_product["tax_percentage"], from_product["tax_amount"]) == ("10.00", "5.00")
    untaxed = created(add(client, admin_headers, world["jane"], title="Manual charge", retail_cost="20"))
    assert (untaxed["tax_percentage"], untaxed["tax_amount"]) == ("0.00", "0.00")
    free_setup = created(add(client, admin_headers, world["jane"], title="Setup", retail_cost="0.00",
                             wholesale_cost="45", invoice_id=None))  # what the playbooks send for a free setup
    assert (free_setup["retail_cost"], free_setup["wholesale_cost"]) == ("0.00", "45.00")

    credit = created(add(client, admin_headers, world["jane"], title="Service Outage Credit", retail_cost="10.00",
                         transaction_type="credit", credit_type="Cash", tax_percentage="10",
                         service_id=world["service"]))
    assert (credit["retail_cost"], credit["tax_percentage"], credit["tax_amount"]) == ("-10.00", "0.00", "0.00")
    assert credit["credit_type"] == "Cash"
    with app.app_context():
        row = db.session.get(Transaction, credit["transaction_id"])
        assert row.retail_cost == Decimal("-10.00") and row.tax_amount == Decimal("0.00")
        assert db.session.get(Transaction, taxed["transaction_id"]).tax_amount == Decimal("5.00")
    assert client.get(f"/crm/transaction/transaction_id/{credit['transaction_id']}",
                      headers=admin_headers).get_json() == credit


@pytest.mark.parametrize("fields, errors", [
    ({"title": None}, ["title"]),
    ({"title": "", "retail_cost": None}, ["retail_cost", "title"]),
    ({"retail_cost": "0", "transaction_type": "credit", "credit_type": "Card"}, ["retail_cost"]),
    ({"retail_cost": "-5.00"}, ["retail_cost"]),
    ({"retail_cost": "ten"}, ["retail_cost"]),
    ({"transaction_type": "credit"}, ["credit_type"]),
    ({"transaction_type": "credit", "credit_type": "Cheque"}, ["credit_type"]),
    ({"transaction_type": "refund"}, ["transaction_type"]),
    ({"invoice_id": 7, "tax_amount": "1.00"}, ["invoice_id", "tax_amount"]),
    ({"tax_percentage": "101"}, ["tax_percentage"]),
])
def test_invalid_transactions_are_refused_with_field_errors(app, client, admin_headers, world, fields, errors):
    body = {k: v for k, v in fields.items() if v is not None}
    missing = [k for k, v in fields.items() if v is None]
    response = client.put("/crm/transaction/", headers=admin_headers, json={
        k: v for k, v in {"customer_id": world["jane"], "title": "Fee", "retail_cost": "5", **body}.items()
        if k not in missing})
    assert response.status_code == 400, response.get_json()
    assert sorted(response.get_json()["errors"]) == errors
    assert count(app) == 0


def test_links_must_belong_to_the_customer(app, client, admin_headers, world):
    response = add(client, admin_headers, world["other"], service_id=world["service"], site_id=world["site"])
    assert response.status_code == 400
    assert sorted(response.get_json()["errors"]) == ["service_id", "site_id"]
    assert add(client, admin_headers, 999999).get_json()["errors"] == {"customer_id": "customer 999999 does not exist"}
    assert count(app) == 0


def test_permissions_and_customer_scope(app, client, make_user, admin_headers, world):
    mine = created(add(client, admin_headers, world["jane"]))
    theirs = created(add(client, admin_headers, world["other"]))
    assert client.put("/crm/transaction/", json={}).status_code == 401
    viewer = make_user(permissions=["view_customer_transaction"])
    refused = add(client, viewer, world["jane"])
    assert refused.status_code == 403 and "create_customer_transaction" in refused.get_json()["message"]
    assert client.delete(f"/crm/transaction/transaction_id/{mine['transaction_id']}", headers=viewer).status_code == 403
    assert count(app) == 2

    customer = make_user(roles=["Customer"], contact_id=world["contact"])
    assert ids(listed(client, customer, world["jane"])) == [mine["transaction_id"]]
    assert client.get(f"/crm/transaction/transaction_id/{mine['transaction_id']}", headers=customer).status_code == 200
    for path in (f"/crm/transaction/transaction_id/{theirs['transaction_id']}",
                 f"/crm/transaction/customer_id/{world['other']}"):
        assert client.get(path, headers=customer).status_code == 404
    assert add(client, customer, world["jane"]).status_code == 403
    assert client.delete(f"/crm/transaction/transaction_id/{mine['transaction_id']}",
                         headers=customer).status_code == 403
    assert client.get("/crm/transaction/customer_id/999999", headers=admin_headers).status_code == 404


def test_void_rules(app, client, admin_headers, make_user, world):
    finance = make_user(permissions=["view_customer_transaction", "update_customer_transaction"])
    duplicate = created(add(client, admin_headers, world["jane"], title="Duplicate fee"))
    kept = created(add(client, admin_headers, world["jane"], title="Real fee"))
    billed = created(add(client, admin_headers, world["jane"], title="Billed fee"))
    with app.app_context():
        invoice = Invoice(customer_id=world["jane"], title="January", retail_cost=Decimal("75.00"))
        db.session.add(invoice)
        db.session.flush()
        db.session.get(Transaction, billed["transaction_id"]).invoice_id = invoice.invoice_id
        db.session.commit()
        invoice_id = invoice.invoice_id

    voided = client.delete(f"/crm/transaction/transaction_id/{duplicate['transaction_id']}", headers=finance)
    assert voided.status_code == 200 and voided.get_json()["void"] is True
    again = client.delete(f"/crm/transaction/transaction_id/{duplicate['transaction_id']}", headers=finance)
    assert again.status_code == 200
    refused = client.delete(f"/crm/transaction/transaction_id/{billed['transaction_id']}", headers=finance)
    assert refused.status_code == 409 and "invoice_id" in refused.get_json()["errors"]
    assert client.delete("/crm/transaction/transaction_id/999999", headers=finance).status_code == 404
    with app.app_context():
        assert db.session.get(Transaction, billed["transaction_id"]).void is False
        voids = db.session.scalar(select(func.count()).select_from(ActivityLog).where(
            ActivityLog.entity_type == "transaction", ActivityLog.action == "void"))
    assert voids == 1

    assert ids(listed(client, finance, world["jane"])) == [kept["transaction_id"], billed["transaction_id"]]
    assert ids(listed(client, finance, world["jane"], filters={"void": [True]})) == [duplicate["transaction_id"]]
    assert len(ids(listed(client, finance, world["jane"], filters={"void": [True, False]}))) == 3
    assert ids(listed(client, finance, world["jane"], filters={"billed": [True]})) == [billed["transaction_id"]]
    assert ids(listed(client, finance, world["jane"], filters={"billed": ["false"]})) == [kept["transaction_id"]]
    assert ids(listed(client, finance, world["jane"], search=str(invoice_id))) == [billed["transaction_id"]]


def test_list_convention(app, client, admin_headers, world):
    rows = [created(add(client, admin_headers, world["jane"], title=f"Charge {n}", retail_cost=str(n),
                        description="router rental" if n == 2 else None)) for n in (1, 2, 3)]
    created(add(client, admin_headers, world["other"], title="Charge 1"))
    page = listed(client, admin_headers, world["jane"], per_page=2, sort="retail_cost", order="desc")
    assert ids(page) == [rows[2]["transaction_id"], rows[1]["transaction_id"]]
    assert page["pagination"] == {"current_page": 1, "per_page": 2, "total_pages": 2, "total_items": 3}
    assert ids(listed(client, admin_headers, world["jane"], search="ROUTER")) == [rows[1]["transaction_id"]]
    assert ids(listed(client, admin_headers, world["jane"], search="charge 3")) == [rows[2]["transaction_id"]]
    assert ids(listed(client, admin_headers, world["jane"], search=str(rows[0]["transaction_id"]))) == [
        rows[0]["transaction_id"]]
    for bad in ({"sort": "colour"}, {"filters": json.dumps({"colour": ["red"]})},
                {"filters": json.dumps({"void": ["maybe"]})}):
        response = client.get(f"/crm/transaction/customer_id/{world['jane']}", query_string=bad,
                              headers=admin_headers)
        assert response.status_code == 400, bad


def test_creating_writes_the_activity_log(app, client, make_user, world):
    finance = make_user(permissions=["create_customer_transaction", "view_customer_transaction"])
    row = created(add(client, finance, world["jane"], title="Installation Fee", retail_cost="75.00",
                      wholesale_cost="45.00"))
    with app.app_context():
        [entry] = db.session.scalars(select(ActivityLog).where(ActivityLog.entity_type == "transaction"))
        assert (entry.entity_id, entry.action, entry.customer_id, entry.user_id) == (
            str(row["transaction_id"]), "create", world["jane"], finance.user_id)
        assert "Installation Fee" in entry.description
        assert json.loads(entry.changes)["retail_cost"] == {"before": None, "after": "75.00"}
