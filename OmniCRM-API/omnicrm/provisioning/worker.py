"""`omnicrm worker`: an RQ worker for the provisioning queue, with the stale-job reaper alongside."""
import logging

import click
from flask import current_app

from omnicrm.provisioning import dispatch

log = logging.getLogger(__name__)


def run_worker(burst=False):
    """Serve the provisioning queue in this process (jobs run one at a time, in the worker's main thread, so
    the database connections stay this process's own; run more workers for more parallel jobs)."""
    from rq import SimpleWorker
    conf = dispatch.settings()
    if not conf["redis_url"]:
        raise click.ClickException("redis.url (REDIS_URL) is not set: without Redis, provisioning jobs run "
                                   "inside the API server and need no worker")
    app = current_app._get_current_object()
    if burst:
        dispatch.reap_stale_jobs()
    else:
        dispatch.start_reaper(app)
    worker = SimpleWorker([dispatch.rq_queue(conf)], connection=dispatch.rq_connection(conf["redis_url"]))
    click.echo(f"Provisioning worker {worker.name} serving queue {conf['queue']}")
    worker.work(burst=burst, logging_level="INFO", with_scheduler=False)
