"""The recurring bill run (issue #14 point 3): charges of November 2026 (30 days) with a mid-month activation, a
mid-month deactivation, a setup cost, taxable and non-taxable lines; idempotent re-runs, resumed and concurrent
runs, prepaid customers, the CLI and the invoice_issued signal."""
import threading
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.billing import bill_run, events
from omnicrm.billing.models import Invoice, Transaction
from omnicrm.billing.service import line_tax
from omnicrm.cli import main
from omnicrm.customers.models import Customer
from omnicrm.products.models import Product
from omnicrm.services.models import Service

NOVEMBER = "2026-11"
END = datetime(2026, 11, 30, 23, 59, 59)


def _product(name, retail, tax, setup="0"):
    row = Product(product_name=name, product_slug=name.lower().replace(" ", "-"), category="standalone",
                  retail_cost=Decimal(retail), tax_percentage=Decimal(tax), retail_setup_cost=Decimal(setup),
                  wholesale_setup_cost=Decimal("40") if setup != "0" else Decimal(0))
    db.session.add(row)
    db.session.flush()
    return row


def _service(customer, product, name, retail, active, deactivated=None, status="Active", billed=True, taxable=True):
    row = Service(customer_id=customer.customer_id, product_id=product.product_id, service_name=name,
                  service_uuid=f"uuid-{name}", service_status=status, retail_cost=Decimal(retail),
                  wholesale_cost=Decimal("12.00"), service_active_date=active, service_deactivate_date=deactivated,
                  service_billed=billed, service_taxable=taxable)
    db.session.add(row)
    db.session.flush()
    return row


def _transaction(customer, title, cost, tax, day, service=None):
    row = Transaction(customer_id=customer.customer_id, service_id=service.service_id if service else None,
                      title=title, retail_cost=Decimal(cost), tax_percentage=Decimal(tax),
                      tax_amount=line_tax(Decimal(cost), Decimal(tax)), created=day)
    db.session.add(row)
    return row


@pytest.fixture
def world(app):
    """Alice (postpaid): a full month, a mid-month activation with a setup cost, a non-taxable mid-month
    deactivation. Bob (postpaid): a 7.5 % service, a manual fee, a service whose playbook recorded its own setup
    cost, and services that must not be charged. Carol (prepaid): a service and a top-up."""
    with app.app_context():
        alice = Customer(customer_name="Alice", customer_payment_type="postpaid")
        bob = Customer(customer_name="Bob", customer_payment_type="postpaid")
        carol = Customer(customer_name="Carol", customer_payment_type="prepaid")
        db.session.add_all([alice, bob, carol])
        db.session.flush()
        fibre = _product("Fibre 100", "60.00", "10", setup="99.00")
        static_ip = _product("Static IP", "10.00", "10")
        voice = _product("Voice Line", "25.00", "7.5")
        ids = {"alice": alice.customer_id, "bob": bob.customer_id, "carol": carol.customer_id}
        ids["full"] = _service(alice, fibre, "alice-fibre-1", "60.00", datetime(2026, 10, 1)).service_id
        ids["new"] = _service(alice, fibre, "alice-fibre-2", "60.00", datetime(2026, 11, 16, 10, 30)).service_id
        ids["ended"] = _service(alice, static_ip, "alice-ip", "10.00", datetime(2026, 9, 1),
                                deactivated=datetime(2026, 11, 11, 8), status="Deactivated",
                                taxable=False).service_id
        _service(bob, voice, "bob-voice", "25.00", datetime(2026, 1, 1))
        provisioned = _service(bob, fibre, "bob-fibre", "60.00", datetime(2026, 11, 1))
        _transaction(bob, "Fibre 100 - Setup", "99.00", "10", datetime(2026, 11, 1, 9), service=provisioned)
        _transaction(bob, "Installation fee", "5.00", "0", datetime(2026, 11, 5))
        _service(bob, voice, "bob-gone", "25.00", datetime(2026, 1, 1), deactivated=datetime(2026, 10, 20),
                 status="Deactivated")
        _service(bob, voice, "bob-december", "25.00", datetime(2026, 12, 2))
        _service(bob, voice, "bob-unbilled", "25.00", datetime(2026, 1, 1), billed=False)
        _transaction(bob, "December fee", "7.00", "0", datetime(2026, 12, 3))
        ids["prepaid"] = _service(carol, voice, "carol-sim", "30.00", datetime(2026, 1, 1)).service_id
        _transaction(carol, "Top-up - carol-sim", "20.00", "0", datetime(2026, 11, 10))
        db.session.commit()
        return ids


