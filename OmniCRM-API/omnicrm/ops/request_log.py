"""Every request gets an id (the caller's `X-Request-ID` when it is sane, else a new one), returned in the
response header and put on every log line; provisioning jobs keep the id of the request that created them, so a
playbook's log lines can be traced back to the click or API call that started it.

`monitoring.log_format: json` (OMNICRM_LOG_FORMAT) prints one JSON object per line for log shippers.
"""
import contextvars
import json
import logging
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# The id outside a request: a provisioning job running in a worker thread or process.
_job_request_id = contextvars.ContextVar("request_id", default=None)


def current_request_id():
    if has_request_context():
        return getattr(g, "request_id", None)
    return _job_request_id.get()


@contextmanager
def request_id_context(request_id):
    """Log lines inside carry `request_id` (used around a provisioning run)."""
    token = _job_request_id.set(request_id)
    try:
        yield
    finally:
        _job_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, and the exception's class."""

    def format(self, record):
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", "-")}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format):
    """Root logging once per process: text (the default) or JSON lines, both with the request id."""
    root = logging.getLogger()
    if any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def install(app):
    @app.before_request
    def _assign_request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _return_request_id(response):
        if getattr(g, "request_id", None):
            response.headers[HEADER] = g.request_id
        return response
