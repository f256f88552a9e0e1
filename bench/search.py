"""Global search and customer list speed on MariaDB at scale (not part of the test suite).

    .venv/bin/python bench/search.py 100000                      # quick: 100k customers, throw-away database
    .venv/bin/python bench/search.py 1000000 --reuse             # full: 1M, database kept for the next run
    .venv/bin/python bench/search.py 1000000 --reuse --seed-only # seed now (about 20-45 min), measure later
    .venv/bin/python bench/search.py 1000000 --reuse --buffer-pool 8G

Seeds a database (per customer: 1.5 contacts, 1 site, 1.5 services, 1.5 SIM cards, 0.2 tags, 0.3 attributes;
10% of customers Suspended or Closed), runs a fixed mix of 200 searches through `search_everything` and through
the spec's reference query (UNION ALL of LIKE '%term%' over the five tables) on the same data, then 200 paginated
customer-list calls with a status filter and a sort, and 200 with a tag filter and a sort; prints p50/p95/p99.
Targets at 1M customers: search p95 < 50 ms and >= 20x faster than the reference; list p95 < 30 ms.

Seeding writes multi-row INSERTs through the raw DBAPI connection from a second thread (the next batch is built
while the server stores the last one). Search_Index rows come from the app's own token functions; its primary key
and secondary indexes, like the other tables' secondary indexes, are dropped for the load and built once at the
end by sorting, which is far faster than keeping B-trees in order row by row. `--reuse` keeps the database
(`omnicrm_bench_<customers>_<seed>`) and, when it is complete, measures again without reseeding.

`--buffer-pool` raises the server's innodb_buffer_pool_size for the run (a global, dynamic setting, restored at
the end): production sizes the pool to hold the hot indexes, the 128 MB package default does not at 1M customers.
"""
import argparse
import json
import os
import queue
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OmniCRM-API"))

import pymysql  # noqa: E402
from pymysql.converters import escape_string  # noqa: E402
from sqlalchemy import text  # noqa: E402

from omnicrm import create_app, db  # noqa: E402
from omnicrm.common.listing import ListParams  # noqa: E402
from omnicrm.config import load_config  # noqa: E402
from omnicrm.customers.counts import recount  # noqa: E402
from omnicrm.customers.listing import list_customers  # noqa: E402
from omnicrm.customers.models import Contact, Customer, CustomerAttribute, CustomerTag, Site  # noqa: E402
from omnicrm.db import Base  # noqa: E402
from omnicrm.inventory.models import Inventory, InventoryTemplate  # noqa: E402
from omnicrm.services.models import Service  # noqa: E402
from omnicrm.utilities import search_index as si  # noqa: E402
from omnicrm.utilities.models import SearchIndex  # noqa: E402
from omnicrm.utilities.search import reference_search, search_everything  # noqa: E402

FIRST = ("James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret Paul "
         "Sandra Steven Ashley Andrew Kimberly Kenneth Emily Joshua Donna Kevin Michelle Brian Carol George "
         "Amanda Edward Melissa Ronald Deborah Timothy Stephanie Jason Rebecca Jeffrey Sharon Ryan Laura Jacob "
         "Cynthia Gary Kathleen Nicholas Amy Eric Angela Jonathan Shirley Stephen Anna Larry Brenda Justin Pamela "
         "Scott Emma Brandon Nicole Benjamin Helen Samuel Samantha Gregory Katherine Alexander Christine Frank "
         "Debra Patrick Rachel Raymond Carolyn Jack Janet Dennis Catherine Jerry Maria Tyler Heather").split()
SYLLABLES = ("smi th son ander ber ton field ham wood ley ford well ing win stone brook cart wright mor gan hill "
             "croft dale worth by lock ridge mar sh all ward en ca ro li ne ve ga tor rez quin ez ova eva ski "
             "chen wang li zh ao ku mar pa tel sin gh ok afor mba ye lu").split()
DOMAINS = ("example.com example.net mail.example.org corp.example.co.uk telco.example isp.example.au "
           "inbox.example.de post.example.fr").split()