EXPECTED_TOTALS = {  # customer -> (subtotal, tax, total) of the November invoice
    # 60.00 + 6.00 | 15/30 of 60.00 = 30.00 + 3.00 | setup 99.00 + 9.90 | 10/30 of 10.00 = 3.33, not taxable
    "alice": (Decimal("192.33"), Decimal("18.90"), Decimal("211.23")),
    # 25.00 + 1.875 -> 1.88 | playbook setup 99.00 + 9.90 | fee 5.00 | 60.00 + 6.00
    "bob": (Decimal("189.00"), Decimal("17.78"), Decimal("206.78")),
    # the top-up only: no recurring charge for a prepaid customer
    "carol": (Decimal("20.00"), Decimal("0.00"), Decimal("20.00")),
}


def rows(app):
    """Every transaction and invoice, as plain tuples (money as Decimal strings to the cent)."""
    with app.app_context():
        transactions = [(t.transaction_id, t.customer_id, t.service_id, t.charge_key, t.title,
                         str(Decimal(t.retail_cost).quantize(Decimal("0.01"))),
                         str(Decimal(t.tax_amount).quantize(Decimal("0.01"))), t.invoice_id, t.created)
                        for t in db.session.scalars(select(Transaction).order_by(Transaction.transaction_id))]
        invoices = [(i.invoice_id, i.customer_id, i.bill_run_period, i.title, i.start_date, i.end_date, i.due_date,
                     str(Decimal(i.retail_cost).quantize(Decimal("0.01"))))
                    for i in db.session.scalars(select(Invoice).order_by(Invoice.invoice_id))]
        return transactions, invoices


def invoice_of(app, customer_id):
    with app.app_context():
        invoice = db.session.scalars(select(Invoice).where(Invoice.customer_id == customer_id)).one()
        lines = db.session.scalars(select(Transaction).where(Transaction.invoice_id == invoice.invoice_id)
                                   .order_by(Transaction.transaction_id)).all()
        subtotal = sum(Decimal(t.retail_cost) for t in lines).quantize(Decimal("0.01"))
        tax = sum(Decimal(t.tax_amount) for t in lines).quantize(Decimal("0.01"))
        return invoice, lines, (subtotal, tax, Decimal(invoice.retail_cost).quantize(Decimal("0.01")))


def run(app, **options):
    with app.app_context():
        return bill_run.run(NOVEMBER, **options)


@pytest.fixture
def announced():
    """Invoice ids the invoice_issued signal carried (what the e-mail branch listens to)."""
    seen = []

    def receiver(invoice):
        seen.append(invoice.invoice_id)
    events.invoice_issued.connect(receiver)
    yield seen
    events.invoice_issued.disconnect(receiver)


