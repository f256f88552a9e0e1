"""Home dashboard speed on MariaDB at scale (issue 16; not part of the test suite).

    .venv/bin/python bench/dashboard.py                   # 100k customers, throw-away database
    .venv/bin/python bench/dashboard.py 1000000 --keep    # 1M customers, database kept (omnicrm_dash_<n>)
    .venv/bin/python bench/dashboard.py 1000000 --reuse   # measure again on the kept database

Seeds with INSERT ... SELECT from MariaDB's sequence engine (seconds, not minutes): per customer 1.5 services
(80% Active), 12 invoices over the last year (25% unpaid, 2% voided), 0.2 provisioning jobs over the last 30 days
(10% failed), 1.5 inventory items over 20 templates; customers created over the last 3 years. Then calls the
dashboard computation (the same function GET /crm/dashboard/ runs) `--rounds` times and prints each figure's
time and the whole call's p50/p95.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "OmniCRM-API")]

import pymysql  # noqa: E402
from sqlalchemy import text  # noqa: E402

from omnicrm import create_app, db  # noqa: E402
from omnicrm.dashboard import service  # noqa: E402
from omnicrm.dashboard.models import drop_trigger_statements, recount_statements, trigger_statements  # noqa: E402
from omnicrm.db import Base, utcnow  # noqa: E402
from tests.conftest import make_config  # noqa: E402

HOST, USER = "127.0.0.1", "root"


def seed(n):
    """Fill the tables from seq_1_to_<n>; the sequence engine makes the rows inside the server. The totals triggers
    are dropped for the load and the totals rebuilt once at the end (as the migration backfills them)."""
    for sql in drop_trigger_statements():
        db.session.execute(text(sql))
    statements = [
        f"""INSERT INTO Customer (customer_name, customer_account_type, customer_status, customer_payment_type,
               customer_enabled, created)
            SELECT CONCAT('Customer ', seq), IF(seq % 5 = 0, 'Business', 'Individual'),
                   IF(seq % 10 = 0, 'Suspended', 'Open'), 'postpaid', 1,
                   UTC_TIMESTAMP() - INTERVAL (seq % 1095) DAY - INTERVAL (seq % 86400) SECOND
            FROM seq_1_to_{n}""",
        f"""INSERT INTO Service (customer_id, service_name, service_uuid, service_status, service_billed,
               service_taxable, invoiced, service_visible_to_customer, service_usage_visible_to_customer)
            SELECT (seq % {n}) + 1, CONCAT('Service ', seq), CONCAT('Mobile_', seq),
                   ELT(1 + seq % 10, 'Active', 'Active', 'Active', 'Active', 'Active', 'Active', 'Active', 'Active',
                       'Suspended', 'Inactive'), 1, 1, 0, 1, 1
            FROM seq_1_to_{n * 3 // 2}""",
        f"""INSERT INTO Invoice (customer_id, title, retail_cost, paid, void, refunded, created, due_date)
            SELECT (seq % {n}) + 1, 'Monthly', 10 + (seq % 9000) / 100, IF(seq % 4 = 0, 0, 1), IF(seq % 50 = 0, 1, 0),
                   0, UTC_TIMESTAMP() - INTERVAL (seq % 365) DAY, UTC_TIMESTAMP() - INTERVAL (seq % 365) DAY
            FROM seq_1_to_{n * 12}""",
        f"""INSERT INTO Provision (provisioning_play, provisioning_status, task_count, created)
            SELECT 'play', IF(seq % 10 = 0, 2, 0), 3, UTC_TIMESTAMP() - INTERVAL (seq % 43200) MINUTE
            FROM seq_1_to_{max(1, n // 5)}""",
        """INSERT INTO Inventory_Template (item, allow_staff_dropdown, allow_customer_dropdown)
            SELECT CONCAT('Template ', seq), 1, 0 FROM seq_1_to_20""",
        f"""INSERT INTO Inventory (item, inventory_template_id, item_state, itemtext1)
            SELECT CONCAT('Template ', 1 + seq % 20), 1 + seq % 20,
                   IF(seq % 20 = 7, 'Assigned', ELT(1 + seq % 4, 'New', 'In Stock', 'Assigned', 'In Use')),
                   CONCAT('ID', seq)
            FROM seq_1_to_{n * 3 // 2}""",
    ]
    for sql in statements:
        start = time.perf_counter()
        db.session.execute(text(sql))
        db.session.commit()
        print(f"  seeded {sql.split()[2]:<20} {time.perf_counter() - start:6.1f} s", flush=True)
    start = time.perf_counter()
    for sql in recount_statements() + trigger_statements("mysql"):
        db.session.execute(text(sql))
    db.session.commit()
    print(f"  totals rebuilt, triggers back {time.perf_counter() - start:6.1f} s", flush=True)
    db.session.execute(text("ANALYZE TABLE Customer, Service, Invoice, Provision, Inventory"))


def measure(rounds):
    now = utcnow()
    parts = {"active_services": service.active_services, "new_customers": lambda: service.new_customers(now),
             "revenue": lambda: service.revenue(now), "unpaid": service.unpaid,
             "failed_provisioning": lambda: service.failed_provisioning(now),
             "low_stock": lambda: service.low_stock(service.DEFAULT_LOW_STOCK)}
    for name, fn in parts.items():
        times = []
        for _ in range(max(3, rounds // 4)):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        print(f"  {name:<20} median {statistics.median(times):8.1f} ms")
    totals = []
    for _ in range(rounds):
        start = time.perf_counter()
        body = service.dashboard()
        totals.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
    totals.sort()
    p95 = totals[min(len(totals) - 1, int(len(totals) * 0.95))]
    print(f"  whole dashboard      p50 {statistics.median(totals):8.1f} ms   p95 {p95:8.1f} ms   ({rounds} calls)")
    print(f"  figures: active={body['active_services']['count']} new={body['new_customers']['count']} "
          f"unpaid={body['unpaid']['count']}/{body['unpaid']['amount']} revenue={body['revenue']['this_month']} "
          f"failed={body['failed_provisioning']['count']} low_stock={body['low_stock']['count']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("customers", type=int, nargs="?", default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure on the kept database without seeding")
    args = parser.parse_args()
    name = f"omnicrm_dash_{args.customers}"
    admin = pymysql.connect(host=HOST, user=USER, autocommit=True)
    with admin.cursor() as cursor:
        if not args.reuse:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
    app = create_app(make_config(), database_url=f"mysql+pymysql://{USER}@{HOST}/{name}?charset=utf8mb4")
    try:
        with app.app_context():
            if not args.reuse:
                Base.metadata.create_all(db.get_engine())
                print(f"Seeding {args.customers:,} customers into {name}")
                seed(args.customers)
            print(f"Dashboard at {args.customers:,} customers:")
            measure(args.rounds)
            db.session.remove()
            db.get_engine().dispose()
    finally:
        if not (args.keep or args.reuse):
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


if __name__ == "__main__":
    main()
