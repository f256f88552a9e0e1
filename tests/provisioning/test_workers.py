"""Where jobs run: RQ workers (`omnicrm worker`) on Redis, the reaper for killed workers, simple provisioning."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from omnicrm import db
from omnicrm.db import utcnow
from omnicrm.products.models import Product
from omnicrm.provisioning.dispatch import reap_stale_jobs
from omnicrm.provisioning.models import Provision
from omnicrm.services.models import Service
from tests.conftest import TEST_JWT_SECRET
from tests.provisioning.conftest import PLAYS, set_play, wait_for_job

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OMNICRM_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def rq_mode(app, provisioning_config, database_url, live_server):
    """Jobs go to a Redis queue of this test only; returns a starter for `omnicrm worker` processes."""
    queue = f"omnicrm-test-{uuid.uuid4().hex[:10]}"
    redis_section = app.config["CRM"]["redis"]
    saved_url = redis_section.get("url")
    redis_section["url"] = REDIS_URL
    provisioning_config["queue_name"] = queue
    workers = []
    env = {**os.environ, "DATABASE_URL": database_url, "JWT_SECRET": TEST_JWT_SECRET, "REDIS_URL": REDIS_URL,
           "CRM_BASE_URL": live_server.url, "OMNICRM__provisioning__queue_name": queue,
           "OMNICRM__provisioning__playbook_dir": str(PLAYS), "OMNICRM__provisioning__failure_list": "[]",
           "PYTHONPATH": os.pathsep.join([str(REPO / "OmniCRM-API"), os.environ.get("PYTHONPATH", "")])}

    def start(*args):
        process = subprocess.Popen([sys.executable, "-m", "omnicrm.cli", "worker", *args], env=env, cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        workers.append(process)
        return process

    yield start
    for process in workers:
        if process.poll() is None:
            process.kill()
        process.wait(10)
    redis_section["url"] = saved_url
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"rq:*{queue}*"):
        client.delete(key)


def test_rq_worker_runs_the_job_with_the_same_events(app, client, admin_headers, catalogue, rq_mode, tmp_path):
    response = client.put("/crm/provision/", headers=admin_headers, json={
        "product_id": catalogue["product"], "customer_id": catalogue["home"], "SIM Card": catalogue["sims"][0],
        "custom_param": "via-rq", "admin_password": "rq-secret", "token_file": str(tmp_path / "t")})
    assert response.status_code == 200, response.get_json()
    provision_id = response.get_json()["provision_id"]
    with app.app_context():
        assert db.session.get(Provision, provision_id).job_id.startswith("rq:provision-")
    worker = rq_mode("--burst")
    output, _ = worker.communicate(timeout=90)
    assert worker.returncode == 0, output
    job = wait_for_job(client, admin_headers, provision_id, timeout=5)
    assert job["provisioning_status"] == 0, (job, output)
    assert [e["provisioning_status"] for e in job["provisioning_result_json"]] == [0, 0, 0, 0, 0, 3]
    assert "rq-secret" not in json.dumps(job)
    assert "custom=via-rq" in job["provisioning_result_json"][2]["provisioning_result_json"]


def test_killed_worker_leaves_a_failed_job_not_a_running_one(app, client, admin_headers, catalogue, rq_mode):
    set_play(app, catalogue["failing"], "test_slow")
    response = client.put("/crm/provision/", headers=admin_headers,
                          json={"product_id": catalogue["failing"], "customer_id": catalogue["home"]})
    provision_id = response.get_json()["provision_id"]
    worker = rq_mode()
    deadline = time.monotonic() + 60
    while True:
        events = client.get(f"/crm/provision/provision_id/{provision_id}",
                            headers=admin_headers).get_json()["provisioning_result_json"]
        if any(e["event_name"] == "Hang on a stuck system" for e in events):
            break
        assert time.monotonic() < deadline and worker.poll() is None, worker.stdout.read()
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    with app.app_context():
        assert reap_stale_jobs() == []  # its heartbeat is fresh: not lost yet
        db.session.get(Provision, provision_id).heartbeat = utcnow() - timedelta(minutes=10)
        db.session.commit()
        assert reap_stale_jobs() == [provision_id]
        db.session.remove()
    job = wait_for_job(client, admin_headers, provision_id, timeout=1)
    assert job["provisioning_status"] == 2
    assert [(e["event_name"], e["provisioning_status"]) for e in job["provisioning_result_json"]] == [
        ("Started", 0), ("Hang on a stuck system", 2), ("Provisioning worker lost", 2)]


def test_simple_provisioning_for_automated_callers(app, client, make_user, catalogue, provisioning_config):
    key = "k" * 40
    app.config["CRM"]["api_keys"][key] = {"roles": ["admin"], "ips": None, "description": "cgrates"}
    try:
        with app.app_context():
            addon = Product(product_name="5GB Boost", product_slug="boost", category="addon", enabled=True,
                            provisioning_play="test_quick", residential=True, business=True)
            service = Service(customer_id=catalogue["home"], service_name="Mobile", service_uuid="Service_abc")
            db.session.add_all([addon, service])
            db.session.commit()
            path = f"/crm/provision/simple_provision_addon_recharge/service_id/{service.service_id}" \
                   f"/product_id/{addon.product_id}"
            async_path = path.replace("_recharge", "")
        staff = make_user(permissions=["create_provision", "view_provision"])
        assert client.post(path, headers=staff).status_code == 403
        assert client.post(path).status_code == 401
        assert client.post(path, headers={"X-API-KEY": "x" * 40}).get_json() == {"message": "Invalid API key"}

        done = client.post(path, headers={"X-API-KEY": key})
        assert done.status_code == 200, json.dumps(done.get_json())
        body = done.get_json()
        assert body["provisioning_status"] == 0 and body["service_id"] == service.service_id
        assert f"service {service.service_id} product {addon.product_id} customer {catalogue['home']}" in \
            body["provisioning_result_json"][0]["provisioning_result_json"]
        with app.app_context():
            from omnicrm.auth.identity import first_admin_user
            assert body["initiating_user"] == first_admin_user().id

        queued = client.post(async_path, headers={"X-API-KEY": key})
        assert queued.status_code == 200 and queued.get_json()["provisioning_status"] == 1
        wait_for_job(client, {"X-API-KEY": key}, queued.get_json()["provision_id"])
    finally:
        del app.config["CRM"]["api_keys"][key]


def test_reaper_fails_only_silent_running_jobs(app, catalogue):
    with app.app_context():
        old = utcnow() - timedelta(minutes=10)
        rows = [Provision(provisioning_play="x", provisioning_status=1, heartbeat=old, job_id="local:a:1"),
                Provision(provisioning_play="x", provisioning_status=1, heartbeat=utcnow(), job_id="local:a:2"),
                Provision(provisioning_play="x", provisioning_status=0, heartbeat=old, job_id="local:a:3"),
                Provision(provisioning_play="x", provisioning_status=1, heartbeat=None, job_id="local:a:4",
                          created=old)]
        db.session.add_all(rows)
        db.session.commit()
        assert reap_stale_jobs() == [rows[0].provision_id]
        assert reap_stale_jobs(orphaned_local=True) == [rows[3].provision_id]
        statuses = db.session.scalars(select(Provision.provisioning_status).order_by(Provision.provision_id))
        assert list(statuses) == [2, 1, 0, 2]
        rows[1].provisioning_status = 0  # not a real job: nothing will finish it
        db.session.commit()


# ------------------------------------------------------------------ issue 12 finding 9: no process outlives its job

def group_members(pgid):
    """Live processes of a process group (zombies excluded), from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def start_stuck_job(app, client, admin_headers, catalogue, pgid_file):
    with app.app_context():
        product = db.session.get(Product, catalogue["failing"])
        product.provisioning_play = "test_stuck"
        product.provisioning_json_vars = json.dumps({"overridable": ["pgid_file"]})
        db.session.commit()
    response = client.put("/crm/provision/", headers=admin_headers, json={
        "product_id": catalogue["failing"], "customer_id": catalogue["home"], "pgid_file": str(pgid_file)})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["provision_id"]