COMPANY = ("Ltd", "Group", "Telecom", "Holdings", "Farms", "Logistics", "Partners", "Networks")
TAGS = ("VIP", "Overdue", "Churn risk")
LOADED = (Customer, Contact, Site, Service, Inventory, CustomerTag, CustomerAttribute, SearchIndex)
STATEMENT_BYTES = 4 << 20  # well under max_allowed_packet (16 MB by default)
CHUNK = 20_000  # customers generated per round


def surnames(rng, n=3000):
    names = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize())
    return sorted(names)


def literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value:%Y-%m-%d %H:%M:%S}'"
    return f"'{escape_string(str(value))}'"


class RawTable:
    """Formats rows of one table as multi-row INSERT statements; columns not given get their model default."""

    def __init__(self, model, fields, now):
        table = model.__table__
        self.name, self.fields = table.name, fields
        defaults = []
        for column in table.columns:
            if column.name in fields:
                continue
            default = column.default
            if default is not None and not default.is_callable and not default.is_sequence:
                defaults.append((column.name, literal(default.arg)))
            elif default is not None and default.is_callable and column.name in ("created", "last_modified"):
                defaults.append((column.name, literal(now)))
        self.suffix = "".join("," + lit for _, lit in defaults)
        columns = ", ".join(f"`{c}`" for c in (*fields, *(name for name, _ in defaults)))
        self.head = f"INSERT INTO `{self.name}` ({columns}) VALUES "
        self.rows = []

    def add(self, *values):
        self.rows.append("(" + ",".join(map(literal, values)) + self.suffix + ")")

    def add_literal(self, row):
        self.rows.append(row)

    def statements(self):
        batch, size = [], 0
        for row in self.rows:
            batch.append(row)
            size += len(row) + 1
            if size >= STATEMENT_BYTES:
                yield self.head + ",".join(batch)
                batch, size = [], 0
        if batch:
            yield self.head + ",".join(batch)
        self.rows = []


class Writer(threading.Thread):
    """Sends statements on its own DBAPI connection while the main thread builds the next batch."""

    def __init__(self, connect):
        super().__init__(daemon=True)
        self.queue, self.error, self.connect = queue.Queue(maxsize=4), None, connect

    def run(self):
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute("SET SESSION foreign_key_checks = 0, unique_checks = 0")
                while (statement := self.queue.get()) is not None:
                    if self.error is None:
                        cursor.execute(statement)
                        conn.commit()
        except Exception as exc:  # reported by the main thread
            self.error = exc
            while self.queue.get() is not None:
                pass
        finally:
            conn.close()

    def send(self, statement):
        if self.error:
            raise self.error
        self.queue.put(statement)

    def finish(self):
        self.queue.put(None)
        self.join()
        if self.error:
            raise self.error


def _index_sql(index):
    kind = "UNIQUE INDEX" if index.unique else "INDEX"
    return f"{kind} `{index.name}` ({', '.join(f'`{c.name}`' for c in index.columns)})"


def _foreign_key_columns(table):
    return {fk.parent.name for fk in table.foreign_keys}


def droppable_indexes(table):
    """Secondary indexes that can go during the load (InnoDB keeps those a foreign key needs)."""
    keep = _foreign_key_columns(table)
    indexes = [i for i in table.indexes if next(iter(i.columns)).name not in keep]
    indexes += [SimpleNamespace(name=c.name, unique=True, columns=list(c.columns)) for c in table.constraints
                if c.__class__.__name__ == "UniqueConstraint" and next(iter(c.columns)).name not in keep]
    return indexes


def drop_indexes(cursor):
    for model in LOADED:
        table = model.__table__
        parts = [f"DROP INDEX `{i.name}`" for i in droppable_indexes(table)]
        if model is SearchIndex:
            parts.insert(0, "DROP PRIMARY KEY")
        if parts:
            cursor.execute(f"ALTER TABLE `{table.name}` {', '.join(parts)}")


def add_indexes(cursor, echo):
    for model in LOADED:
        table = model.__table__
        t0 = time.perf_counter()
        parts = [f"ADD {_index_sql(i)}" for i in droppable_indexes(table)]
        if model is SearchIndex:
            parts.insert(0, f"ADD PRIMARY KEY ({', '.join(f'`{c.name}`' for c in table.primary_key.columns)})")
        if parts:
            cursor.execute(f"ALTER TABLE `{table.name}` {', '.join(parts)}")
            echo(f"  indexed {table.name:<20} ({time.perf_counter() - t0:6.0f} s)")


