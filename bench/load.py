"""Load benchmark: the staff console's requests against two API instances and two RQ workers (not run by `make test`).

    .venv/bin/python bench/load.py                               # about 5-8 minutes with the defaults
    .venv/bin/python bench/load.py --users 5 --duration 5 --customers 300 --warmup 2   # a smoke run

Sets up, all of it this run's own and removed at the end (also on Ctrl-C or an error):
  * a MariaDB database `omnicrm_bench_<random>` (schema from the models, permission catalogue, admin, staff users),
    seeded with --customers customers (contacts, sites, transactions, invoices), the demo catalogue plus a mobile SIM
    product whose play (bench/plays/bench_mobile_sim.yaml) is the reference SIM flow without the e-mail, free SIMs
    and numbers, and mobile services whose accounts exist in the CGRateS simulator with balances;
  * a Redis key namespace and an RQ queue; a CGRateS simulator (tools/dev/cgrates_sim) on a free port;
  * two gunicorn API instances (separate ports, same database and Redis) and two `omnicrm worker` processes.

Then:
  1. Concurrent-integrity checks (these fail the run, exit status 1): one free SIM ordered by 20 users at once is
     assigned exactly once (the others refused at order time or their jobs failed and rolled back; never a 5xx);
     20 concurrent top-ups of one account add up exactly in the simulator and in the transactions.
  2. Locust (headless, as a library) at each --users level: staff users spread over both instances, each with a
     think time of --wait-min..--wait-max seconds, run the console's mix: customer list pages, customer detail,
     global search, service list, service detail (live balances from the OCS), invoice list, orders
     (PUT /crm/provision/) and monetary top-ups. Per level: throughput, p50/p95/p99 per endpoint (named by route
     template), errors, and whether reads (GET) at 50 users meet p95 < 200 ms (printed, never asserted: figures on
     a shared machine are only indicative).

MariaDB from OMNICRM_TEST_MARIADB (default root@127.0.0.1:3306), Redis from OMNICRM_TEST_REDIS
(default redis://127.0.0.1:6379/0). Logs of the servers and workers go to a temporary directory (printed).
"""
import locust  # noqa: F401, I001 - first: gevent's monkey patching must precede every other import

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402
import requests  # noqa: E402
from locust import FastHttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "OmniCRM-API"), str(REPO / "bench")]

from provision_bulk import clean_redis  # noqa: E402
from search import COMPANY, DOMAINS, FIRST, surnames  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from omnicrm import create_app, db  # noqa: E402
from omnicrm.auth.models import Role, User  # noqa: E402
from omnicrm.auth.passwords import hash_password  # noqa: E402
from omnicrm.auth.permissions import sync_catalogue  # noqa: E402
from omnicrm.billing.models import Invoice, Transaction  # noqa: E402
from omnicrm.customers.counts import recount  # noqa: E402
from omnicrm.customers.models import Contact, Customer, Site  # noqa: E402
from omnicrm.db import Base, utcnow  # noqa: E402
from omnicrm.inventory import secrets as inventory_secrets  # noqa: E402
from omnicrm.inventory import seed as inventory_seed  # noqa: E402
from omnicrm.inventory.models import FREE_STATES, Inventory  # noqa: E402
from omnicrm.inventory.service import template_by_name  # noqa: E402
from omnicrm.products import seed as product_seed  # noqa: E402
from omnicrm.products import service as products  # noqa: E402
from omnicrm.provisioning.models import Provision  # noqa: E402
from omnicrm.seed import ensure_admin  # noqa: E402
from omnicrm.services.models import Service  # noqa: E402
from omnicrm.utilities import search_index  # noqa: E402
from tests.conftest import _mariadb_database, test_environ  # noqa: E402

REDIS_URL = os.environ.get("OMNICRM_TEST_REDIS", "redis://127.0.0.1:6379/0")
PLAYS = REPO / "bench" / "plays"
PLAY = "bench_mobile_sim"
TENANT = "cgrates.org"
STAFF_PASSWORD = "Bench-Staff-1!"
STAFF_ROLES = ("Support", "Finance", "Sales")
READ_TARGET_MS = 200
RACE_USERS = 20
JOB_RUNNING = 1


# ------------------------------------------------------------------------------------------------ processes

