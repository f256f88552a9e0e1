"""Invoice PDFs and the bill run at scale, on MariaDB (not run by `make test`).

    .venv/bin/python bench/invoice.py                       # all three parts, throw-away database
    .venv/bin/python bench/invoice.py --customers 2000      # a smaller bill run

Prints:
  (a) first render of an invoice PDF (`invoice_pdf`, cache miss: context, hash, Jinja2, WeasyPrint, cache row)
      against a bare WeasyPrint render of the same HTML in the same process, medians over --rounds, and the ratio
      (target <= 1.3x). WeasyPrint is warmed up first, so neither side pays the import and font loading;
  (b) the cached download `GET /crm/invoice/<id>/pdf` over real HTTP (a threaded werkzeug server on a free port),
      p50/p95/p99 over --downloads requests (target p95 < 20 ms);
  (c) `bill_run.run` for --customers customers with 2 services each (one in ten activated mid-month, one in twenty
      deactivated mid-month, a setup cost on the new ones), no PDFs, no e-mail (target < 60 s), then the same month
      again (idempotent: nothing to do).

MariaDB at OMNICRM_TEST_MARIADB (default root@127.0.0.1:3306); the database `omnicrm_bench_invoice_<hex>` is
dropped at the end unless --keep.
"""
import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "OmniCRM-API")]

import requests  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from omnicrm import create_app, db  # noqa: E402
from omnicrm.auth.permissions import sync_catalogue  # noqa: E402
from omnicrm.billing import bill_run, invoice_pdf, invoices  # noqa: E402
from omnicrm.billing.models import Invoice, Transaction  # noqa: E402
from omnicrm.billing.service import line_tax  # noqa: E402
from omnicrm.customers.counts import recount  # noqa: E402
from omnicrm.customers.models import Customer  # noqa: E402
from omnicrm.db import Base  # noqa: E402
from omnicrm.products.models import Product  # noqa: E402
from omnicrm.seed import ensure_admin  # noqa: E402
from omnicrm.services.models import Service  # noqa: E402
from tests.conftest import _mariadb_database, make_config  # noqa: E402

PERIOD = "2026-11"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def invoice_with_lines(lines=12):
    """A customer with `lines` taxed transactions in November and their invoice (committed)."""
    customer = Customer(customer_name=f"PDF bench {uuid.uuid4().hex[:6]}")
    db.session.add(customer)
    db.session.flush()
    for n in range(lines):
        cost = Decimal("9.99") + n
        db.session.add(Transaction(customer_id=customer.customer_id, title=f"Line {n + 1}", retail_cost=cost,
                                   tax_percentage=Decimal("10"), tax_amount=line_tax(cost, Decimal("10")),
                                   created=datetime(2026, 11, 1 + n)))
    db.session.flush()
    invoice = invoices.generate({"customer_id": customer.customer_id, "start_date": "2026-11-01",
                                 "end_date": "2026-11-30", "due_date": "2026-12-14"})
    db.session.commit()
    return invoice.invoice_id


def bench_render(app, rounds):
    from weasyprint import HTML
    with app.app_context():
        HTML(string="<p>warm-up</p>").write_pdf()  # import, fonts, pango: paid once per process by both sides
        invoice_id = invoice_with_lines()
        first, bare = [], []
        invoice = db.session.get(Invoice, invoice_id)
        html = invoice_pdf._render_html(invoice_pdf._environment(), invoice_pdf._settings()["template_filename"],
                                        invoice_pdf.context(invoice))

        def render_first():
            invoice_pdf.invalidate_invoice_cache(invoice_id)
            db.session.commit()
            t0 = time.perf_counter()
            _, pdf = invoice_pdf.invoice_pdf(db.session.get(Invoice, invoice_id))
            db.session.commit()
            first.append(time.perf_counter() - t0)
            assert pdf[:5] == b"%PDF-"

        def render_bare():
            t0 = time.perf_counter()
            pdf = HTML(string=html, base_url=str(invoice_pdf.template_dir()) + "/").write_pdf()
            bare.append(time.perf_counter() - t0)
            assert pdf[:5] == b"%PDF-"
        for n in range(rounds):  # alternate which goes first, so neither gets the warmer caches every time
            for step in ((render_first, render_bare) if n % 2 == 0 else (render_bare, render_first)):
                step()
    first_m, bare_m = statistics.median(first), statistics.median(bare)
    print(f"(a) first render (invoice_pdf, cache miss) median {ms(first_m)}; bare WeasyPrint of the same HTML "
          f"median {ms(bare_m)}; ratio {first_m / bare_m:.2f}x (target <= 1.3x)")
    return invoice_id


def bench_download(app, invoice_id, downloads):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with requests.Session() as http:
            token = http.post(f"{url}/crm/auth/login", json={"email": "admin@example.com",
                                                              "password": "Admin123!"}).json()["token"]
            http.headers["Authorization"] = f"Bearer {token}"
            first = http.get(f"{url}/crm/invoice/{invoice_id}/pdf")
            assert first.status_code == 200 and first.content[:5] == b"%PDF-", first.status_code
            renders = invoice_pdf.render_count
            times = []
            for _ in range(downloads):
                t0 = time.perf_counter()
                response = http.get(f"{url}/crm/invoice/{invoice_id}/pdf")
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200 and response.content == first.content
            assert invoice_pdf.render_count == renders, "a cached download rendered again"
    finally:
        server.shutdown()
        thread.join(timeout=5)
    print(f"(b) cached download over HTTP ({len(first.content)} bytes, {downloads} requests): "
          f"p50 {ms(percentile(times, 50))}, p95 {ms(percentile(times, 95))}, p99 {ms(percentile(times, 99))} "
          f"(target p95 < 20 ms)")


