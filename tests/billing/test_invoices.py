"""Customer invoices over HTTP (spec 07 §2, §4.10): preview, generate, detail, void, mark paid, list, statistics;
exact money; who may do what."""
import json
import threading
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.billing import invoices, service
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.customers.models import Contact, Customer


@pytest.fixture
def world(app):
    """Jane with three unbilled January transactions (one taxed 10 %, one at 7.5 % that rounds half-up, one credit)
    and one of February; Other Co with one transaction."""
    with app.app_context():
        jane = Customer(customer_name="Jane Home", customer_account_type="Individual")
        other = Customer(customer_name="Other Co", customer_account_type="Business")
        db.session.add_all([jane, other])
        db.session.flush()
        contact = Contact(customer_id=jane.customer_id, contact_firstname="Jane", contact_email="jane@example.com")

        def tx(customer, title, cost, tax, day, kind="debit"):
            cost = Decimal(cost)
            row = Transaction(customer_id=customer.customer_id, title=title, retail_cost=cost,
                              transaction_type=kind, tax_percentage=Decimal(tax),
                              tax_amount=service.line_tax(cost, Decimal(tax)), created=day)
            db.session.add(row)
            return row

        plan = tx(jane, "Mobile Plan", "50.00", "10", datetime(2026, 1, 5))
        odd = tx(jane, "Odd fee", "0.10", "5", datetime(2026, 1, 10))  # 0.005 -> 0.01 half-up
        credit = tx(jane, "Outage credit", "-10.00", "0", datetime(2026, 1, 20), kind="credit")
        february = tx(jane, "February plan", "50.00", "10", datetime(2026, 2, 5))
        theirs = tx(other, "Their fee", "30.00", "0", datetime(2026, 1, 5))
        db.session.add(contact)
        db.session.commit()
        return {"jane": jane.customer_id, "other": other.customer_id, "contact": contact.contact_id,
                "plan": plan.transaction_id, "odd": odd.transaction_id, "credit": credit.transaction_id,
                "february": february.transaction_id, "theirs": theirs.transaction_id}


JANUARY = {"start_date": "2026-01-01", "end_date": "2026-01-31", "due_date": "2026-02-14"}


def generate(client, headers, customer_id, **fields):
    return client.put("/crm/invoice/", json={"customer_id": customer_id, **JANUARY, **fields}, headers=headers)


def ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listed(client, headers, path="/crm/invoice/", **params):
    query = {k: json.dumps(v) if k == "filters" else v for k, v in params.items()}
    return ok(client.get(path, query_string=query, headers=headers))


def billed_on(app, *transaction_ids):
    with app.app_context():
        return [db.session.get(Transaction, t).invoice_id for t in transaction_ids]


def test_preview_lists_unbilled_in_range_with_exact_totals(client, admin_headers, world):
    body = ok(client.post("/crm/invoice/preview", headers=admin_headers,
                          json={"customer_id": world["jane"], "start_date": "2026-01-01", "end_date": "2026-01-31"}))
    assert [t["transaction_id"] for t in body["transactions"]] == [world["plan"], world["odd"], world["credit"]]
    assert (body["count"], body["subtotal"], body["tax"], body["total"]) == (3, "40.10", "5.01", "45.11")
    bad = client.post("/crm/invoice/preview", headers=admin_headers,
                      json={"customer_id": world["jane"], "start_date": "2026-02-01", "end_date": "2026-01-01"})
    assert bad.status_code == 400 and bad.get_json()["errors"] == {"end_date": "must not be before start_date"}


def test_line_tax_is_rounded_half_up_to_cents():
    assert service.line_tax(Decimal("0.10"), Decimal("5")) == Decimal("0.01")
    assert service.line_tax(Decimal("0.30"), Decimal("5")) == Decimal("0.02")  # 0.015 -> 0.02
    assert service.line_tax(Decimal("0.50"), Decimal("5")) == Decimal("0.03")  # 0.025 -> 0.03 (banker's: 0.02)