def seed(n, rng, connect, echo=print):
    """Writes n customers and everything hanging off them; returns the sample values the search mix draws from."""
    t0 = time.perf_counter()
    now = datetime(2025, 6, 1)
    conn = connect()
    try:
        with conn.cursor() as cursor:
            template = RawTable(InventoryTemplate, ("item",), now)
            template.add("SIM Card")
            cursor.execute(next(template.statements()))
            template_id = cursor.lastrowid
            conn.commit()
            drop_indexes(cursor)
        samples = _generate(n, rng, now, template_id, connect, echo, t0)
        with conn.cursor() as cursor:
            add_indexes(cursor, echo)
        conn.commit()
    finally:
        conn.close()
    recount(db.session)
    db.session.commit()
    db.session.execute(text("ANALYZE TABLE " + ", ".join(f"`{m.__table__.name}`" for m in LOADED)))
    return samples, time.perf_counter() - t0


class Generator:
    """Builds the rows of one customer and everything hanging off it, with the app's own token functions."""

    def __init__(self, n, rng, now, template_id):
        self.n, self.rng, self.now, self.template_id = n, rng, now, template_id
        self.last_names = surnames(rng)
        self.samples = {"surname": [], "fullname": [], "email": [], "phone": [], "iccid": [], "uuid": [],
                        "company": []}
        self.ids = {"contact": 0, "site": 0, "service": 0, "inventory": 0}
        self.used_uuids = set()
        self.tables = {
            Customer: RawTable(Customer, ("customer_id", "customer_name", "customer_status",
                                          "customer_account_type", "customer_payment_type", "customer_enabled",
                                          "created"), now),
            Contact: RawTable(Contact, ("contact_id", "customer_id", "contact_firstname", "contact_lastname",
                                        "contact_email", "contact_phone", "contact_phone_e164"), now),
            Site: RawTable(Site, ("site_id", "customer_id", "site_name", "latitude", "longitude", "plus_code"), now),
            Service: RawTable(Service, ("service_id", "customer_id", "service_name", "service_uuid",
                                        "service_status", "retail_cost", "wholesale_cost"), now),
            Inventory: RawTable(Inventory, ("inventory_id", "item", "inventory_template_id", "customer_id",
                                            "service_id", "item_state", "itemtext1", "itemtext2"), now),
            CustomerTag: RawTable(CustomerTag, ("customer_id", "tag_text", "tag_hex_color", "tag_active_date",
                                                "tag_deactivate_date"), now),
            CustomerAttribute: RawTable(CustomerAttribute, ("customer_id", "attribute_name", "attribute_value"),
                                        now),
            SearchIndex: RawTable(SearchIndex, ("token", "entity_type", "entity_id", "customer_id", "is_open"),
                                  now),
        }

    def next_id(self, kind):
        self.ids[kind] += 1
        return self.ids[kind]

    def index(self, token_set, entity_type, entity_id, customer_id, is_open):
        rows, flag = self.tables[SearchIndex], "1" if is_open else "0"
        for token in token_set:
            rows.add_literal(f"('{escape_string(token)}','{entity_type}',{entity_id},{customer_id},{flag})")

    def customer(self, cid):
        rng, tables, samples = self.rng, self.tables, self.samples
        status = rng.choices(("Open", "Closed", "Suspended"), (90, 5, 5))[0]
        is_open = status == "Open"
        business = rng.random() < 0.3
        first, last = rng.choice(FIRST), rng.choice(self.last_names)
        name = f"{last} {rng.choice(COMPANY)}" if business else f"{first} {last}"
        tables[Customer].add(cid, name, status, "Business" if business else "Individual",
                             rng.choice(("prepaid", "postpaid")), is_open, self.now - timedelta(minutes=self.n - cid))
        self.index(si.customer_tokens(SimpleNamespace(customer_name=name)), "customer", cid, cid, is_open)
        phones = [self.contact(cid, is_open, (first, last) if k == 0 else (rng.choice(FIRST), last))
                  for k in range(rng.choice((1, 1, 2, 2)))]
        site_id = self.next_id("site")
        site = SimpleNamespace(site_name=rng.choice(("Home", "Head Office", "Branch Office", "Warehouse",
                                                     f"{last} House")), plus_code="9C3XGV4C+XV")
        tables[Site].add(site_id, cid, site.site_name, 51.5, -0.12, site.plus_code)
        self.index(si.site_tokens(site), "site", site_id, cid, is_open)
        for _ in range(rng.choice((1, 1, 2, 2))):
            self.service_and_sim(cid, is_open, phones[-1])
        if rng.random() < 0.2:
            tables[CustomerTag].add(cid, rng.choice(TAGS), "FFD700", datetime(2025, 1, 1), datetime(2099, 1, 1))
        if rng.random() < 0.3:
            tables[CustomerAttribute].add(cid, "support_tier", rng.choice(("premium", "standard", "basic")))
        if rng.random() < 0.01:
            samples["surname"].append(last[:rng.choice((4, 5, 6))])
            samples["company"].append(name.split()[0])

    def contact(self, cid, is_open, names):
        rng, (first, last) = self.rng, names
        contact_id = self.next_id("contact")
        phone = f"+44 7{rng.randrange(10**8, 10**9 - 1)}"
        phone = f"{phone[:8]} {phone[8:]}"
        contact = SimpleNamespace(contact_firstname=first, contact_lastname=last, contact_phone=phone,
                                  contact_email=f"{first.lower()}.{last.lower()}{contact_id}@{rng.choice(DOMAINS)}",
                                  contact_phone_e164=phone.replace(" ", ""))
        self.tables[Contact].add(contact_id, cid, first, last, contact.contact_email, phone,
                                 contact.contact_phone_e164)
        self.index(si.contact_tokens(contact), "contact", contact_id, cid, is_open)
        if rng.random() < 0.02:
            self.samples["email"].append(contact.contact_email.split("@")[0])
            self.samples["phone"].append(phone)
            self.samples["fullname"].append(f"{first} {last}")
        return phone

    def service_and_sim(self, cid, is_open, phone):
        rng = self.rng
        service_id, inventory_id = self.next_id("service"), self.next_id("inventory")
        suuid = f"Service_{rng.getrandbits(32):08x}" if rng.random() < 0.5 else str(uuid.UUID(int=rng.getrandbits(128)))
        while suuid in self.used_uuids:  # 8 hex digits collide at this scale (spec A27): draw again
            suuid = f"Service_{rng.getrandbits(32):08x}"
        self.used_uuids.add(suuid)
        service = SimpleNamespace(service_name=f"Mobile - {phone}" if rng.random() < 0.6 else "Internet - Fibre 500",
                                  service_uuid=suuid)
        self.tables[Service].add(service_id, cid, service.service_name, suuid, "Active", 25, 10)
        self.index(si.service_tokens(service), "service", service_id, cid, is_open)
        item = SimpleNamespace(itemtext1=f"8944{rng.randrange(10**14, 10**15)}",
                               itemtext2=f"23415{rng.randrange(10**9, 10**10)}")
        self.tables[Inventory].add(inventory_id, "SIM Card", self.template_id, cid, service_id, "Assigned",
                                   item.itemtext1, item.itemtext2)
        self.index(si.inventory_tokens(item), "inventory", inventory_id, cid, is_open)
        if rng.random() < 0.02:
            self.samples["iccid"].append(item.itemtext1[-9:-1])  # a run of digits from the SIM's serial
            self.samples["uuid"].append(suuid[8:14] if suuid.startswith("Service_") else suuid[:8])


