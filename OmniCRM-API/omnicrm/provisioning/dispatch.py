"""Where jobs run: a bounded in-process pool (embedded) or RQ queues served by `omnicrm worker` (Redis).

Both call `runner.execute_job`, so a job behaves the same wherever it runs. The reaper fails running jobs whose
worker stopped sending heartbeats (killed, machine lost), so no job stays "running" forever.
"""
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import current_app, has_app_context
from sqlalchemy import select, update

from omnicrm.common.safe_log import log_unexpected
from omnicrm import db
from omnicrm.db import utcnow
from omnicrm.ops.request_log import request_id_context
from omnicrm.provisioning.models import STATUS_FAILED, STATUS_RUNNING, Provision, ProvisionEvent

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "omnicrm-provisioning"
DEFAULT_STALE_AFTER_SECONDS = 120
RQ_JOB_GRACE_SECONDS = 600

_pool = None
_pool_lock = threading.Lock()
INSTANCE = uuid.uuid4().hex[:12]  # names this process in local job ids, to find jobs a restart left behind


def settings():
    config = current_app.config["CRM"]
    provisioning = config["provisioning"]
    return {
        "redis_url": (config.get("redis") or {}).get("url") or None,
        "queue": provisioning.get("queue_name") or DEFAULT_QUEUE,
        "workers": int(provisioning.get("workers") or 2),
        "timeout": int(provisioning["timeout_seconds"]),
        "stale_after": int(provisioning.get("stale_after_seconds") or DEFAULT_STALE_AFTER_SECONDS),
    }


def submit(job):
    """Queue a committed job; its job_id says where it went ("rq:<id>" or "local:<id>")."""
    conf = settings()
    if conf["redis_url"]:
        job_id = f"provision-{job.provision_id}-{uuid.uuid4().hex[:8]}"
        rq_queue(conf).enqueue("omnicrm.provisioning.dispatch.run_queued_job", job.provision_id, job_id=job_id,
                               job_timeout=conf["timeout"] + RQ_JOB_GRACE_SECONDS, result_ttl=3600,
                               failure_ttl=7 * 86400)
        job.job_id = f"rq:{job_id}"
    else:
        job.job_id = f"local:{INSTANCE}:{uuid.uuid4().hex[:12]}"
        local_pool(conf["workers"]).submit(_run_in_app, current_app._get_current_object(), job.provision_id)
    db.session.execute(update(Provision).where(Provision.provision_id == job.provision_id)
                       .values(job_id=job.job_id))
    db.session.commit()


def rq_connection(url):
    import redis
    return redis.Redis.from_url(url)


def rq_queue(conf):
    from rq import Queue
    return Queue(conf["queue"], connection=rq_connection(conf["redis_url"]))


def local_pool(workers):
    """The process's pool: at most `provisioning.workers` playbooks at once, the rest wait in order."""
    global _pool
    with _pool_lock:
        if _reaper_thread is None or not _reaper_thread.is_alive():
            start_reaper(current_app._get_current_object(), orphaned_local=True)
        if _pool is None or _pool._max_workers != workers:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="provision")
        return _pool


def local_queue_depth():
    """Jobs submitted to this process's pool that no thread has started yet (the executor's own queue)."""
    return _pool._work_queue.qsize() if _pool is not None else 0


def _run_in_app(app, provision_id):
    from omnicrm.provisioning.runner import execute_job
    with app.app_context():
        request_id = db.session.scalar(select(Provision.request_id).where(Provision.provision_id == provision_id))
        try:
            with request_id_context(request_id):
                execute_job(provision_id)
        except Exception as error:  # noqa: BLE001 - a crashed run ends failed, never stays running
            log_unexpected(log, error, "provisioning job %s crashed", provision_id)
            db.session.rollback()
            _fail_lost(provision_id, "the provisioning worker crashed; see the server log")
        finally:
            db.session.remove()


_worker_app = None


def run_queued_job(provision_id):
    """Entry point of the RQ job; builds the app when the worker process has none."""
    global _worker_app
    if has_app_context():
        return _run_in_app(current_app._get_current_object(), provision_id)
    if _worker_app is None:
        from omnicrm import create_app
        _worker_app = create_app()
    return _run_in_app(_worker_app, provision_id)


def _fail_lost(provision_id, reason):
    from omnicrm.provisioning.runner import EventRecorder, finish_job
    from omnicrm.provisioning.redaction import Redactor
    job = db.session.get(Provision, provision_id)
    if job is None or job.provisioning_status != STATUS_RUNNING:
        return False
    recorder = EventRecorder(provision_id, Redactor())
    recorder.number = db.session.scalar(select(ProvisionEvent.event_number).where(
        ProvisionEvent.provision_id == provision_id).order_by(ProvisionEvent.event_number.desc()).limit(1)) or 0
    recorder.add("Provisioning worker lost", STATUS_FAILED, {"message": reason})
    return finish_job(provision_id, STATUS_FAILED, reason=reason) is not None


