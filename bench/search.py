"""Global search and customer list speed on MariaDB at scale (not part of the test suite).

    .venv/bin/python bench/search.py 100000          # quick: 100k customers
    .venv/bin/python bench/search.py 1000000         # full: 1M customers
    .venv/bin/python bench/search.py 100000 --url mysql+pymysql://root:@127.0.0.1:3306/omnicrm_bench --keep

Seeds a fresh database (per customer: 1.5 contacts, 1 site, 1.5 services, 1.5 SIM cards, 0.2 tags, 0.3 attributes),
runs a fixed mix of 200 searches through `search_everything` and through the spec's reference query (UNION ALL of
LIKE '%term%' over the five tables) on the same data, then 200 paginated customer-list calls with a filter and a
sort, and prints p50/p95/p99. Targets at 1M customers: search p95 < 50 ms and >= 20x faster than the reference;
list p95 < 30 ms.
"""
import argparse
import os
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "OmniCRM-API"))

import pymysql  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

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


def surnames(rng, n=3000):
    names = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize())
    return sorted(names)


def create_database(url):
    if url:
        return url, None
    name = f"omnicrm_bench_{uuid.uuid4().hex[:8]}"
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password=os.environ.get("DB_PASSWORD", ""))
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    return f"mysql+pymysql://root:{os.environ.get('DB_PASSWORD', '')}@127.0.0.1:3306/{name}?charset=utf8mb4", \
        (conn, name)


def bulk(table, rows, batch=5000):
    for i in range(0, len(rows), batch):
        db.session.execute(insert(table), rows[i:i + batch])


