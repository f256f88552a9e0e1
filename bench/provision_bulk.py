"""Bulk provisioning throughput on MariaDB + Redis (not run by `make test`).

The same N jobs (the quick test play) go, on one throw-away MariaDB database:
  * through a Redis queue served by 4 `omnicrm worker --burst` processes, and
  * through the embedded in-process pool with 4 workers.
Jobs are all queued first and released together, so the figures are the workers' throughput, not the speed of
PUT /crm/provision/. Prints jobs per minute (first job started to last job finished) and p50/p95 of each job's
run (worker picked it up to job finished: RQ's own started_at/ended_at, the same span timed around the pool's
task), and the ratio of the two.

Run: .venv/bin/python bench/provision_bulk.py [--jobs 1000] [--workers 4] [--timeout 3600]
MariaDB from OMNICRM_TEST_MARIADB (default root@127.0.0.1:3306), Redis from OMNICRM_TEST_REDIS (default
redis://127.0.0.1:6379/0). The database `omnicrm_bench_<random>`, the queue and the key namespace are this run's
own; all are removed at the end, and every worker process is stopped (killed after --timeout).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from provision import REPO, PLAYS, bench_app

import redis  # noqa: E402
from sqlalchemy import select  # noqa: E402

from omnicrm import db  # noqa: E402
from omnicrm.provisioning import dispatch  # noqa: E402
from omnicrm.provisioning.models import Provision  # noqa: E402
from tests.conftest import _mariadb_database, test_environ  # noqa: E402

REDIS_URL = os.environ.get("OMNICRM_TEST_REDIS", "redis://127.0.0.1:6379/0")


def queue_jobs(client, headers, ids, count):
    """PUT `count` jobs; returns their provision ids."""
    provision_ids = []
    for _ in range(count):
        response = client.put("/crm/provision/", json=ids, headers=headers)
        assert response.status_code == 200, response.get_json()
        provision_ids.append(response.get_json()["provision_id"])
    return provision_ids


def outcomes(app, provision_ids):
    """{status: count} of the given jobs, read fresh from the database."""
    with app.app_context():
        rows = db.session.execute(select(Provision.provisioning_status, Provision.job_id).where(
            Provision.provision_id.in_(provision_ids))).all()
        db.session.remove()
    counts = {}
    for status, _ in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts, [job_id for _, job_id in rows]


def figures(label, spans, expected):
    """Print jobs/min over the whole run and p50/p95 of the job runs; returns jobs/min."""
    runs = sorted(end - start for start, end in spans)
    window = max(end for _, end in spans) - min(start for start, _ in spans)
    per_minute = len(spans) / window * 60
    cuts = statistics.quantiles(runs, n=20, method="inclusive")
    print(f"{label:<30} {len(spans)}/{expected} jobs in {window:6.1f}s = {per_minute:6.0f} jobs/min; "
          f"job run p50 {statistics.median(runs):.2f}s p95 {cuts[18]:.2f}s")
    return per_minute


def run_rq(app, client, headers, ids, args, queue, namespace, database_url, logdir):
    """Queue N jobs on Redis, then let `args.workers` burst workers drain the queue."""
    from rq.job import Job
    crm = app.config["CRM"]
    crm["redis"]["url"] = REDIS_URL
    crm["provisioning"]["queue_name"] = queue
    provision_ids = queue_jobs(client, headers, ids, args.jobs)
    env = {**os.environ, **test_environ(
        DATABASE_URL=database_url, REDIS_URL=REDIS_URL, OMNICRM__redis__namespace=namespace,
        OMNICRM__provisioning__queue_name=queue, OMNICRM__provisioning__playbook_dir=str(PLAYS),
        OMNICRM__provisioning__failure_list="[]", PYTHONPATH=str(REPO / "OmniCRM-API"))}
    workers = []
    try:
        for number in range(args.workers):
            log = open(os.path.join(logdir, f"worker-{number}.log"), "w")  # noqa: SIM115 - closed below
            workers.append((subprocess.Popen([sys.executable, "-m", "omnicrm.cli", "worker", "--burst"], env=env,
                                             cwd=REPO, stdout=log, stderr=subprocess.STDOUT), log))
        deadline = time.monotonic() + args.timeout
        for process, _ in workers:
            process.wait(max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        print(f"RQ workers still busy after {args.timeout}s: stopped; logs in {logdir}")
    finally:
        stop_processes(workers)
    counts, job_ids = outcomes(app, provision_ids)
    connection = redis.Redis.from_url(REDIS_URL)
    jobs = [job for job in Job.fetch_many([j[3:] for j in job_ids], connection=connection) if job]
    spans = [(job.started_at.timestamp(), job.ended_at.timestamp()) for job in jobs
             if job.started_at and job.ended_at]
    print(f"RQ: job outcomes {counts} (0 = success); worker logs in {logdir}")
    return spans, job_ids


def stop_processes(workers):
    """Terminate, then kill, every worker still running (bounded: 10 s each)."""
    for process, log in workers:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        log.close()


def run_embedded(app, client, headers, ids, args):
    """Queue N jobs on the in-process pool, held at a gate until all are queued, then released together."""
    crm = app.config["CRM"]
    crm["redis"]["url"] = ""
    crm["provisioning"]["workers"] = args.workers
    gate = threading.Event()
    spans = []
    original = dispatch._run_in_app

    def timed(app_, provision_id):
        gate.wait(args.timeout)
        start = time.time()
        try:
            return original(app_, provision_id)
        finally:
            spans.append((start, time.time()))

    dispatch._run_in_app = timed
    try:
        provision_ids = queue_jobs(client, headers, ids, args.jobs)
        gate.set()
        deadline = time.monotonic() + args.timeout
        while len(spans) < args.jobs and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        gate.set()
        dispatch._run_in_app = original
    counts, _ = outcomes(app, provision_ids)
    print(f"embedded: job outcomes {counts} (0 = success)")
    return spans


def clean_redis(queue, namespace, job_ids):
    """Delete this run's queue, job, result and worker keys (and registry entries) and its namespaced keys."""
    connection = redis.Redis.from_url(REDIS_URL)
    ours = {job_id[3:] for job_id in job_ids if job_id and job_id.startswith("rq:")}
    doomed = []
    for key in connection.scan_iter("rq:*", count=1000):
        parts = key.decode().split(":")
        if queue in key.decode() or (len(parts) > 2 and parts[2] in ours) or (
                parts[1] == "worker" and connection.hget(key, "queues") == queue.encode()):
            doomed.append(key)
    connection.srem("rq:queues", f"rq:queue:{queue}")
    connection.srem("rq:workers", *[key for key in doomed if key.startswith(b"rq:worker:")] or [b"-"])
    doomed += list(connection.scan_iter(f"{namespace}*", count=1000))
    for start in range(0, len(doomed), 500):
        connection.delete(*doomed[start:start + 500])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000, help="jobs per mode (default 1000)")
    parser.add_argument("--workers", type=int, default=4, help="RQ worker processes / pool threads (default 4)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds before a mode is stopped")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:10]
    name, queue = f"omnicrm_bench_{suffix}", f"omnicrm-bench-{suffix}"
    namespace = f"omnicrm-bench-{suffix}."  # not ":": environment values are read as YAML
    logdir = tempfile.mkdtemp(prefix="omnicrm-bench-bulk-")
    server, database_url = _mariadb_database(name)
    with server.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    job_ids = []
    try:
        app, client, headers, ids = bench_app(database_url, REDIS_URL=REDIS_URL,
                                              OMNICRM__redis__namespace=namespace)
        rq_spans, job_ids = run_rq(app, client, headers, ids, args, queue, namespace, database_url, logdir)
        embedded_spans = run_embedded(app, client, headers, ids, args)
        print(f"\n{args.jobs} jobs, {args.workers} workers, MariaDB + Redis, play {PLAYS.name}/test_quick:")
        rq_rate = figures(f"RQ ({args.workers} omnicrm workers)", rq_spans, args.jobs)
        embedded_rate = figures(f"embedded pool ({args.workers})", embedded_spans, args.jobs)
        print(f"RQ / embedded jobs per minute: {rq_rate / embedded_rate:.2f}")
    finally:
        dispatch.stop_background()
        db.get_engine().dispose()
        clean_redis(queue, namespace, job_ids)
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()


if __name__ == "__main__":
    main()