def test_bill_run_charges_prorates_taxes_and_invoices_exactly(app, world, announced):
    summary = run(app)
    assert (summary.customers, summary.charges, summary.invoices) == (3, 6, 3)
    assert summary.total == Decimal("438.01") and not summary.failed
    for name, expected in EXPECTED_TOTALS.items():
        invoice, lines, figures = invoice_of(app, world[name])
        assert figures == expected, name
        assert (invoice.bill_run_period, invoice.start_date, invoice.end_date) == (NOVEMBER, datetime(2026, 11, 1),
                                                                                   END)
        assert invoice.title == "Invoice for 2026-11-01 to 2026-11-30"
        assert invoice.due_date == datetime(2026, 12, 15) and not invoice.paid and not invoice.void
    _, alice_lines, _ = invoice_of(app, world["alice"])
    charges = {t.charge_key: (t.title, str(t.retail_cost.quantize(Decimal("0.01"))), str(t.tax_amount.quantize(
        Decimal("0.01"))), t.created) for t in alice_lines}
    assert charges == {
        f"R:{NOVEMBER}:{world['full']}": ("alice-fibre-1 - November 2026", "60.00", "6.00", END),
        f"R:{NOVEMBER}:{world['new']}": ("alice-fibre-2 - November 2026", "30.00", "3.00", END),
        f"S:{world['new']}": ("Fibre 100 - Setup", "99.00", "9.90", END),
        f"R:{NOVEMBER}:{world['ended']}": ("alice-ip - November 2026", "3.33", "0.00", END),
    }
    with app.app_context():
        december = db.session.scalars(select(Transaction).where(Transaction.title == "December fee")).one()
        assert december.invoice_id is None  # after the period: next month's invoice
        assert db.session.scalars(select(Transaction).where(Transaction.service_id == world["prepaid"])).all() == []
        invoiced = dict(db.session.execute(select(Service.service_name, Service.invoiced)).all())
        assert invoiced["alice-fibre-2"] and invoiced["alice-ip"] and invoiced["bob-voice"]
        assert not invoiced["carol-sim"] and not invoiced["bob-gone"] and not invoiced["bob-unbilled"]
        # Bob's playbook already recorded the setup cost: the run did not charge it again.
        assert db.session.scalars(select(Transaction).where(Transaction.customer_id == world["bob"],
                                                            Transaction.title == "Fibre 100 - Setup")).all()
        assert len(db.session.scalars(select(Transaction).where(Transaction.customer_id == world["bob"],
                                                                Transaction.title.like("%Setup%"))).all()) == 1
    assert sorted(announced) == sorted(summary.issued)


def test_second_run_of_the_same_month_changes_nothing(app, world, announced):
    first = run(app)
    before = rows(app)
    again = run(app)
    assert (again.customers, again.charges, again.invoices, again.total) == (0, 0, 0, Decimal("0.00"))
    assert rows(app) == before
    assert len(announced) == first.invoices  # no second e-mail


def test_the_charge_key_is_unique_in_the_database(app, world):
    run(app)
    with app.app_context():
        key = f"R:{NOVEMBER}:{world['full']}"
        db.session.add(Transaction(customer_id=world["alice"], title="copy", retail_cost=Decimal("60"),
                                   charge_key=key))
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            db.session.commit()
        db.session.rollback()
        db.session.add(Invoice(customer_id=world["alice"], bill_run_period=NOVEMBER, retail_cost=Decimal(0)))
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            db.session.commit()
        db.session.rollback()


