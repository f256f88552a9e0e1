"""What customers owe (issue #14 point 5): amount_owed, overdue_amount and overdue_invoices on the customer record
and list, the owes/overdue filters and the amount_owed sort; customer users see only their own figures."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from omnicrm import db
from omnicrm.billing.models import Invoice
from omnicrm.customers.models import Contact, Customer
from omnicrm.db import utcnow


@pytest.fixture
def world(app):
    """Ann owes 150.00 (100.00 overdue), plus a paid and a voided invoice; Ben owes 20.50, not yet due; Cy has no
    invoice; Dee paid everything; Eve holds an unpaid credit note (-10.00)."""
    now = utcnow()
    past, future = now - timedelta(days=3), now + timedelta(days=10)
    with app.app_context():
        people = {name: Customer(customer_name=name) for name in ("Ann", "Ben", "Cy", "Dee", "Eve")}
        db.session.add_all(people.values())
        db.session.flush()

        def invoice(name, amount, due, paid=False, void=False):
            db.session.add(Invoice(customer_id=people[name].customer_id, title=f"{name} {amount}", due_date=due,
                                   retail_cost=Decimal(amount), paid=paid, void=void))
        invoice("Ann", "100.00", past)
        invoice("Ann", "50.00", future)
        invoice("Ann", "70.00", past, paid=True)
        invoice("Ann", "30.00", past, void=True)
        invoice("Ben", "20.50", future)
        invoice("Dee", "99.99", past, paid=True)
        invoice("Eve", "-10.00", past)
        contact = Contact(customer_id=people["Ann"].customer_id, contact_firstname="Ann",
                          contact_email="ann@example.com")
        db.session.add(contact)
        db.session.commit()
        return {**{n: c.customer_id for n, c in people.items()}, "contact": contact.contact_id}


def figures(body):
    return (body["amount_owed"], body["overdue_amount"], body["overdue_invoices"])


def listed(client, headers, **params):
    query = {k: json.dumps(v) if k == "filters" else v for k, v in params.items()}
    response = client.get("/crm/customers", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_customer_record_shows_what_it_owes(client, admin_headers, world):
    expected = {"Ann": ("150.00", "100.00", 1), "Ben": ("20.50", "0.00", 0), "Cy": ("0.00", "0.00", 0),
                "Dee": ("0.00", "0.00", 0), "Eve": ("-10.00", "-10.00", 1)}
    for name, owed in expected.items():
        body = client.get(f"/crm/customer/customer_id/{world[name]}", headers=admin_headers).get_json()
        assert figures(body) == owed, name
    rows = listed(client, admin_headers, sort="customer_name")["data"]
    assert {r["customer_name"]: figures(r) for r in rows} == expected


def test_who_owes_us_money_is_one_request(client, admin_headers, world):
    body = listed(client, admin_headers, filters={"owes": [True]}, sort="amount_owed", order="desc")
    assert [(r["customer_name"], r["amount_owed"]) for r in body["data"]] == [("Ann", "150.00"), ("Ben", "20.50")]
    assert body["pagination"]["total_items"] == 2
    body = listed(client, admin_headers, filters={"overdue": ["true"]}, sort="customer_name")
    assert [r["customer_name"] for r in body["data"]] == ["Ann", "Eve"]
    body = listed(client, admin_headers, filters={"owes": [True], "overdue": [True]})
    assert [r["customer_name"] for r in body["data"]] == ["Ann"]
    body = listed(client, admin_headers, filters={"owes": [False]}, sort="customer_name")
    assert [r["customer_name"] for r in body["data"]] == ["Cy", "Dee", "Eve"]
    body = listed(client, admin_headers, filters={"overdue": [False]}, sort="customer_name")
    assert [r["customer_name"] for r in body["data"]] == ["Ben", "Cy", "Dee"]
    body = listed(client, admin_headers, sort="amount_owed", order="asc", per_page=2)
    assert [r["customer_name"] for r in body["data"]] == ["Eve", "Cy"]  # ties by customer id
    assert body["pagination"]["total_items"] == 5


def test_paying_an_invoice_changes_what_is_owed(client, admin_headers, world, app):
    with app.app_context():
        invoice = db.session.query(Invoice).filter_by(customer_id=world["Ann"], title="Ann 100.00").one()
        invoice_id = invoice.invoice_id
    response = client.post(f"/crm/invoice/{invoice_id}/pay", json={"payment_method": "Cash"}, headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = client.get(f"/crm/customer/customer_id/{world['Ann']}", headers=admin_headers).get_json()
    assert figures(body) == ("50.00", "0.00", 0)
    assert [r["customer_name"] for r in listed(client, admin_headers, filters={"overdue": [True]})["data"]] == ["Eve"]


def test_bad_filter_values_and_read_only_fields_are_refused(client, admin_headers, world):
    response = client.get("/crm/customers", query_string={"filters": json.dumps({"owes": ["maybe"]})},
                          headers=admin_headers)
    assert response.status_code == 400 and "filters.owes" in response.get_json()["errors"]
    body = listed(client, admin_headers, filters={"owes": []}, sort="amount_owed")
    assert body["data"] == [] and body["pagination"]["total_items"] == 0
    response = client.get("/crm/customers", query_string={"sort": "amount_owing"}, headers=admin_headers)
    assert response.status_code == 400 and "amount_owed" in response.get_json()["errors"]["sort"]
    response = client.patch(f"/crm/customer/customer_id/{world['Ann']}", json={"amount_owed": "0.00"},
                            headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"amount_owed": "is read-only"}


def test_customer_users_see_only_their_own_figures(client, make_user, world):
    ann = make_user(roles=["Customer"], contact_id=world["contact"])
    body = listed(client, ann, filters={"owes": [True]}, sort="amount_owed", order="desc")
    assert [(r["customer_name"], figures(r)) for r in body["data"]] == [("Ann", ("150.00", "100.00", 1))]
    assert listed(client, ann, filters={"overdue": [False]})["data"] == []
    mine = client.get(f"/crm/customer/customer_id/{world['Ann']}", headers=ann)
    assert mine.status_code == 200 and figures(mine.get_json()) == ("150.00", "100.00", 1)
    assert client.get(f"/crm/customer/customer_id/{world['Ben']}", headers=ann).status_code == 404