def test_generate_chosen_subset_default_title_and_detail(app, client, admin_headers, world):
    invoice = ok(generate(client, admin_headers, world["jane"], transaction_ids=[world["plan"], world["odd"]]))
    assert invoice["title"] == "Invoice for 2026-01-01 to 2026-01-31"
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["retail_cost"]) == \
        ("50.10", "5.01", "55.11", "55.11")
    assert invoice["status"] == "Unpaid" and invoice["void"] is False and invoice["due_date"] == "2026-02-14T00:00:00Z"
    assert billed_on(app, world["plan"], world["odd"], world["credit"]) == [invoice["invoice_id"]] * 2 + [None]
    detail = ok(client.get(f"/crm/invoice/{invoice['invoice_id']}", headers=admin_headers))
    assert [t["transaction_id"] for t in detail["transactions"]] == [world["plan"], world["odd"]]
    assert detail["total"] == "55.11" and detail["payment"] is None
    with app.app_context():
        assert db.session.scalar(select(ActivityLog).where(ActivityLog.entity_type == "invoice")) is not None

    rest = ok(generate(client, admin_headers, world["jane"], title="Credit note", start_date="2026-01-20",
                       end_date="2026-01-20"))
    assert (rest["title"], rest["total"]) == ("Credit note", "-10.00")
    one_off = ok(generate(client, admin_headers, world["jane"], start_date="2026-02-05", end_date="2026-02-05"))
    assert one_off["title"] == "Invoice for 2026-02-05"


def test_generate_refusals_write_nothing(app, client, admin_headers, world):
    nothing = generate(client, admin_headers, world["jane"], start_date="2025-01-01", end_date="2025-01-31")
    assert nothing.status_code == 400
    assert nothing.get_json()["message"] == "Cannot generate invoice - No transactions found"
    foreign = generate(client, admin_headers, world["jane"], transaction_ids=[world["plan"], world["theirs"]])
    assert foreign.status_code == 400 and str(world["theirs"]) in foreign.get_json()["errors"]["transaction_ids"]
    for bad in ({"transaction_ids": []}, {"transaction_ids": ["1"]}, {"due_date": None}, {"due_date": "soon"},
                {"invoice_id": 5}):
        response = generate(client, admin_headers, world["jane"], **bad)
        assert response.status_code == 400, (bad, response.get_json())
    assert generate(client, admin_headers, 999999).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Invoice)).all() == []
    assert billed_on(app, world["plan"], world["theirs"]) == [None, None]


def test_a_transaction_is_never_billed_twice(app, client, admin_headers, world):
    first = ok(generate(client, admin_headers, world["jane"], transaction_ids=[world["plan"]]))
    again = generate(client, admin_headers, world["jane"], transaction_ids=[world["plan"], world["odd"]])
    assert again.status_code == 400  # billed already: no longer offered
    assert billed_on(app, world["plan"], world["odd"]) == [first["invoice_id"], None]


def race(app, *calls):
    """Run the calls at the same moment, each in its own request and session; their results or error names."""
    results, barrier = [], threading.Barrier(len(calls))

    def run(call):
        with app.test_request_context():
            try:
                barrier.wait()
                value = call()
                db.session.commit()
                results.append(value)
            except Exception as error:  # noqa: BLE001 - the loser's refusal is what the tests check
                db.session.rollback()
                results.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_generates_bill_each_transaction_once(app, world):
    """Two generates racing for the same transactions: exactly one wins, the other writes nothing."""
    def generate_january():
        return invoices.generate({"customer_id": world["jane"], **JANUARY}).invoice_id

    results = race(app, generate_january, generate_january)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    with app.app_context():
        assert db.session.scalars(select(Invoice.invoice_id)).all() == winners
        billed = db.session.scalars(select(Transaction.invoice_id).where(Transaction.customer_id == world["jane"],
                                                                         Transaction.created < datetime(2026, 2, 1)))
        assert set(billed) == set(winners)


def test_concurrent_void_and_pay_cannot_both_win(app, client, admin_headers, world):
    invoice_id = ok(generate(client, admin_headers, world["jane"]))["invoice_id"]
    results = race(app, lambda: invoices.void(invoices.get_invoice(invoice_id)).void,
                   lambda: invoices.pay(invoices.get_invoice(invoice_id), {"payment_method": "Cash"}).paid)
    assert sorted(map(str, results)) == ["Conflict", "True"], results
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice.paid != invoice.void
        payments = db.session.scalars(select(Transaction).where(Transaction.title.like("Payment for%"))).all()
        assert len(payments) == int(invoice.paid)
        assert billed_on(app, world["plan"]) == [None if invoice.void else invoice_id]


