"""The system-wide transaction list and the transaction widgets (spec 07 §4.3-4.4, Billing → Transactions)."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest

from omnicrm import db
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.customers.models import Contact, Customer
from omnicrm.db import utcnow


@pytest.fixture
def world(app):
    now = utcnow()
    with app.app_context():
        jane = Customer(customer_name="Jane Home")
        other = Customer(customer_name="Other Co")
        db.session.add_all([jane, other])
        db.session.flush()
        contact = Contact(customer_id=jane.customer_id, contact_firstname="Jane", contact_email="j@example.com")
        invoice = Invoice(customer_id=jane.customer_id, title="Inv", retail_cost=Decimal("10"))
        db.session.add_all([contact, invoice])
        db.session.flush()
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        rows = [Transaction(customer_id=jane.customer_id, title="Plan", retail_cost=Decimal("50.00"), created=now),
                Transaction(customer_id=jane.customer_id, title="Billed", retail_cost=Decimal("10.00"), created=now,
                            invoice_id=invoice.invoice_id),
                Transaction(customer_id=jane.customer_id, title="Voided", retail_cost=Decimal("99.00"), created=now,
                            void=True),
                Transaction(customer_id=other.customer_id, title="Old fee", retail_cost=Decimal("25.00"),
                            created=month_start - timedelta(days=3))]
        db.session.add_all(rows)
        db.session.commit()
        return {"jane": jane.customer_id, "other": other.customer_id, "contact": contact.contact_id}


def test_lists_every_customers_transactions_without_voided(client, admin_headers, world):
    body = client.get("/crm/transaction/", headers=admin_headers).get_json()
    assert sorted(r["title"] for r in body["data"]) == ["Billed", "Old fee", "Plan"]
    unbilled = client.get("/crm/transaction/", query_string={"filters": json.dumps({"billed": [False]})},
                          headers=admin_headers).get_json()
    assert sorted(r["title"] for r in unbilled["data"]) == ["Old fee", "Plan"]
    voided = client.get("/crm/transaction/", query_string={"filters": json.dumps({"void": [True]})},
                        headers=admin_headers).get_json()
    assert [r["title"] for r in voided["data"]] == ["Voided"]
    of_other = client.get("/crm/transaction/", query_string={"filters": json.dumps({"customer_id": [world["other"]]})},
                          headers=admin_headers).get_json()
    assert [r["title"] for r in of_other["data"]] == ["Old fee"]


def test_widgets(client, admin_headers, world):
    stats = client.get("/crm/transaction/stats", headers=admin_headers).get_json()
    assert stats["total"] == {"count": 3, "amount": "85.00"}
    assert stats["unbilled"] == {"count": 2, "amount": "75.00"}
    assert stats["this_month"]["amount"] == "60.00" and stats["last_month"]["amount"] == "25.00"
    assert stats["this_month"]["trend_percent"] == "140.00"
    assert stats["last_month"]["trend_percent"] is None
    jane = client.get(f"/crm/transaction/customer_id/{world['jane']}/stats", headers=admin_headers).get_json()
    assert jane["total"] == {"count": 2, "amount": "60.00"}
    assert client.get("/crm/transaction/customer_id/999999/stats", headers=admin_headers).status_code == 404


def test_a_customer_user_sees_only_its_own(client, make_user, world):
    headers = make_user(permissions=["view_own_customer_transaction"], contact_id=world["contact"])
    body = client.get("/crm/transaction/", headers=headers).get_json()
    assert sorted(r["title"] for r in body["data"]) == ["Billed", "Plan"]
    assert client.get("/crm/transaction/stats", headers=headers).get_json()["total"]["amount"] == "60.00"
    assert client.get(f"/crm/transaction/customer_id/{world['other']}/stats", headers=headers).status_code == 404


def test_needs_permission(client, make_user, world):
    headers = make_user(permissions=["view_customer"])
    assert client.get("/crm/transaction/", headers=headers).status_code == 403
    assert client.get("/crm/transaction/stats", headers=headers).status_code == 403


def test_an_invoice_due_today_is_not_overdue_yet(client, admin_headers, world):
    """The generate modal's default due date is today: such an invoice is overdue from tomorrow on."""
    from omnicrm.db import utcnow
    today = utcnow().date()
    body = {"customer_id": world["jane"], "start_date": (today - timedelta(days=14)).isoformat(),
            "end_date": today.isoformat(), "due_date": today.isoformat()}
    invoice = client.put("/crm/invoice/", json=body, headers=admin_headers).get_json()
    assert invoice["status"] == "Unpaid" and invoice["overdue"] is False
    with client.application.app_context():
        row = db.session.get(Invoice, invoice["invoice_id"])
        row.due_date = row.due_date - timedelta(days=1)
        db.session.commit()
    again = client.get(f"/crm/invoice/invoice_id/{invoice['invoice_id']}", headers=admin_headers).get_json()
    assert again["overdue"] is True
