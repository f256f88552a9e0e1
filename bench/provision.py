"""Provisioning engine overhead and throughput (not run by `make test`).

Prints, for the same small playbook:
  * a bare `ansible_runner.run` in this process (the floor),
  * the engine: PUT /crm/provision/ to final status seen by polling (API, row, token, events, cleanup),
  * jobs per minute with 1, 2 and 4 in-process workers.

Run: .venv/bin/python bench/provision.py [--jobs 8] [--rounds 7]   (uses a throw-away SQLite database)
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "OmniCRM-API")]

import ansible_runner  # noqa: E402

from omnicrm import create_app, db  # noqa: E402
from omnicrm.auth.permissions import sync_catalogue  # noqa: E402
from omnicrm.customers.models import Customer  # noqa: E402
from omnicrm.db import Base  # noqa: E402
from omnicrm.products.models import Product  # noqa: E402
from omnicrm.provisioning import dispatch  # noqa: E402
from omnicrm.provisioning.runner import VENV_BIN  # noqa: E402
from omnicrm.seed import ensure_admin  # noqa: E402
from omnicrm.services.models import Service  # noqa: E402
from tests.conftest import make_config  # noqa: E402

PLAYS = REPO / "tests" / "provisioning" / "plays"
PLAY = "test_quick"
POLL_SECONDS = 0.01  # the end of a job is seen at most this late (0.05 s added ~25 ms to every figure)


def bare_run():
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as private:
        result = ansible_runner.run(private_data_dir=private, playbook=str(PLAYS / f"{PLAY}.yaml"),
                                    inventory=f"localhost ansible_connection=local "
                                              f"ansible_python_interpreter={sys.executable}",
                                    extravars={"service_id": 1, "product_id": 1, "customer_id": 1}, quiet=True,
                                    envvars={"PATH": VENV_BIN + ":/usr/bin:/bin", "ANSIBLE_NOCOLOR": "1"})
    assert result.status == "successful", result.status
    return time.perf_counter() - start


class Breakdown:
    """Wall time of each engine step, summed over the jobs run while installed (monkeypatched timers)."""

    STEPS = (("create_job", "omnicrm.provisioning.service", "create_job"),
             ("submit (queue)", "omnicrm.provisioning.dispatch", "submit"),
             ("execute_job (whole run)", "omnicrm.provisioning.runner", "execute_job"),
             ("mint token", "omnicrm.provisioning.runner", "mint_job_token"),
             ("run_playbook", "omnicrm.provisioning.runner", "run_playbook"),
             ("ansible_runner.run", "omnicrm.provisioning.runner.ansible_runner", "run"),
             ("event rows", "omnicrm.provisioning.runner.EventRecorder", "__call__"),
             ("finish_job", "omnicrm.provisioning.runner", "finish_job"),
             ("revoke token", "omnicrm.provisioning.runner", "revoke_job_token"),
             ("chains.advance", "omnicrm.provisioning.chains", "advance"))

    def __init__(self):
        self.totals = {name: 0.0 for name, _, _ in self.STEPS}
        self.saved = []

    def install(self):
        import importlib
        for name, module_path, attr in self.STEPS:
            owner = self._resolve(importlib, module_path)
            original = getattr(owner, attr)
            self.saved.append((owner, attr, original))
            setattr(owner, attr, self._timed(name, original))

    @staticmethod
    def _resolve(importlib, dotted):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                owner = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for part in parts[cut:]:
                owner = getattr(owner, part)
            return owner
        raise ImportError(dotted)

    def _timed(self, name, original):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[name] += time.perf_counter() - start
        return timed

    def remove(self):
        for owner, attr, original in self.saved:
            setattr(owner, attr, original)
        self.saved = []

    def report(self, jobs, total):
        print(f"breakdown per job (median job {total:.3f}s end to end):")
        for name, seconds in self.totals.items():
            print(f"  {name:<26} {seconds / jobs * 1000:8.1f} ms")


def engine_runs(client, headers, ids, count):
    started = time.perf_counter()
    pending = {}
    for _ in range(count):
        t0 = time.perf_counter()
        response = client.put("/crm/provision/", json=ids, headers=headers)
        assert response.status_code == 200, response.get_json()
        pending[response.get_json()["provision_id"]] = t0
    durations = []
    while pending:
        for provision_id, t0 in list(pending.items()):
            body = client.get(f"/crm/provision/provision_id/{provision_id}", headers=headers).get_json()
            if body["provisioning_status"] != 1:
                assert body["provisioning_status"] == 0, body
                durations.append(time.perf_counter() - t0)
                del pending[provision_id]
        time.sleep(POLL_SECONDS)
    return durations, time.perf_counter() - started


def bench_app(database_url, **environ):
    """An app on `database_url` with the test playbooks, an admin login, and one customer/product/service to
    provision; returns (app, test client, auth headers, PUT body)."""
    app = create_app(make_config(**environ), database_url=database_url)
    Base.metadata.create_all(db.get_engine())
    app.config["CRM"]["provisioning"].update(playbook_dir=str(PLAYS), failure_list=[])
    with app.app_context():
        sync_catalogue(db.session)
        ensure_admin("admin@example.com", "Admin123!")
        customer = Customer(customer_name="Bench")
        product = Product(product_name="Bench", product_slug="bench", category="standalone",
                          provisioning_play=PLAY, enabled=True, residential=True, business=True)
        db.session.add_all([customer, product])
        db.session.flush()
        service = Service(customer_id=customer.customer_id, service_name="Bench", service_uuid="Service_bench")
        db.session.add(service)
        db.session.commit()
        ids = {"customer_id": customer.customer_id, "product_id": product.product_id,
               "service_id": service.service_id}
    client = app.test_client()
    token = client.post("/crm/auth/login", json={"email": "admin@example.com", "password": "Admin123!"}) \
        .get_json()["token"]
    return app, client, {"Authorization": f"Bearer {token}"}, ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=8, help="jobs per throughput measurement")
    parser.add_argument("--rounds", type=int, default=7, help="bare and engine runs, alternated, for the medians")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="omnicrm-bench-")
    app, client, headers, ids = bench_app(f"sqlite:///{workdir}/bench.db")

    app.config["CRM"]["provisioning"]["workers"] = 1
    bare_run()
    engine_runs(client, headers, ids, 1)  # warm-up: imports, first connection
    breakdown = Breakdown()
    # One job at a time: with several queued at once, the median would count the wait behind the others (the
    # +0.6 s of the first measurement was mostly that queueing, not engine work). Bare and engine runs alternate,
    # so both see the same load on a busy machine.
    bare, single = [], []
    for _ in range(args.rounds):
        bare.append(bare_run())
        breakdown.install()
        single.append(engine_runs(client, headers, ids, 1)[0][0])
        breakdown.remove()
    print(f"bare ansible_runner.run:     median {statistics.median(bare):.2f}s")
    print(f"engine (API to final state): median {statistics.median(single):.2f}s "
          f"(overhead {statistics.median(single) - statistics.median(bare):+.2f}s, "
          f"{(statistics.median(single) / statistics.median(bare) - 1) * 100:+.0f}%)")
    breakdown.report(len(single), statistics.median(single))
    for workers in (1, 2, 4):
        app.config["CRM"]["provisioning"]["workers"] = workers
        dispatch.local_pool(workers)
        _, elapsed = engine_runs(client, headers, ids, args.jobs)
        print(f"{workers} worker(s): {args.jobs} jobs in {elapsed:.1f}s = {args.jobs / elapsed * 60:.0f} jobs/min")


if __name__ == "__main__":
    main()