def test_void_releases_transactions_and_only_unpaid(app, client, admin_headers, world):
    invoice = ok(generate(client, admin_headers, world["jane"]))
    voided = ok(client.delete(f"/crm/invoice/{invoice['invoice_id']}", headers=admin_headers))
    assert voided["void"] is True and voided["transactions"] == []
    assert billed_on(app, world["plan"], world["odd"], world["credit"]) == [None, None, None]
    assert client.delete(f"/crm/invoice/{invoice['invoice_id']}", headers=admin_headers).status_code == 409
    assert client.post(f"/crm/invoice/{invoice['invoice_id']}/pay", json={"payment_method": "Cash"},
                       headers=admin_headers).status_code == 409

    again = ok(generate(client, admin_headers, world["jane"]))  # released rows can be billed again
    ok(client.post(f"/crm/invoice/{again['invoice_id']}/pay", json={"payment_method": "Cash"}, headers=admin_headers))
    refused = client.delete(f"/crm/invoice/{again['invoice_id']}", headers=admin_headers)
    assert refused.status_code == 409 and refused.get_json()["errors"] == {"invoice_id": "is already paid or void"}
    assert billed_on(app, world["plan"]) == [again["invoice_id"]]


@pytest.mark.parametrize("method", ["Cash", "POS Transaction", "Bank Transfer", "Refund"])
def test_mark_paid_records_a_negative_transaction(app, client, admin_headers, world, method):
    invoice = ok(generate(client, admin_headers, world["jane"], transaction_ids=[world["plan"]]))
    paid = ok(client.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", headers=admin_headers,
                          json={"payment_method": method, "payment_reference": "BANK-42",
                                "payment_date": "2026-02-10"}))
    assert (paid["status"], paid["paid"], paid["payment_method"], paid["payment_reference"]) == \
        ("Paid", True, method, "BANK-42")
    assert paid["total"] == "55.00" and len(paid["transactions"]) == 1  # the payment is not an invoice line
    payment = paid["payment"]
    assert (payment["retail_cost"], payment["transaction_type"], payment["credit_type"], payment["invoice_id"]) == \
        ("-55.00", "credit", method, invoice["invoice_id"])
    assert payment["created"] == "2026-02-10T00:00:00Z"
    assert client.post(f"/crm/invoice/{invoice['invoice_id']}/pay", json={"payment_method": method},
                       headers=admin_headers).status_code == 409
    with app.app_context():  # the payment is billed on this invoice, so it never joins another one
        assert db.session.scalar(select(Transaction).where(Transaction.invoice_id.is_(None),
                                                           Transaction.retail_cost == Decimal("-55.00"))) is None


def test_pay_validation(client, admin_headers, world):
    invoice = ok(generate(client, admin_headers, world["jane"]))
    for body, field in (({}, "payment_method"), ({"payment_method": "Stripe"}, "payment_method"),
                        ({"payment_method": "Cash", "payment_date": "yesterday"}, "payment_date"),
                        ({"payment_method": "Cash", "paid": True}, "paid")):
        response = client.post(f"/crm/invoice/{invoice['invoice_id']}/pay", json=body, headers=admin_headers)
        assert response.status_code == 400 and field in response.get_json()["errors"], body
    assert client.post("/crm/invoice/999999/pay", json={"payment_method": "Cash"},
                       headers=admin_headers).status_code == 404