def seed(n, rng):
    """Rows written with Core (the ORM hooks would be far slower); tokens from the same functions the app uses."""
    t0 = time.perf_counter()
    db.session.execute(text("SET SESSION foreign_key_checks = 0, unique_checks = 0"))
    last_names = surnames(rng)
    db.session.execute(insert(InventoryTemplate), [{"item": "SIM Card"}])
    template_id = db.session.execute(text("SELECT inventory_template_id FROM Inventory_Template")).scalar()
    now = datetime(2025, 6, 1)
    samples = {"surname": [], "fullname": [], "email": [], "phone": [], "iccid": [], "uuid": [], "company": []}
    contact_id = site_id = service_id = inventory_id = 0
    used_uuids = set()
    # Secondary indexes are built once after the load: far faster than maintaining them row by row.
    db.session.execute(text("ALTER TABLE Search_Index DROP INDEX ix_Search_Index_entity, "
                            "DROP INDEX ix_Search_Index_customer_id"))
    chunk = 20000
    for start in range(1, n + 1, chunk):
        customers, contacts, sites, services, items, tags, attrs, tokens = [], [], [], [], [], [], [], []
        for cid in range(start, min(n, start + chunk - 1) + 1):
            status = rng.choices(("Open", "Closed", "Suspended"), (90, 5, 5))[0]
            is_open = status == "Open"
            business = rng.random() < 0.3
            first, last = rng.choice(FIRST), rng.choice(last_names)
            name = f"{last} {rng.choice(COMPANY)}" if business else f"{first} {last}"
            customers.append({"customer_id": cid, "customer_name": name, "customer_status": status,
                              "customer_account_type": "Business" if business else "Individual",
                              "customer_payment_type": rng.choice(("prepaid", "postpaid")),
                              "customer_enabled": is_open,
                              "created": now - timedelta(minutes=n - cid), "last_modified": now})
            tokens += [(t, "customer", cid, cid, is_open) for t in si.words(name)]
            for k in range(rng.choice((1, 1, 2, 2))):
                contact_id += 1
                cf, cl = (first, last) if k == 0 else (rng.choice(FIRST), last)
                phone = f"+44 7{rng.randrange(10**8, 10**9 - 1)}"
                phone = f"{phone[:8]} {phone[8:]}"
                row = {"contact_id": contact_id, "customer_id": cid, "contact_firstname": cf, "contact_lastname": cl,
                       "contact_email": f"{cf.lower()}.{cl.lower()}{contact_id}@{rng.choice(DOMAINS)}",
                       "contact_phone": phone, "contact_phone_e164": phone.replace(" ", ""),
                       "contact_types": "Primary", "created": now, "last_modified": now}
                contacts.append(row)
                tokens += [(t, "contact", contact_id, cid, is_open)
                           for t in si.contact_tokens(SimpleNamespace(**row))]
                if rng.random() < 0.02:
                    samples["email"].append(row["contact_email"].split("@")[0])
                    samples["phone"].append(phone)
                    samples["fullname"].append(f"{cf} {cl}")
            site_id += 1
            site_name = rng.choice(("Home", "Head Office", "Branch Office", "Warehouse", f"{last} House"))
            sites.append({"site_id": site_id, "customer_id": cid, "site_name": site_name, "latitude": 51.5,
                          "longitude": -0.12, "plus_code": "9C3XGV4C+XV", "created": now, "last_modified": now})
            tokens += [(t, "site", site_id, cid, is_open)
                       for t in si.site_tokens(SimpleNamespace(site_name=site_name, plus_code="9C3XGV4C+XV"))]
            for _ in range(rng.choice((1, 1, 2, 2))):
                service_id += 1
                suuid = f"Service_{rng.getrandbits(32):08x}" if rng.random() < 0.5 \
                    else str(uuid.UUID(int=rng.getrandbits(128)))
                while suuid in used_uuids:  # 8 hex digits collide at this scale (spec A27): draw again
                    suuid = f"Service_{rng.getrandbits(32):08x}"
                used_uuids.add(suuid)
                sname = f"Mobile - {contacts[-1]['contact_phone']}" if rng.random() < 0.6 else "Internet - Fibre 500"
                row = {"service_id": service_id, "customer_id": cid, "service_name": sname, "service_uuid": suuid,
                       "service_status": "Active", "retail_cost": 25, "wholesale_cost": 10, "created": now,
                       "last_modified": now}
                services.append(row)
                tokens += [(t, "service", service_id, cid, is_open)
                           for t in si.service_tokens(SimpleNamespace(**row))]
                inventory_id += 1
                iccid = f"8944{rng.randrange(10**14, 10**15)}"
                imsi = f"23415{rng.randrange(10**9, 10**10)}"
                items.append({"inventory_id": inventory_id, "item": "SIM Card", "inventory_template_id": template_id,
                              "customer_id": cid, "service_id": service_id, "item_state": "Assigned",
                              "itemtext1": iccid, "itemtext2": imsi, "created": now, "last_modified": now})
                tokens += [(t, "inventory", inventory_id, cid, is_open)
                           for t in si.inventory_tokens(SimpleNamespace(itemtext1=iccid, itemtext2=imsi))]
                if rng.random() < 0.02:
                    samples["iccid"].append(iccid[-9:-1])  # a run of digits from the SIM's printed serial
                    samples["uuid"].append(suuid[8:14] if suuid.startswith("Service_") else suuid[:8])
            if rng.random() < 0.2:
                tags.append({"customer_id": cid, "tag_text": rng.choice(("VIP", "Overdue", "Churn risk")),
                             "tag_hex_color": "FFD700", "tag_active_date": datetime(2025, 1, 1),
                             "tag_deactivate_date": datetime(2099, 1, 1), "created": now, "last_modified": now})
            if rng.random() < 0.3:
                attrs.append({"customer_id": cid, "attribute_name": "support_tier",
                              "attribute_value": rng.choice(("premium", "standard", "basic")), "created": now,
                              "last_modified": now})
            if rng.random() < 0.01:
                samples["surname"].append(last[:rng.choice((4, 5, 6))])
                samples["company"].append(name.split()[0])
        bulk(Customer, customers)
        bulk(Contact, contacts)
        bulk(Site, sites)
        bulk(Service, services)
        bulk(Inventory, items)
        bulk(CustomerTag, tags)
        bulk(CustomerAttribute, attrs)
        bulk(SearchIndex, [{"token": t, "entity_type": e, "entity_id": i, "customer_id": c, "is_open": o}
                           for t, e, i, c, o in sorted(tokens)], batch=10000)
        db.session.commit()
        print(f"  seeded {min(n, start + chunk - 1):>9,} customers  ({time.perf_counter() - t0:6.0f} s)",
              flush=True)
    db.session.execute(text("ALTER TABLE Search_Index ADD INDEX ix_Search_Index_entity (entity_type, entity_id), "
                            "ADD INDEX ix_Search_Index_customer_id (customer_id)"))
    recount(db.session)
    db.session.commit()
    db.session.execute(text("ANALYZE TABLE Search_Index, Customer, Customer_Contact, Customer_Site, Service, "
                            "Inventory, Customer_Tag, Customer_Attribute"))
    counts = {t: db.session.execute(text(f"SELECT COUNT(*) FROM `{t}`")).scalar()
              for t in ("Customer", "Customer_Contact", "Customer_Site", "Service", "Inventory", "Search_Index")}
    return samples, counts, time.perf_counter() - t0


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
    print(f"  {label:<34} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   p99 {p99:8.1f} ms")
    return p95


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("customers", type=int, nargs="?", default=100_000)
    parser.add_argument("--url", help="an existing empty MariaDB database (default: create a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--seed", type=int, default=20250601)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    url, temporary = create_database(args.url)
    app = create_app(load_config(environ={"JWT_SECRET": "b" * 64}), database_url=url)
    try:
        with app.app_context():
            Base.metadata.create_all(db.get_engine())
            print(f"Seeding {args.customers:,} customers into {url.rsplit('/', 1)[-1]} ...")
            samples, counts, seconds = seed(args.customers, rng)
            print(f"Seeded in {seconds:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            mix = search_mix(samples, rng)
            for _, term in mix[:20]:  # warm the buffer pool like a running server
                timed(search_everything, term)
            ours, reference, misses = [], [], 0
            for kind, term in mix:
                ms, result = timed(search_everything, term)
                ours.append(ms)
                misses += result["pagination"]["total_items"] == 0
                ms, _ = timed(reference_search, term)
                reference.append(ms)
            print(f"\nGlobal search, {len(mix)} searches ({misses} with no result), 10 per page:")
            p95 = report("search_everything (Search_Index)", ours)
            ref95 = report("reference UNION ALL LIKE '%term%'", reference)
            print(f"  ratio at p95: {ref95 / p95:.0f}x faster; at p50: "
                  f"{percentiles(reference)[0] / percentiles(ours)[0]:.0f}x faster")
            lists = []
            sorts = ("customer_name", "created", "customer_id")
            for i in range(200):
                params = ListParams(page=rng.randint(1, 5), per_page=20, sort=sorts[i % 3],
                                    order=rng.choice(("asc", "desc")),
                                    filters={"customer_status": [rng.choice(("Open", "Open", "Suspended"))]})
                ms, result = timed(list_customers, params)
                lists.append(ms)
            print("\nCustomer list, 200 calls: filter customer_status, sort by name/created/id, pages 1-5:")
            report("GET /customers", lists)
            tag_lists = []
            for i in range(50):
                params = ListParams(page=1, per_page=20, sort="customer_name",
                                    filters={"tag": [rng.choice(("VIP", "Overdue"))],
                                             "customer_status": ["Open"]})
                tag_lists.append(timed(list_customers, params)[0])
            report("GET /customers tag filter (50)", tag_lists)
    finally:
        db.session.remove()
        db.get_engine().dispose()
        if temporary and not args.keep:
            conn, name = temporary
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            conn.close()


if __name__ == "__main__":
    main()