def _rq_job_gone(conf, job_id):
    """True when RQ no longer has the job waiting or running (failed, stopped, expired)."""
    from rq.job import Job, JobStatus
    from rq.exceptions import NoSuchJobError
    try:
        status = Job.fetch(job_id, connection=rq_connection(conf["redis_url"])).get_status()
    except NoSuchJobError:
        return True
    return status not in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def reap_stale_jobs(orphaned_local=False):
    """Fail running jobs whose worker is gone: heartbeat older than `stale_after`, or (RQ) a job never started
    that RQ has dropped, or (with `orphaned_local`, when a server starts) a job another, restarted, server
    process had queued in memory. Returns the ids it failed."""
    conf = settings()
    from datetime import timedelta
    now = utcnow()
    cutoff = now - timedelta(seconds=conf["stale_after"])
    lost = {pid: f"no heartbeat since {hb.isoformat()}Z (worker killed or unreachable)"
            for pid, hb in db.session.execute(select(Provision.provision_id, Provision.heartbeat).where(
                Provision.provisioning_status == STATUS_RUNNING, Provision.heartbeat < cutoff))}
    if conf["redis_url"]:
        waiting = db.session.execute(select(Provision.provision_id, Provision.job_id).where(
            Provision.provisioning_status == STATUS_RUNNING, Provision.heartbeat.is_(None),
            Provision.job_id.like("rq:%"), Provision.created < cutoff)).all()
        for pid, job_id in waiting:
            if _rq_job_gone(conf, job_id[3:]):
                lost[pid] = "the queued job was dropped by the worker before it started"
    if orphaned_local:
        for pid in db.session.scalars(select(Provision.provision_id).where(
                Provision.provisioning_status == STATUS_RUNNING, Provision.heartbeat.is_(None),
                Provision.job_id.like("local:%"), Provision.job_id.notlike(f"local:{INSTANCE}:%"),
                Provision.created < cutoff)):
            lost[pid] = "the server restarted before this queued job ran"
    failed = [pid for pid, reason in lost.items() if _fail_lost(pid, reason)]
    db.session.commit()
    return failed


_reaper_stop = threading.Event()
_reaper_thread = None


def stop_reaper():
    """Stop the reaper thread after the round it may be in (its scheduled jobs must not outlive a test)."""
    _reaper_stop.set()
    if _reaper_thread is not None and _reaper_thread is not threading.current_thread():
        _reaper_thread.join(timeout=60)


def stop_background():
    """Stop the reaper thread and the local pool, waiting for its jobs (process shutdown, end of the tests)."""
    global _pool
    stop_reaper()
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _run_lifecycle():
    """The lifecycle's scheduled job (grace periods, number quarantines) rides on the reaper's clock, and so does
    the cell broadcast retry of alerts the CBC did not accept."""
    from omnicrm.cbc.service import run_scheduled as run_cbc
    from omnicrm.services.lifecycle import run_scheduled
    for job, what in ((run_scheduled, "service lifecycle job"), (run_cbc, "cell broadcast retry job")):
        try:
            job()
        except Exception as error:  # noqa: BLE001 - retried next round
            log_unexpected(log, error, f"{what} failed")
        finally:
            db.session.remove()


def _run_billing_mail():
    """Overdue invoice reminders and the e-mail outbox retries ride on the same clock."""
    from omnicrm.billing.mail import run_scheduled
    try:
        run_scheduled()
    except Exception as error:  # noqa: BLE001 - retried next round
        log_unexpected(log, error, "billing mail job failed")
    finally:
        db.session.remove()


def start_reaper(app, interval_seconds=60, orphaned_local=False):
    """A daemon thread running the reaper every `interval_seconds` (embedded server and each worker)."""
    _reaper_stop.clear()

    def loop():
        first = True
        while not _reaper_stop.is_set():
            with app.app_context():
                try:
                    reap_stale_jobs(orphaned_local=orphaned_local and first)
                    first = False
                except Exception as error:  # noqa: BLE001 - the reaper retries next round
                    log_unexpected(log, error, "provisioning reaper failed")
                finally:
                    db.session.remove()
                _run_lifecycle()
                _run_billing_mail()
            _reaper_stop.wait(interval_seconds)

    global _reaper_thread
    thread = threading.Thread(target=loop, name="provision-reaper", daemon=True)
    thread.start()
    _reaper_thread = thread
    return thread