class Processes:
    """Child processes, each in its own session (so Ctrl-C reaches only us); stopped as whole process groups."""

    def __init__(self, logdir):
        self.logdir, self.children = logdir, []

    def start(self, name, argv, env, stdout=None):
        log = open(os.path.join(self.logdir, f"{name}.log"), "w")  # noqa: SIM115 - closed in stop_all
        process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=stdout or log, stderr=log,
                                   start_new_session=True)
        self.children.append((name, process, log))
        return process

    def check_alive(self):
        for name, process, _ in self.children:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode}; see {self.logdir}/{name}.log")

    def stop_all(self):
        """SIGTERM every group, then SIGKILL what is left after 10 s; newest first (workers before the APIs)."""
        for _, process, _ in reversed(self.children):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, process, log in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(10)
            _signal_group(process, signal.SIGKILL)  # grandchildren (ansible) left in the group
            log.close()
        self.children = []


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_simulator(procs):
    """The CGRateS simulator on a free port; returns "host:port" once it listens."""
    process = procs.start("cgrates_sim", [sys.executable, "-m", "tools.dev.cgrates_sim", "--host", "127.0.0.1",
                                          "--port", "0"], {**os.environ, "PYTHONPATH": str(REPO)},
                          stdout=subprocess.PIPE)
    line = process.stdout.readline().decode()
    if "listening on http://" not in line:
        raise RuntimeError(f"CGRateS simulator did not start: {line!r}")
    return line.split("http://")[1].split("/")[0]