def test_list_search_filters_sort_and_pages(client, admin_headers, world):
    paid = ok(generate(client, admin_headers, world["jane"], title="January", transaction_ids=[world["plan"]]))
    ok(client.post(f"/crm/invoice/{paid['invoice_id']}/pay", json={"payment_method": "Cash"}, headers=admin_headers))
    voided = ok(generate(client, admin_headers, world["jane"], title="Odd", transaction_ids=[world["odd"]]))
    ok(client.delete(f"/crm/invoice/{voided['invoice_id']}", headers=admin_headers))
    theirs = ok(generate(client, admin_headers, world["other"], title="Other January"))

    def ids(body):
        return [row["invoice_id"] for row in body["data"]]

    everything = listed(client, admin_headers)
    assert [row["overdue"] for row in everything["data"]] == [False, False, True]  # due 2026-02-14, unpaid
    assert ids(everything) == [paid["invoice_id"], voided["invoice_id"], theirs["invoice_id"]]
    assert ids(listed(client, admin_headers, search="Other Co")) == [theirs["invoice_id"]]  # customer name
    assert ids(listed(client, admin_headers, search=str(voided["invoice_id"]))) == [voided["invoice_id"]]
    assert ids(listed(client, admin_headers, filters={"void": [True]})) == [voided["invoice_id"]]
    assert ids(listed(client, admin_headers, filters={"paid": [False], "void": [False]})) == [theirs["invoice_id"]]
    assert ids(listed(client, admin_headers, sort="retail_cost", order="desc"))[0] == paid["invoice_id"]
    page = listed(client, admin_headers, per_page=1, page=2)
    assert ids(page) == [voided["invoice_id"]] and page["pagination"]["total_pages"] == 3
    mine = listed(client, admin_headers, path=f"/crm/invoice/customer_id/{world['jane']}")
    assert ids(mine) == [paid["invoice_id"], voided["invoice_id"]]
    assert client.get("/crm/invoice/", query_string={"sort": "password"}, headers=admin_headers).status_code == 400
    assert client.get("/crm/invoice/", query_string={"filters": '{"paid": ["maybe"]}'},
                      headers=admin_headers).status_code == 400
    assert client.get("/crm/invoice/customer_id/999999", headers=admin_headers).status_code == 404


def test_customer_user_sees_only_own_invoices(client, admin_headers, make_user, world):
    mine = ok(generate(client, admin_headers, world["jane"]))
    theirs = ok(generate(client, admin_headers, world["other"]))
    customer = make_user(roles=["Customer"], contact_id=world["contact"])
    assert [r["invoice_id"] for r in listed(client, customer)["data"]] == [mine["invoice_id"]]
    assert ok(client.get(f"/crm/invoice/{mine['invoice_id']}", headers=customer))["total"] == mine["total"]
    for path in (f"/crm/invoice/{theirs['invoice_id']}", f"/crm/invoice/customer_id/{world['other']}",
                 f"/crm/invoice/customer_id/{world['other']}/stats"):
        assert client.get(path, headers=customer).status_code == 404, path
    assert ok(client.get("/crm/invoice/stats", headers=customer))["total"]["count"] == 1
    assert generate(client, customer, world["jane"]).status_code == 403
    assert client.delete(f"/crm/invoice/{mine['invoice_id']}", headers=customer).status_code == 403
    assert client.post(f"/crm/invoice/{mine['invoice_id']}/pay", json={"payment_method": "Cash"},
                       headers=customer).status_code == 403
    viewer = make_user(permissions=["view_customer_invoice"])
    assert generate(client, viewer, world["jane"]).status_code == 403
    assert client.post("/crm/invoice/preview", json={"customer_id": world["jane"], "start_date": "2026-01-01",
                                                      "end_date": "2026-01-31"}, headers=viewer).status_code == 403
    assert len(listed(client, viewer)["data"]) == 2


def test_statistics_widgets_and_trend(app, world):
    with app.app_context():
        def invoice(customer, amount, created, paid=False, void=False):
            db.session.add(Invoice(customer_id=world[customer], retail_cost=Decimal(amount), created=created,
                                   paid=paid, void=void))

        invoice("jane", "100.00", datetime(2026, 3, 2), paid=True)
        invoice("jane", "50.50", datetime(2026, 3, 20))
        invoice("other", "200.00", datetime(2026, 2, 10))
        invoice("jane", "100.00", datetime(2026, 1, 10))
        invoice("jane", "999.00", datetime(2026, 3, 3), void=True)
        db.session.commit()
        stats = invoices.statistics(now=datetime(2026, 3, 25))
        assert stats["total"] == {"count": 4, "amount": "450.50"}
        assert stats["unpaid"] == {"count": 3, "amount": "350.50"}
        assert stats["this_month"] == {"count": 2, "amount": "150.50", "trend_percent": "-24.75"}
        assert stats["last_month"] == {"count": 1, "amount": "200.00", "trend_percent": "100.00"}
        jane = invoices.statistics(world["jane"], now=datetime(2026, 3, 25))
        assert jane["last_month"] == {"count": 0, "amount": "0.00", "trend_percent": "-100.00"}
        assert invoices.statistics(now=datetime(2026, 1, 15))["last_month"]["trend_percent"] is None