def _generate(n, rng, now, template_id, connect, echo, t0):
    generator = Generator(n, rng, now, template_id)
    writer = Writer(connect)
    writer.start()
    try:
        for start in range(1, n + 1, CHUNK):
            for cid in range(start, min(n, start + CHUNK - 1) + 1):
                generator.customer(cid)
            for table in generator.tables.values():
                for statement in table.statements():
                    writer.send(statement)
            echo(f"  generated {min(n, start + CHUNK - 1):>9,} customers  ({time.perf_counter() - t0:6.0f} s)")
    finally:
        writer.finish()
    echo(f"  rows stored                          ({time.perf_counter() - t0:6.0f} s)")
    return generator.samples


# ----------------------------------------------------------------------------------------------- measuring

def search_mix(samples, rng):
    """200 searches: what care staff type (see the module docstring of omnicrm.utilities.search)."""
    plan = (("surname", 30, lambda s: s), ("fullname", 30, lambda s: s), ("email", 25, lambda s: s),
            ("phone national", 25, lambda p: "0" + p[3:].replace(" ", "")), ("phone intl", 20, lambda p: p),
            ("iccid fragment", 25, lambda s: s), ("uuid fragment", 20, lambda s: s),
            ("company", 25, lambda s: s))
    source = {"surname": "surname", "fullname": "fullname", "email": "email", "phone national": "phone",
              "phone intl": "phone", "iccid fragment": "iccid", "uuid fragment": "uuid", "company": "company"}
    mix = []
    for kind, count, shape in plan:
        pool = samples[source[kind]]
        mix += [(kind, shape(rng.choice(pool))) for _ in range(count)]
    return mix


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    db.session.rollback()
    return (time.perf_counter() - t0) * 1000, result