def wait_http(url, procs, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        gevent.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


class Sim:
    """JSON-RPC to the simulator."""

    def __init__(self, endpoint):
        self.url, self.http = f"http://{endpoint}/jsonrpc", requests.Session()

    def ok(self, method, params, http=None):
        reply = (http or self.http).post(self.url, json={"method": method, "params": [params], "id": 1},
                                         timeout=30).json()
        if reply.get("error") is not None:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def monetary(self, account):
        balances = self.ok("ApierV2.GetAccount", {"Tenant": TENANT, "Account": account})["BalanceMap"]
        return sum(Decimal(str(b["Value"])) for b in balances.get("*monetary") or []).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------------------ seeding

def seed(app, sim, args, rng):
    """The bench's data; returns what the load users pick from."""
    now = utcnow()
    with app.app_context():
        Base.metadata.create_all(db.get_engine())
        sync_catalogue(db.session)
        ensure_admin("admin@example.com", "Admin123!", username="admin")
        roles = list(db.session.scalars(select(Role).where(Role.name.in_(STAFF_ROLES))))
        staff = [User(username=f"staff{n}", email=f"staff{n}@bench.example", password=hash_password(STAFF_PASSWORD),
                      first_name="Staff", last_name=str(n), email_verified=True, roles=roles)
                 for n in range(args.staff)]
        db.session.add_all(staff)
        inventory_seed.seed_demo()
        product_seed.seed_demo()
        product = products.create_product({
            "product_slug": "bench-mobile-sim", "product_name": "Bench Mobile SIM", "category": "standalone",
            "service_type": "mobile", "provisioning_play": PLAY,
            "inventory_items_list": '["SIM Card", "Mobile Number"]',
            "retail_cost": "10.00", "wholesale_cost": "3.00", "retail_setup_cost": "0.00",
            "wholesale_setup_cost": "0.00", "contract_days": 30, "residential": True, "business": True,
            "enabled": True, "icon": "fa-solid fa-sim-card", "comment": "Load benchmark mobile SIM"})
        db.session.commit()
        product_id = product.product_id
        sim_template, number_template = template_by_name("SIM Card"), template_by_name("Mobile Number")

        names = surnames(rng, 800)
        customers, contacts, sites, services, items, transactions, invoices = [], [], [], [], [], [], []
        terms = set()
        for n in range(1, args.customers + 1):
            first, last = rng.choice(FIRST), rng.choice(names)
            business = rng.random() < 0.2
            name = f"{last} {rng.choice(COMPANY)}" if business else f"{first} {last}"
            status = "Open" if rng.random() < 0.9 else rng.choice(("Suspended", "Closed"))
            customers.append({"customer_id": n, "customer_name": name, "customer_status": status,
                              "customer_account_type": "Business" if business else "Individual",
                              "customer_payment_type": rng.choice(("prepaid", "postpaid"))})
            sites.append({"customer_id": n, "site_name": "Home" if not business else "Head office",
                          "address_line_1": f"{rng.randint(1, 300)} {rng.choice(names)} Street",
                          "city": rng.choice(("Sydney", "London", "Leeds", "Perth")), "country": "Australia"})
            for k in range(rng.choice((1, 1, 2))):
                cfirst = first if k == 0 else rng.choice(FIRST)
                phone = f"0491 57{n % 10} {rng.randint(100, 999)}"
                contacts.append({"customer_id": n, "contact_firstname": cfirst, "contact_lastname": last,
                                 "contact_email": f"{cfirst.lower()}.{last.lower()}{n}@{rng.choice(DOMAINS)}",
                                 "contact_phone": phone, "contact_phone_e164": search_index.e164(phone, "AU"),
                                 "contact_types": "Primary" if k == 0 else "Billing"})
            if status == "Open" and rng.random() < 0.7:
                sid = len(services) + 1
                services.append({"service_id": sid, "customer_id": n, "product_id": product_id,
                                 "service_name": f"Mobile - +6149{sid:07d}", "service_type": "mobile",
                                 "service_uuid": f"Seed_{sid:08d}", "service_status": "Active",
                                 "service_provisioned_date": now - timedelta(days=rng.randint(1, 700)),
                                 "retail_cost": Decimal("10.00"), "wholesale_cost": Decimal("3.00"),
                                 "icon": "fa-solid fa-sim-card"})
                items.append(_sim_item(sim_template, 100000 + sid, n, sid))
                items.append(_number_item(number_template, sid, n, sid))
                for month in range(rng.randint(1, 4)):
                    transactions.append({"customer_id": n, "service_id": sid, "title": f"Monthly {month + 1}",
                                         "retail_cost": Decimal("10.00"), "wholesale_cost": Decimal("3.00"),
                                         "created": now - timedelta(days=30 * month)})
                if rng.random() < 0.6:
                    invoices.append({"customer_id": n, "title": f"Invoice {n}-1", "retail_cost": Decimal("10.00"),
                                     "start_date": now - timedelta(days=60), "end_date": now - timedelta(days=30),
                                     "due_date": now - timedelta(days=16), "paid": rng.random() < 0.8})
            if n % 7 == 0:
                terms.update((last[:4].lower(), first.lower(), f"{last.lower()}{n}"))
        free = args.free_stock
        for k in range(1, free + 1):
            items.append(_sim_item(sim_template, 500000 + k, None, None))
            items.append(_number_item(number_template, 500000 + k, None, None))
        for model, rows in ((Customer, customers), (Site, sites), (Contact, contacts), (Service, services),
                            (Inventory, items), (Transaction, transactions), (Invoice, invoices)):
            for start in range(0, len(rows), 2000):
                db.session.execute(insert(model), rows[start:start + 2000])
        db.session.commit()
        recount(db.session)
        db.session.commit()
        search_index.rebuild()
        free_sims = list(db.session.scalars(select(Inventory.inventory_id).where(
            Inventory.inventory_template_id == sim_template.inventory_template_id, Inventory.customer_id.is_(None),
            Inventory.item_state.in_(FREE_STATES)).order_by(Inventory.inventory_id)))
        free_numbers = list(db.session.scalars(select(Inventory.inventory_id).where(
            Inventory.inventory_template_id == number_template.inventory_template_id,
            Inventory.customer_id.is_(None), Inventory.item_state.in_(FREE_STATES)).order_by(Inventory.inventory_id)))
        db.session.remove()

    pool = gevent.pool.Pool(16)
    sessions = itertools.cycle([requests.Session() for _ in range(16)])

    def account(row):
        http = next(sessions)
        uuid_ = row["service_uuid"]
        sim.ok("ApierV2.SetAccount", {"Tenant": TENANT, "Account": uuid_}, http)
        for balance_type, balance_id, value in (("*monetary", "PREPAID_CREDIT", rng.randint(0, 50)),
                                                ("*data", "DATA_20GB_Monthly", 21474836480 * rng.random())):
            sim.ok("ApierV1.AddBalance", {"Tenant": TENANT, "Account": uuid_, "BalanceType": balance_type,
                                          "Balance": {"ID": balance_id, "Value": value, "ExpiryTime": "+720h",
                                                      "Weight": 10}}, http)

    for _ in pool.imap_unordered(account, services):
        pass
    return {"customer_ids": [c["customer_id"] for c in customers],
            "open_individuals": [c["customer_id"] for c in customers if c["customer_status"] == "Open"],
            "services": [(s["service_id"], s["service_uuid"]) for s in services],
            "terms": sorted(terms), "product_id": product_id,
            "free_pairs": list(zip(free_sims, free_numbers, strict=False)),
            "customer_pages": max(1, args.customers // 20), "service_pages": max(1, len(services) // 20),
            "invoice_pages": max(1, len(invoices) // 20),
            "staff": [f"staff{n}@bench.example" for n in range(args.staff)]}


def _sim_item(template, n, customer_id, service_id):
    return {"inventory_template_id": template.inventory_template_id, "item": "SIM Card",
            "customer_id": customer_id, "service_id": service_id,
            "item_state": "Assigned" if customer_id else "In Stock", "item_location": "Warehouse A",
            "itemtext1": f"8961{n:015d}", "itemtext2": f"00101{n:010d}",
            "itemtext3": inventory_secrets.encrypt(uuid.uuid4().hex.upper()),
            "itemtext4": inventory_secrets.encrypt(uuid.uuid4().hex.upper()), "itemtext5": "Physical",
            "wholesale_cost": template.wholesale_cost, "retail_cost": template.retail_cost}


def _number_item(template, n, customer_id, service_id):
    return {"inventory_template_id": template.inventory_template_id, "item": "Mobile Number",
            "customer_id": customer_id, "service_id": service_id,
            "item_state": "Assigned" if customer_id else "In Stock", "item_location": "Australia - NSW",
            "itemtext1": f"+6149{n:07d}", "itemtext2": "Sydney", "itemtext3": "Mobile",
            "wholesale_cost": template.wholesale_cost, "retail_cost": template.retail_cost}


def login(base_url, email, password):
    response = requests.post(f"{base_url}/crm/auth/login", json={"email": email, "password": password}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"login of {email} on {base_url}: {response.status_code} {response.text[:200]}")
    return response.json()["token"]


# ------------------------------------------------------------------------------------------------ integrity

def released_together(calls):
    """Run the zero-argument callables at the same moment (greenlets held at one gate); returns their results."""
    gate = gevent.event.Event()

    def held(call):
        gate.wait()
        return call()

    greenlets = [gevent.spawn(held, call) for call in calls]
    gevent.sleep(0.2)
    gate.set()
    gevent.joinall(greenlets)
    return [g.get() for g in greenlets]


def wait_for_jobs(app, provision_ids, timeout):
    """{provision_id: status} once none is running (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            rows = dict(db.session.execute(select(Provision.provision_id, Provision.provisioning_status)
                                           .where(Provision.provision_id.in_(provision_ids))).all())
            db.session.remove()
        if all(status != JOB_RUNNING for status in rows.values()) or time.monotonic() > deadline:
            return rows
        gevent.sleep(0.5)


def bench_accounts(sim):
    """OCS accounts created by the bench play (service_uuid prefix "Bench_")."""
    accounts = sim.ok("ApierV2.GetAccounts", {"Tenant": TENANT}) or []
    return sum(1 for account in accounts if account["ID"].split(":", 1)[-1].startswith("Bench_"))


def check_sim_race(app, urls, tokens, data, sim, timeout):
    """One free SIM ordered by RACE_USERS users at once: assigned exactly once, never a 5xx."""
    failures = []
    sim_id, _ = data["free_pairs"].pop()
    numbers = [data["free_pairs"].pop()[1] for _ in range(RACE_USERS)]
    customers = random.sample(data["open_individuals"], RACE_USERS)

    def order(i):
        body = {"product_id": data["product_id"], "customer_id": customers[i], "SIM Card": sim_id,
                "Mobile Number": numbers[i]}
        response = requests.put(f"{urls[i % 2]}/crm/provision/", json=body, timeout=120,
                                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"})
        return response.status_code, response.json() if response.content else {}

    accounts_before = bench_accounts(sim)
    t0 = time.monotonic()
    results = released_together([lambda i=i: order(i) for i in range(RACE_USERS)])
    server_errors = [r for r in results if r[0] >= 500]
    accepted = [body["provision_id"] for status, body in results if status == 200]
    refused = [(status, body.get("errors") or body.get("message")) for status, body in results
               if 400 <= status < 500]
    if server_errors:
        failures.append(f"SIM race: {len(server_errors)} order(s) answered 5xx: {server_errors[:3]}")
    if len(accepted) + len(refused) + len(server_errors) != RACE_USERS:
        failures.append(f"SIM race: unexpected answers {[r[0] for r in results]}")
    statuses = wait_for_jobs(app, accepted, timeout)
    elapsed = time.monotonic() - t0
    succeeded = [pid for pid, status in statuses.items() if status == 0]
    running = [pid for pid, status in statuses.items() if status == JOB_RUNNING]
    with app.app_context():
        card = db.session.get(Inventory, sim_id)
        holders = db.session.scalars(select(Service).where(Service.service_notes == f"ICCID {card.itemtext1}")).all()
        numbers_taken = db.session.scalar(select(func.count()).select_from(Inventory).where(
            Inventory.inventory_id.in_(numbers), Inventory.customer_id.is_not(None)))
        reasons, samples = {}, {}
        for job in db.session.scalars(select(Provision).where(Provision.provision_id.in_(accepted),
                                                              Provision.provisioning_status == 2)):
            failed = [e for e in job.events if e.provisioning_status == 2]
            key = failed[0].event_name if failed else "?"
            if key not in reasons and failed:
                samples[key] = _result_summary(failed[0].provisioning_result_json)
            reasons[key] = reasons.get(key, 0) + 1
        sim_state = (card.item_state, card.customer_id, card.service_id)
        db.session.remove()
    accounts = bench_accounts(sim) - accounts_before
    if running:
        failures.append(f"SIM race: {len(running)} job(s) still running after {timeout}s")
    if accounts != len(succeeded):
        failures.append(f"SIM race: {accounts} OCS accounts left by the race's jobs (expected {len(succeeded)}: the "
                        "failed jobs roll theirs back)")
    if len(succeeded) != 1:
        failures.append(f"SIM race: {len(succeeded)} jobs succeeded (expected exactly 1)")
    if len(holders) != 1 or sim_state[2] != holders[0].service_id or sim_state[0] != "Assigned":
        failures.append(f"SIM race: SIM {sim_id} state {sim_state}, services holding it "
                        f"{[h.service_id for h in holders]} (expected one, the SIM's)")
    if numbers_taken != 1:
        failures.append(f"SIM race: {numbers_taken} of the {RACE_USERS} numbers are held (expected 1: the winner's)")
    print(f"SIM race: {RACE_USERS} orders of SIM {sim_id} in {elapsed:.1f}s: {len(accepted)} accepted as jobs, "
          f"{len(refused)} refused at order time {sorted({r[0] for r in refused})}, {len(server_errors)} 5xx; "
          f"jobs: {len(succeeded)} succeeded, {sum(reasons.values())} failed (failed task: {reasons}); "
          f"SIM {sim_state[0]} on service {sim_state[2]}; services with its ICCID: {len(holders)}; numbers held: "
          f"{numbers_taken}; new OCS accounts: {accounts} -> {'PASS' if not failures else 'FAIL'}")
    for task_name, sample in samples.items():
        print(f"  a job failed at {task_name!r}: {sample}")
    return failures


def _result_summary(result_json):
    try:
        result = json.loads(result_json or "{}")
    except ValueError:
        return str(result_json)[:160]
    if isinstance(result, dict):
        result = {k: result[k] for k in ("status", "msg", "json", "url") if k in result} or result
    return json.dumps(result, default=str)[:240]


def check_topups(app, urls, tokens, data, sim):
    """RACE_USERS concurrent top-ups of one account: the OCS balance and the transactions sum exactly."""
    failures = []
    service_id, account = data["services"][0]
    amounts = [Decimal(f"{n}.{(7 * n) % 100:02d}") for n in range(1, RACE_USERS + 1)]
    before = sim.monetary(account)

    def topup(i):
        response = requests.post(f"{urls[i % 2]}/crm/oam/topup/service_id/{service_id}",
                                 json={"amount": str(amounts[i]), "reason": "Bench concurrent top-up"},
                                 headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"}, timeout=120)
        return response.status_code, response.json() if response.content else {}

    results = released_together([lambda i=i: topup(i) for i in range(RACE_USERS)])
    after = sim.monetary(account)
    expected = before + sum(amounts)
    with app.app_context():
        rows = db.session.execute(select(Transaction.retail_cost).where(
            Transaction.service_id == service_id, Transaction.title.like("Top-up - %"))).scalars().all()
        db.session.remove()
    ok = [body for status, body in results if status == 200]
    if len(ok) != RACE_USERS:
        failures.append(f"top-ups: {RACE_USERS - len(ok)} of {RACE_USERS} failed: "
                        f"{[(s, b.get('message')) for s, b in results if s != 200][:3]}")
    if after != expected:
        failures.append(f"top-ups: OCS monetary balance {after}, expected {before} + {sum(amounts)} = {expected}")
    if len(rows) != RACE_USERS or sum(rows) != sum(amounts):
        failures.append(f"top-ups: {len(rows)} transactions summing {sum(rows)}, expected {RACE_USERS} summing "
                        f"{sum(amounts)}")
    if len({body.get("balance_id") for body in ok}) != len(ok):
        failures.append("top-ups: two top-ups share an OCS balance id")
    print(f"Top-ups: {RACE_USERS} concurrent top-ups of {account} ({sum(amounts)} in all): {len(ok)} answered 200; "
          f"OCS balance {before} -> {after} (expected {expected}); {len(rows)} transactions summing {sum(rows)} "
          f"-> {'PASS' if not failures else 'FAIL'}")
    return failures


# ------------------------------------------------------------------------------------------------ load

class Recorder:
    """Every request's time and outcome, by "METHOD name", for the measured window only."""

    def __init__(self):
        self.active, self.times, self.errors, self.samples = False, {}, {}, {}

    def __call__(self, request_type, name, response_time, response_length, response=None, exception=None,
                 **_kwargs):
        if not self.active:
            return
        key = f"{request_type} {name}"
        self.times.setdefault(key, []).append(response_time)
        if exception is not None:
            status = getattr(response, "status_code", 0) or 0
            label = str(status) if status else type(exception).__name__
            self.errors.setdefault(key, {}).setdefault(label, 0)
            self.errors[key][label] += 1
            if key not in self.samples:
                text = getattr(response, "text", None) or str(exception)
                self.samples[key] = f"{label}: {str(text)[:200]}"


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))]