def wait_for_group(pgid_file, timeout=60):
    deadline = time.monotonic() + timeout
    while not (pgid_file.exists() and pgid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the stuck task never started"
        time.sleep(0.1)
    pgid = int(pgid_file.read_text())
    assert group_members(pgid), "the job's processes should be running"
    return pgid


def wait_until_gone(pgid, timeout=30):  # generous: a loaded CI machine is slow to reap
    deadline = time.monotonic() + timeout
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return group_members(pgid)


def test_killed_worker_leaves_no_process_of_the_job(app, client, admin_headers, catalogue, rq_mode, tmp_path):
    start_stuck_job(app, client, admin_headers, catalogue, tmp_path / "pgid")
    worker = rq_mode()
    pgid = wait_for_group(tmp_path / "pgid")
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    assert wait_until_gone(pgid) == []


def test_timed_out_job_leaves_no_process(app, client, admin_headers, catalogue, provisioning_config, tmp_path):
    provisioning_config["timeout_seconds"] = 20  # long enough for a loaded machine to reach the stuck task
    provision_id = start_stuck_job(app, client, admin_headers, catalogue, tmp_path / "pgid")
    pgid = wait_for_group(tmp_path / "pgid")
    job = wait_for_job(client, admin_headers, provision_id, timeout=60)
    assert job["provisioning_result_json"][-1]["event_name"] == "Provisioning timed out"
    assert wait_until_gone(pgid) == []