def percentiles(ms):
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[94], q[98]


def report(label, ms):
    p50, p95, p99 = percentiles(ms)
    print(f"  {label:<40} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   p99 {p99:8.1f} ms", flush=True)
    return p95


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(samples, rng):
    mix = search_mix(samples, rng)
    for _, term in mix[:20]:  # warm the buffer pool like a running server
        timed(search_everything, term)
        timed(reference_search, term)
    ours, reference, misses, estimated = [], [], 0, 0
    for _kind, term in mix:
        ms, result = timed(search_everything, term)
        ours.append(ms)
        misses += result["pagination"]["total_items"] == 0
        estimated += bool(result["pagination"].get("total_is_estimate"))
        ms, _ = timed(reference_search, term)
        reference.append(ms)
    print(f"\nGlobal search, {len(mix)} searches ({misses} with no result, {estimated} with a capped count), "
          f"10 per page; load average {load_average()}:")
    p95 = report("search_everything (Search_Index)", ours)
    ref95 = report("reference UNION ALL LIKE '%term%'", reference)
    print(f"  ratio: {ref95 / p95:.0f}x faster at p95, {percentiles(reference)[0] / percentiles(ours)[0]:.0f}x "
          f"at p50")

    sorts = ("customer_name", "created", "customer_id")
    lists, tag_lists = [], []
    for sort in sorts * 3:  # warm up like the searches
        timed(list_customers, ListParams(per_page=20, sort=sort, filters={"tag": ["VIP"], "customer_status": ["Open"]}))
    for i in range(200):
        params = ListParams(page=rng.randint(1, 5), per_page=20, sort=sorts[i % 3],
                            order=rng.choice(("asc", "desc")),
                            filters={"customer_status": [rng.choice(("Open", "Open", "Suspended"))]})
        lists.append(timed(list_customers, params)[0])
    for i in range(200):
        params = ListParams(page=rng.randint(1, 5), per_page=20, sort=sorts[i % 3],
                            order=rng.choice(("asc", "desc")),
                            filters={"tag": [rng.choice(TAGS[:2])], "customer_status": ["Open"]})
        tag_lists.append(timed(list_customers, params)[0])
    print(f"\nCustomer list, 20 per page, pages 1-5, sort by name/created/id asc/desc; load average "
          f"{load_average()}:")
    report("filter customer_status (200)", lists)
    report("filter tag + customer_status Open (200)", tag_lists)
    # Last: these read gigabytes at 1M customers and push the lists' pages out of the buffer pool.
    broad = [timed(search_everything, prefix)[0] for prefix in ("jo", "ma", "sm", "ch", "wa") * 4]
    print("\nOutside the targets:")
    report("search_everything, 2-letter prefixes (20)", broad)


# ----------------------------------------------------------------------------------------------- database

def server_connect(database=None):
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password=os.environ.get("DB_PASSWORD", ""),
                           database=database, charset="utf8mb4", autocommit=False)