def make_user_classes(urls, tokens, data, args):
    token_cycle = itertools.cycle(tokens)

    class Staff(FastHttpUser):
        abstract = True
        wait_time = between(args.wait_min, args.wait_max)

        def on_start(self):
            self.auth = {"Authorization": f"Bearer {next(token_cycle)}"}

        def _get(self, path, name):
            self.client.get(path, headers=self.auth, name=name)

        @task(10)
        def customer_list(self):
            page = random.randint(1, min(50, data["customer_pages"]))
            extra = random.choice(("", "&sort=customer_name", '&filters={"customer_status":["Open"]}'))
            self._get(f"/crm/customers/?page={page}&per_page=20{extra}", "/crm/customers/")

        @task(10)
        def customer_detail(self):
            self._get(f"/crm/customer/customer_id/{random.choice(data['customer_ids'])}",
                      "/crm/customer/customer_id/{customer_id}")

        @task(6)
        def search(self):
            self._get(f"/crm/utilities/search_everything?search={random.choice(data['terms'])}",
                      "/crm/utilities/search_everything")

        @task(5)
        def service_list(self):
            page = random.randint(1, min(20, data["service_pages"]))
            self._get(f"/crm/service/?page={page}&per_page=20", "/crm/service/")

        @task(8)
        def service_detail(self):
            self._get(f"/crm/service/{random.choice(data['services'])[0]}", "/crm/service/{service_id}")

        @task(3)
        def invoice_list(self):
            self._get(f"/crm/invoice/?page={random.randint(1, min(10, data['invoice_pages']))}&per_page=20",
                      "/crm/invoice/")

        @task(args.order_weight)
        def order(self):
            if not data["free_pairs"]:
                return
            sim_id, number_id = data["free_pairs"].pop()
            body = {"product_id": data["product_id"], "customer_id": random.choice(data["open_individuals"]),
                    "SIM Card": sim_id, "Mobile Number": number_id}
            response = self.client.put("/crm/provision/", json=body, headers=self.auth, name="/crm/provision/")
            if response.status_code == 200:
                data["orders"].append(response.json()["provision_id"])

        @task(2)
        def topup(self):
            service_id = random.choice(data["services"][1:] or data["services"])[0]
            self.client.post(f"/crm/oam/topup/service_id/{service_id}", headers=self.auth,
                             json={"amount": f"{random.randint(1, 20)}.{random.randint(0, 99):02d}",
                                   "reason": "Bench top-up"}, name="/crm/oam/topup/service_id/{service_id}")

    return [type("StaffOnApiA", (Staff,), {"host": urls[0]}), type("StaffOnApiB", (Staff,), {"host": urls[1]})]