def test_interrupted_run_resumes_without_double_charges(app, world, monkeypatch):
    expected = (run(app), rows(app))
    with app.app_context():
        db.session.execute(Transaction.__table__.delete().where(Transaction.charge_key.isnot(None)))
        db.session.execute(Transaction.__table__.update().values(invoice_id=None))
        db.session.execute(Invoice.__table__.delete())
        db.session.commit()
    real, calls = bill_run._bill_customer, []

    def crash_on_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies mid-run (not an error the run would catch)
        return real(*args)
    monkeypatch.setattr(bill_run, "_bill_customer", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run(app)
    with app.app_context():
        db.session.rollback()
        assert db.session.scalars(select(Invoice.customer_id)).all() == [world["alice"]]  # first one committed
    monkeypatch.setattr(bill_run, "_bill_customer", real)
    resumed = run(app)
    assert (resumed.customers, resumed.invoices) == (2, 2)
    transactions, invoices = rows(app)
    assert len(transactions) == len(expected[1][0])
    assert len({t[3] for t in transactions if t[3]}) == len([t for t in transactions if t[3]]) == 6
    for name, figures in EXPECTED_TOTALS.items():
        assert invoice_of(app, world[name])[2] == figures
    assert sum(Decimal(i[-1]) for i in invoices) == expected[0].total


def test_a_failing_customer_is_rolled_back_and_the_others_billed(app, world, monkeypatch):
    real = bill_run._bill_customer

    def fail_for_bob(period_, work, due):
        result = real(period_, work, due)
        if work.customer_id == world["bob"]:
            raise RuntimeError("disk full")
        return result
    monkeypatch.setattr(bill_run, "_bill_customer", fail_for_bob)
    summary = run(app)
    assert summary.failed == [world["bob"]] and summary.invoices == 2
    with app.app_context():
        assert db.session.scalars(select(Transaction).where(Transaction.customer_id == world["bob"],
                                                            Transaction.charge_key.isnot(None))).all() == []
    monkeypatch.setattr(bill_run, "_bill_customer", real)
    assert run(app).invoices == 1
    assert invoice_of(app, world["bob"])[2] == EXPECTED_TOTALS["bob"]


def test_concurrent_runs_charge_once(app, world):
    results, barrier = [], threading.Barrier(2)

    def go():
        with app.app_context():
            try:
                barrier.wait()
                results.append(bill_run.run(NOVEMBER, send_email=False))
            finally:
                db.session.remove()
    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and not any(r.failed for r in results), [r.failed for r in results]
    assert sum(r.charges for r in results) == 6 and sum(r.invoices for r in results) == 3
    for name, figures in EXPECTED_TOTALS.items():
        assert invoice_of(app, world[name])[2] == figures


def test_one_customer_and_no_email(app, world, announced):
    summary = run(app, customer_id=world["alice"], send_email=False)
    assert (summary.customers, summary.invoices, summary.total) == (1, 1, Decimal("211.23"))
    assert announced == []
    with app.app_context():
        assert db.session.scalars(select(Invoice.customer_id)).all() == [world["alice"]]


def test_cli_prints_the_summary_and_refuses_a_bad_period(app, world, announced):
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["bill-run", "--period", NOVEMBER, "--no-email"])
    assert result.exit_code == 0, result.output
    assert "Bill run 2026-11: 3 customers, 6 charges, 3 invoices, total 438.01" in result.output
    assert announced == []
    result = runner.invoke(main, ["bill-run", "--period", "2026-13"])
    assert result.exit_code == 2 and "not a month" in result.output
    result = runner.invoke(main, ["bill-run", "--period", NOVEMBER])
    assert result.exit_code == 0 and "0 customers, 0 charges, 0 invoices, total 0.00" in result.output


def test_default_period_is_the_previous_month():
    assert bill_run.period(now=datetime(2027, 1, 1, 0, 5)).label == "2026-12"
    assert bill_run.period(now=datetime(2026, 3, 31)).label == "2026-02"
    february = bill_run.period("2028-02")
    assert (february.days, february.end) == (29, datetime(2028, 2, 29, 23, 59, 59))


def test_proration_counts_the_activation_day_not_the_deactivation_day():
    november = bill_run.period(NOVEMBER)
    assert bill_run.charged_days(november, datetime(2026, 11, 30, 23), None) == 1
    assert bill_run.charged_days(november, datetime(2026, 11, 10), datetime(2026, 11, 10, 18)) == 0
    assert bill_run.charged_days(november, datetime(2026, 1, 1), datetime(2026, 12, 1)) == 30
    assert bill_run.prorate(Decimal("10.00"), 1, november) == Decimal("0.33")
    assert bill_run.prorate(Decimal("10.00"), 30, november) == Decimal("10.00")


def test_parallel_run_bills_the_same_as_one_thread(app, world, announced, monkeypatch):
    """Workers bill disjoint customers on their own connections (MariaDB; SQLite always runs in one thread)."""
    monkeypatch.setattr(bill_run, "PARALLEL_FROM", 2)
    summary = run(app, workers=3)
    assert (summary.customers, summary.charges, summary.invoices, summary.total) == (3, 6, 3, Decimal("438.01"))
    assert sorted(announced) == summary.issued
    for name, figures in EXPECTED_TOTALS.items():
        assert invoice_of(app, world[name])[2] == figures
    again = run(app, workers=3)
    assert (again.charges, again.invoices) == (0, 0)