def prepare_database(args):
    """(url, name, reusable): a fresh database, or the kept one when --reuse finds it complete."""
    name = f"omnicrm_bench_{args.customers}_{args.seed}" if args.reuse else f"omnicrm_bench_{uuid.uuid4().hex[:8]}"
    conn = server_connect()
    with conn.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_name = 'bench_samples'", (name,))
        complete = cursor.fetchone()[0] == 1
        if not complete:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    url = f"mysql+pymysql://root:{os.environ.get('DB_PASSWORD', '')}@127.0.0.1:3306/{name}?charset=utf8mb4"
    return url, name, complete


def set_buffer_pool(size):
    """Sets innodb_buffer_pool_size (dynamic); returns the previous value to restore."""
    conn = server_connect()
    with conn.cursor() as cursor:
        cursor.execute("SELECT @@innodb_buffer_pool_size")
        previous = cursor.fetchone()[0]
        if size:
            cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {int(size)}")
            for _ in range(120):  # the resize runs in the background
                cursor.execute("SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'")
                row = cursor.fetchone()
                if not row or not row[1] or "complete" in row[1].lower() or "completed" in row[1].lower():
                    break
                time.sleep(0.5)
            cursor.execute("SELECT @@innodb_buffer_pool_size")
            print(f"NOTE: innodb_buffer_pool_size raised for this run from {previous / 2**20:,.0f} MB to "
                  f"{cursor.fetchone()[0] / 2**20:,.0f} MB (global, restored at the end; size it to the hot "
                  f"indexes in production)")
    conn.close()
    return previous


def parse_size(value):
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    return int(float(value[:-1]) * units[value[-1].upper()]) if value[-1].upper() in units else int(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", type=int, nargs="?", help="customers (default 100000)")
    parser.add_argument("--customers", type=int, help="same as the positional size")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database; measure on it without reseeding when it is already complete")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database")
    parser.add_argument("--seed-only", action="store_true", help="seed (with --reuse: keep) and stop before measuring")
    parser.add_argument("--buffer-pool", type=parse_size, help="innodb_buffer_pool_size for the run, e.g. 8G")
    parser.add_argument("--seed", type=int, default=20250601)
    args = parser.parse_args()
    args.customers = args.size or args.customers or 100_000
    rng = random.Random(args.seed)
    print(f"OmniCRM search bench: {args.customers:,} customers; {os.cpu_count()} CPUs, load average "
          f"{load_average()}; {datetime.now():%Y-%m-%d %H:%M}", flush=True)
    previous_pool = set_buffer_pool(args.buffer_pool)
    url, name, complete = prepare_database(args)
    app = create_app(load_config(environ={"JWT_SECRET": "b" * 64}), database_url=url)
    try:
        with app.app_context():
            if complete:
                raw = db.session.execute(text("SELECT samples FROM bench_samples")).scalar()
                samples = json.loads(raw)
                print(f"Reusing {name} (seeded earlier)")
            else:
                Base.metadata.create_all(db.get_engine())
                print(f"Seeding {args.customers:,} customers into {name} ...", flush=True)
                samples, seconds = seed(args.customers, rng, lambda: server_connect(name),
                                        echo=lambda line: print(line, flush=True))
                print(f"Seeded in {seconds:.0f} s", flush=True)
                db.session.execute(text("CREATE TABLE bench_samples (samples LONGTEXT)"))
                db.session.execute(text("INSERT INTO bench_samples VALUES (:s)"), {"s": json.dumps(samples)})
                db.session.commit()
            counts = {t: db.session.execute(text(f"SELECT COUNT(*) FROM `{t}`")).scalar()
                      for t in ("Customer", "Customer_Contact", "Customer_Site", "Service", "Inventory",
                                "Customer_Tag", "Search_Index")}
            print("Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            sizes = db.session.execute(text(
                "SELECT table_name, (data_length + index_length) / 1048576 FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name IN ('Customer', 'Search_Index')")).all()
            print("Size: " + ", ".join(f"{t} {mb:,.0f} MB" for t, mb in sizes), flush=True)
            if not args.seed_only:
                measure(samples, random.Random(args.seed + 1))
    finally:
        db.session.remove()
        db.get_engine().dispose()
        if not (args.reuse or args.keep):
            conn = server_connect()
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            conn.close()
        if args.buffer_pool:
            conn = server_connect()
            with conn.cursor() as cursor:
                cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {previous_pool}")
            conn.close()
            print(f"innodb_buffer_pool_size restored to {previous_pool / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