def run_level(users, user_classes, args, procs):
    """Spawn `users`, let them settle for --warmup, measure --duration seconds; returns the Recorder and window."""
    environment = Environment(user_classes=user_classes, catch_exceptions=True)
    recorder = Recorder()
    environment.events.request.add_listener(recorder)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=args.spawn_rate)
    deadline = time.monotonic() + users / args.spawn_rate + 30
    while runner.user_count < users and time.monotonic() < deadline:
        gevent.sleep(0.2)
    gevent.sleep(args.warmup)
    recorder.active = True
    started = time.monotonic()
    end = started + args.duration
    while time.monotonic() < end:
        procs.check_alive()
        gevent.sleep(min(1.0, max(0.0, end - time.monotonic())))
    window = time.monotonic() - started
    recorder.active = False
    runner.quit()
    return recorder, window


def report_level(users, recorder, window, load_before):
    keys = sorted(recorder.times)
    total = sum(len(recorder.times[k]) for k in keys)
    errors = sum(sum(v.values()) for v in recorder.errors.values())
    print(f"\n=== {users} users: {total} requests in {window:.0f}s = {total / window:.1f} req/s, {errors} errors "
          f"(load average at start {load_before}) ===")
    print(f"{'endpoint':<50} {'reqs':>6} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  errors")
    summary = {"users": users, "rps": total / window, "errors": errors, "load": load_before.split()[0]}
    reads, writes = [], []
    for key in keys:
        values = sorted(recorder.times[key])
        (reads if key.startswith("GET ") else writes).extend(values)
        errs = recorder.errors.get(key, {})
        print(f"{key:<50} {len(values):>6} {len(values) / window:>6.1f} {percentile(values, .5):>6.0f} "
              f"{percentile(values, .95):>6.0f} {percentile(values, .99):>6.0f} {values[-1]:>6.0f}  "
              f"{sum(errs.values())}{' ' + str(errs) if errs else ''}")
    for label, values in (("reads (GET)", sorted(reads)), ("writes", sorted(writes))):
        summary[label] = [percentile(values, f) for f in (.5, .95, .99)]
        print(f"{'all ' + label:<50} {len(values):>6} {len(values) / window:>6.1f} "
              f"{summary[label][0]:>6.0f} {summary[label][1]:>6.0f} {summary[label][2]:>6.0f}")
    for key, sample in recorder.samples.items():
        print(f"  first error of {key}: {sample}")
    if users == 50:
        p95 = summary["reads (GET)"][1]
        verdict = "meets" if p95 < READ_TARGET_MS and not errors else "does NOT meet"
        print(f"Reads at 50 users: p95 {p95:.0f} ms, {errors} errors: {verdict} the target (p95 < "
              f"{READ_TARGET_MS} ms, 0 errors)")
    return summary