def seed_bill_run(app, customers):
    """`customers` postpaid customers with two billed services each, written with multi-row INSERTs."""
    period = bill_run.period(PERIOD)
    with app.app_context():
        fibre = Product(product_name="Bench Fibre", product_slug="bench-fibre", category="standalone",
                        retail_cost=Decimal("59.90"), tax_percentage=Decimal("10"),
                        retail_setup_cost=Decimal("49.00"), wholesale_setup_cost=Decimal("20.00"))
        voice = Product(product_name="Bench Voice", product_slug="bench-voice", category="standalone",
                        retail_cost=Decimal("15.00"), tax_percentage=Decimal("7.5"))
        db.session.add_all([fibre, voice])
        db.session.commit()
        first_id = (db.session.scalar(select(func.max(Customer.customer_id))) or 0) + 1
        t0 = time.perf_counter()
        batch = 2000
        for start in range(0, customers, batch):
            ids = range(first_id + start, first_id + min(customers, start + batch))
            db.session.execute(insert(Customer), [
                {"customer_id": i, "customer_name": f"Bill run customer {i}", "customer_status": "Open",
                 "customer_account_type": "Individual", "customer_payment_type": "postpaid",
                 "customer_enabled": True, "created": datetime(2026, 1, 1), "last_modified": datetime(2026, 1, 1)}
                for i in ids])
            services = []
            for i in ids:
                new = i % 10 == 0
                services.append({"customer_id": i, "product_id": fibre.product_id, "service_name": f"fibre-{i}",
                                 "service_uuid": f"fibre-{i}", "service_status": "Active",
                                 "retail_cost": Decimal("59.90"), "wholesale_cost": Decimal("30.00"),
                                 "service_billed": True, "service_taxable": True,
                                 "service_active_date": period.start + timedelta(days=14, hours=9) if new
                                 else datetime(2026, 1, 1)})
                ended = i % 20 == 0
                services.append({"customer_id": i, "product_id": voice.product_id, "service_name": f"voice-{i}",
                                 "service_uuid": f"voice-{i}", "retail_cost": Decimal("15.00"),
                                 "service_status": "Deactivated" if ended else "Active",
                                 "wholesale_cost": Decimal("5.00"), "service_billed": True,
                                 "service_taxable": i % 3 != 0, "service_active_date": datetime(2026, 1, 1),
                                 "service_deactivate_date": period.start + timedelta(days=20) if ended else None})
            db.session.execute(insert(Service), services)
            db.session.commit()
        recount(db.session)
        db.session.commit()
        print(f"    seeded {customers} customers / {2 * customers} services in {time.perf_counter() - t0:.1f} s")


def bench_bill_run(app, customers):
    seed_bill_run(app, customers)
    load_before = f"{os.getloadavg()[0]:.1f}"
    with app.app_context():
        t0, cpu0 = time.perf_counter(), time.process_time()
        summary = bill_run.run(PERIOD, send_email=False)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        assert not summary.failed and summary.invoices == customers, summary.line()
        t0 = time.perf_counter()
        again = bill_run.run(PERIOD, send_email=False)
        rerun = time.perf_counter() - t0
        assert (again.charges, again.invoices) == (0, 0), again.line()
        rows = db.session.scalar(select(func.count()).select_from(Transaction).where(
            Transaction.charge_key.isnot(None)))
    print(f"(c) bill run {PERIOD} for {customers} customers x 2 services on MariaDB (no PDF, no e-mail): "
          f"{elapsed:.1f} s ({elapsed / customers * 1000:.2f} ms per customer; target < 60 s); this process's CPU "
          f"{cpu:.1f} s; load average before/after {load_before} / {os.getloadavg()[0]:.1f}")
    print(f"    {summary.line()}; {rows} charge rows")
    print(f"    the same month again: {rerun:.1f} s, {again.charges} charges, {again.invoices} invoices")


def quiet_server_log():
    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)


def main():
    quiet_server_log()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--downloads", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--skip", choices=("render", "download", "bill-run"), action="append", default=[])
    args = parser.parse_args()
    name = f"omnicrm_bench_invoice_{uuid.uuid4().hex[:8]}"
    conn, url = _mariadb_database(name)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        app = create_app(make_config(), database_url=url)
        Base.metadata.create_all(db.get_engine())
        with app.app_context():
            sync_catalogue(db.session)
            ensure_admin("admin@example.com", "Admin123!")
            db.session.commit()
        invoice_id = None
        if "render" not in args.skip:
            invoice_id = bench_render(app, args.rounds)
        if "download" not in args.skip:
            if invoice_id is None:
                with app.app_context():
                    invoice_id = invoice_with_lines()
            bench_download(app, invoice_id, args.downloads)
        if "bill-run" not in args.skip:
            bench_bill_run(app, args.customers)
    finally:
        db.session.remove()
        db.get_engine().dispose()
        if not args.keep:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


if __name__ == "__main__":
    main()
