"""Prometheus metrics at `/metrics`, in the text format Prometheus scrapes.

Measured in the process: request latency and count by endpoint (the URL rule, so ids never multiply the series),
method and status; CGRateS call latency and errors by method. Read from the database and the queue at scrape
time, so every API instance and worker is counted once whatever process did the work: provisioning jobs by
status, the duration of jobs finished in the last hour, the queue depth, e-mails by status.

With several gunicorn workers set PROMETHEUS_MULTIPROC_DIR (an empty directory) so the in-process figures of
all workers are added up. Who may scrape: `monitoring.metrics_allowed_ips`, or anyone sending
`Authorization: Bearer <monitoring.metrics_token>`.
"""
import hmac
import ipaddress
import os
import time
from datetime import timedelta

from flask import Response, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.db import utcnow

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10)

HTTP_REQUESTS = Counter("omnicrm_http_requests", "API requests answered", ["method", "endpoint", "status"],
                        registry=None)
HTTP_LATENCY = Histogram("omnicrm_http_request_duration_seconds", "Time to answer an API request",
                         ["method", "endpoint"], buckets=LATENCY_BUCKETS, registry=None)
OCS_LATENCY = Histogram("omnicrm_ocs_call_duration_seconds", "CGRateS JSON-RPC call time", ["method"],
                        buckets=LATENCY_BUCKETS, registry=None)
OCS_ERRORS = Counter("omnicrm_ocs_call_errors", "CGRateS calls that failed", ["method", "kind"], registry=None)

JOB_STATUS_NAMES = {0: "success", 1: "running", 2: "failed", 3: "skipped"}


def observe_ocs_call(method, seconds, error_kind=None):
    OCS_LATENCY.labels(method).observe(seconds)
    if error_kind:
        OCS_ERRORS.labels(method, error_kind).inc()


class DatabaseCollector:
    """Figures every instance shares, read when Prometheus scrapes (needs the app context of the request)."""

    def collect(self):
        from omnicrm.communications.models import Communication
        from omnicrm.provisioning.models import Provision

        jobs = CounterMetricFamily("omnicrm_provisioning_jobs", "Provisioning jobs by status", labels=["status"])
        counts = dict(db.session.execute(select(Provision.provisioning_status, func.count())
                                         .group_by(Provision.provisioning_status)).all())
        for code, name in JOB_STATUS_NAMES.items():
            jobs.add_metric([name], counts.get(code, 0))
        yield jobs

        finished = db.session.execute(select(Provision.created, Provision.finished).where(
            Provision.finished >= utcnow() - timedelta(hours=1), Provision.finished.is_not(None))).all()
        durations = [max((end - start).total_seconds(), 0) for start, end in finished if start]
        yield SummaryMetricFamily("omnicrm_provisioning_job_duration_seconds",
                                  "Duration of the provisioning jobs finished in the last hour",
                                  count_value=len(durations), sum_value=sum(durations))

        yield GaugeMetricFamily("omnicrm_provisioning_queue_depth", "Provisioning jobs waiting for a worker",
                                value=_queue_depth())

        mails = CounterMetricFamily("omnicrm_emails", "E-mails by outcome", labels=["status"])
        for status, count in db.session.execute(select(Communication.status, func.count())
                                                .group_by(Communication.status)).all():
            mails.add_metric([status], count)
        yield mails


def _queue_depth():
    from omnicrm.provisioning import dispatch
    conf = dispatch.settings()
    if conf["redis_url"]:
        return len(dispatch.rq_queue(conf))
    return dispatch.local_queue_depth()


def _registry():
    """The process's metrics (or all workers' in multiprocess mode) plus the shared database figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (HTTP_REQUESTS, HTTP_LATENCY, OCS_LATENCY, OCS_ERRORS):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return registry


def _may_scrape():
    settings = current_app.config["CRM"]["monitoring"]
    token = settings.get("metrics_token") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    from omnicrm.auth.authenticate import client_ip
    try:
        address = ipaddress.ip_address(client_ip())
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(str(net), strict=False)
               for net in settings.get("metrics_allowed_ips") or ())


def install(app):
    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = getattr(g, "metrics_started", None)
        if started is not None and request.path.startswith("/crm"):
            rule = request.url_rule
            endpoint = rule.rule if rule is not None and rule.endpoint != "console" else "unmatched"
            HTTP_LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        return response

    @app.route("/metrics")
    def metrics():
        if not _may_scrape():
            return jsonify(message="Not allowed to read metrics from this address"), 403
        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)