def job_summary(app, provision_ids):
    if not provision_ids:
        return "no orders"
    with app.app_context():
        rows = db.session.execute(select(Provision.provisioning_status, func.count()).where(
            Provision.provision_id.in_(provision_ids)).group_by(Provision.provisioning_status)).all()
        db.session.remove()
    names = {0: "succeeded", 1: "running/queued", 2: "failed"}
    return ", ".join(f"{count} {names.get(status, status)}" for status, count in rows)


# ------------------------------------------------------------------------------------------------ main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", default="10,50,200", help="concurrency levels, comma-separated (10,50,200)")
    parser.add_argument("--duration", type=float, default=30, help="measured seconds per level (30)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds after all users started, not measured (5)")
    parser.add_argument("--spawn-rate", type=float, default=40, help="users started per second (40)")
    parser.add_argument("--wait-min", type=float, default=1.0, help="think time between a user's requests, min (1)")
    parser.add_argument("--wait-max", type=float, default=3.0, help="think time, max seconds (3)")
    parser.add_argument("--order-weight", type=int, default=1, help="weight of orders in the mix of 45 (1)")
    parser.add_argument("--customers", type=int, default=3000, help="customers seeded (3000)")
    parser.add_argument("--free-stock", type=int, default=1500, help="free SIMs and numbers seeded (1500 each)")
    parser.add_argument("--staff", type=int, default=10, help="staff logins shared by the users (10)")
    parser.add_argument("--gunicorn-workers", type=int, default=2, help="gunicorn workers per API instance (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (8)")
    parser.add_argument("--job-timeout", type=float, default=300, help="seconds to wait for the race's jobs (300)")
    parser.add_argument("--drain", type=float, default=15,
                        help="seconds the level's queued jobs may still finish before the next level (15)")
    parser.add_argument("--skip-integrity", action="store_true", help="only the load levels")
    parser.add_argument("--skip-load", action="store_true", help="only the integrity checks")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    levels = [int(x) for x in args.users.split(",") if x.strip()]
    rng = random.Random(20)
    suffix = uuid.uuid4().hex[:10]
    name, queue = f"omnicrm_bench_{suffix}", f"omnicrm-bench-{suffix}"
    namespace = f"omnicrm-bench-{suffix}."  # not ":": environment values are read as YAML
    logdir = tempfile.mkdtemp(prefix="omnicrm-bench-load-")
    print(f"Load benchmark {suffix}: database {name}, queue {queue}, logs in {logdir}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    procs = Processes(logdir)
    server, database_url = _mariadb_database(name)
    with server.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    app, failures, provision_ids = None, [], []
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        endpoint = start_simulator(procs)
        sim = Sim(endpoint)
        ports = [free_port(), free_port()]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        settings = dict(DATABASE_URL=database_url, REDIS_URL=REDIS_URL, OMNICRM__redis__namespace=namespace,
                        OMNICRM__provisioning__queue_name=queue, OMNICRM__provisioning__playbook_dir=str(PLAYS),
                        OMNICRM__provisioning__failure_list="[]", CGRATES_ENDPOINT=endpoint,
                        OMNICRM__ocs__ocsTenant=TENANT, OMNICRM__security__access_token_minutes="120",
                        OMNICRM__security__login_rate_limit_per_minute="10000", OMNICRM_LOG_FORMAT="json")
        app = create_app(load_config_for(settings), database_url=database_url)
        logging.getLogger("locust").setLevel(logging.WARNING)
        t0 = time.monotonic()
        data = seed(app, sim, args, rng)
        data["orders"] = []
        print(f"Seeded {args.customers} customers, {len(data['services'])} services with OCS accounts, "
              f"{len(data['free_pairs'])} free SIM/number pairs in {time.monotonic() - t0:.0f}s", flush=True)

        base = {**os.environ, **test_environ(**settings), "PYTHONPATH": str(REPO / "OmniCRM-API")}
        for n, port in enumerate(ports):
            procs.start(f"api-{'ab'[n]}", [sys.executable, "-m", "gunicorn", "--workers", str(args.gunicorn_workers),
                                           "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}",
                                           "--graceful-timeout", "5", "omnicrm:create_app()"],
                        {**base, "CRM_BASE_URL": urls[n]})
        for n in range(2):  # each worker's playbooks call "its" instance
            procs.start(f"worker-{n + 1}", [sys.executable, "-m", "omnicrm.cli", "worker"],
                        {**base, "CRM_BASE_URL": urls[n]})
        for url in urls:
            wait_http(f"{url}/crm/health", procs)
        tokens = [login(urls[n % 2], email, STAFF_PASSWORD) for n, email in enumerate(data["staff"])]
        print(f"API instances {urls[0]} and {urls[1]} ({args.gunicorn_workers} workers x {args.threads} threads "
              f"each), 2 RQ workers, CGRateS simulator {endpoint}", flush=True)

        if not args.skip_integrity:
            print("\n--- Concurrent-integrity checks ---", flush=True)
            failures += check_topups(app, urls, tokens, data, sim)
            failures += check_sim_race(app, urls, tokens, data, sim, args.job_timeout)
            procs.check_alive()

        summaries = []
        if not args.skip_load:
            user_classes = make_user_classes(urls, tokens, data, args)
            for users in levels:
                load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
                data["orders"] = []
                recorder, window = run_level(users, user_classes, args, procs)
                summaries.append(report_level(users, recorder, window, load_before))
                provision_ids += data["orders"]
                statuses = wait_for_jobs(app, data["orders"], args.drain) if data["orders"] else {}
                print(f"Orders at {users} users: {len(data['orders'])} jobs; after up to {args.drain:.0f}s: "
                      f"{job_summary(app, list(statuses))}", flush=True)
            print_table(summaries)
    except KeyboardInterrupt:
        print("\nInterrupted: cleaning up", flush=True)
        failures.append("interrupted")
    finally:
        procs.stop_all()
        job_ids = []
        if app is not None:
            with app.app_context():
                try:
                    job_ids = [j for j in db.session.scalars(select(Provision.job_id)) if j]
                except Exception:  # noqa: BLE001 - the schema may not exist yet
                    pass
                db.session.remove()
            db.get_engine().dispose()
        clean_redis(queue, namespace, job_ids)
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()
        print(f"Cleaned up: processes stopped, database {name} dropped, Redis keys of {queue} / {namespace} removed")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nIntegrity checks passed" if not args.skip_integrity else "")
    return 0


def _interrupted(*_args):
    raise KeyboardInterrupt


def load_config_for(settings):
    from omnicrm.config import load_config
    return load_config(environ=test_environ(**settings))


def print_table(summaries):
    if not summaries:
        return
    print("\n| users | req/s | reads p50 / p95 / p99 (ms) | writes p50 / p95 / p99 (ms) | errors | load avg |")
    print("|---:|---:|---|---|---:|---:|")
    for s in summaries:
        reads, writes = s["reads (GET)"], s["writes"]
        print(f"| {s['users']} | {s['rps']:.1f} | {reads[0]:.0f} / {reads[1]:.0f} / {reads[2]:.0f} | "
              f"{writes[0]:.0f} / {writes[1]:.0f} / {writes[2]:.0f} | {s['errors']} | {s['load']} |")


if __name__ == "__main__":
    sys.exit(main())
