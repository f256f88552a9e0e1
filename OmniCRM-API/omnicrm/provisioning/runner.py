"""Running one provisioning job: ansible-runner on localhost, one Provision_Event per task as it happens.

The same `execute_job` runs in the in-process pool and in `omnicrm worker` (RQ), so events, tokens, timeouts
and the end state are identical in both modes.
"""
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import ansible_runner
from flask import current_app
from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import select, update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import first_admin_user
from omnicrm.auth.models import User
from omnicrm.auth.tokens import revoke
from omnicrm.db import utcnow
from omnicrm.provisioning import playbooks
from omnicrm.provisioning.models import (STATUS_FAILED, STATUS_RUNNING, STATUS_SKIPPED, STATUS_SUCCESS,
                                         Provision, ProvisionEvent)
from omnicrm.provisioning.redaction import Redactor, secret_values

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
TOKEN_GRACE_SECONDS = 300
MAX_RESULT_CHARS = 200_000
OUTPUT_TAIL_CHARS = 20_000
VENV_BIN = str(Path(sys.executable).parent)
RESULT_EVENTS = {"runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable"}
TASK_START_EVENTS = {"playbook_on_task_start", "playbook_on_handler_task_start"}
LIKELY_CAUSES = (  # (text in Ansible's output, causes); first match wins
    ("could not be found", ["The playbook file does not exist in the playbook directory",
                            "The product's provisioning_play is misspelt (it is the file name without .yaml)"]),
    ("is undefined", ["A variable used at play level is not defined: check the product's provisioning_json_vars "
                      "and the request variables",
                      "A typo in a variable name"]),
    ("yaml parsing failed", ["A YAML syntax error in the playbook (indentation, unclosed quote or bracket)",
                             "Tabs instead of spaces"]),
    ("syntax", ["Invalid playbook structure (unknown keyword or module)"]),
)
GENERIC_CAUSES = ["ansible-playbook could not start: check that Ansible is installed for the worker",
                  "The playbook directory is not readable by the worker",
                  "An error in the playbook that stops it before its first task"]


def crm_config_for_playbooks():
    """The part of crm_config.yaml a playbook may read (`crm_config.crm.base_url`, `crm_config.ocs.*`): no
    secrets. The CGRateS endpoint is offered under every spelling the guide uses (OCS, 0CS, cgrates)."""
    config = current_app.config["CRM"]
    ocs = config.get("ocs") or {}
    endpoint = ocs.get("cgrates")
    return {
        "crm": {"base_url": config["crm"]["base_url"]},
        "ocs": {"ocsApi": ocs.get("ocsApi"), "ocsTenant": ocs.get("ocsTenant"), "cgrates": endpoint,
                "OCS": endpoint, "0CS": endpoint},
        "hss": {"hss_peers": (config.get("hss") or {}).get("hss_peers") or [],
                "apn_list": (config.get("hss") or {}).get("apn_list"),
                "deprovision_subscriber": (config.get("hss") or {}).get("deprovision_subscriber", True) is not False},
        "smsc": {"source_msisdn": (config.get("smsc") or {}).get("source_msisdn"),
                 "smsc_url": (config.get("smsc") or {}).get("smsc_url")},
        "service_types": config.get("service_types") or [],
    }


def _token_subject(job):
    """Staff act as themselves; automated callers (no user) and customer self-care orders act as the first
    admin, because the playbook must create services, transactions and inventory assignments a customer
    account may not write."""
    user = db.session.get(User, job.initiating_user) if job.initiating_user else None
    if user is None or user.deleted or not user.active or user.contact_id is not None:
        user = first_admin_user()
    return user


def mint_job_token(job, timeout_seconds):
    """A JWT valid for the longest this job can run, naming the job; revoked as soon as the job ends."""
    user = _token_subject(job)
    if user is None:
        return None, None
    token = create_access_token(identity=str(user.id),
                                additional_claims={"type_of_user": "user", "provision_id": job.provision_id},
                                expires_delta=timedelta(seconds=timeout_seconds + TOKEN_GRACE_SECONDS))
    return token, decode_token(token)


def revoke_job_token(claims):
    if claims is None:
        return
    from datetime import datetime, timezone
    try:
        revoke(claims["jti"], datetime.fromtimestamp(claims["exp"], timezone.utc).replace(tzinfo=None))
    except Exception:  # noqa: BLE001 - a revocation failure must not hide the job result; the token expires
        log.exception("could not revoke the token of a provisioning job")


class EventRecorder:
    """ansible-runner event handler: a row at task start (status 1), updated with the result when it ends."""

    def __init__(self, provision_id, redactor):
        self.provision_id = provision_id
        self.redactor = redactor
        self.rows = {}
        self.number = 0
        self.results = 0
        self.last_heartbeat = 0.0

    def __call__(self, event):
        kind = event.get("event")
        data = event.get("event_data") or {}
        try:
            if kind in TASK_START_EVENTS:
                self._start(data)
            elif kind in RESULT_EVENTS:
                self._finish(kind, data)
        except Exception:  # noqa: BLE001 - recording must never break the run; the job outcome still lands
            db.session.rollback()
            log.exception("could not record provisioning event for job %s", self.provision_id)
        return False  # nothing needs the artifact copy of the event

    def _start(self, data):
        self.number += 1
        row = ProvisionEvent(provision_id=self.provision_id, event_number=self.number,
                             event_name=self._name(data), provisioning_status=STATUS_RUNNING)
        db.session.add(row)
        self._touch()
        db.session.commit()
        self.rows[data.get("task_uuid")] = row

    def _finish(self, kind, data):
        row = self.rows.get(data.get("task_uuid"))
        if row is None:
            self._start(data)
            row = self.rows[data.get("task_uuid")]
        if kind == "runner_on_ok" or kind == "runner_on_skipped":
            status = STATUS_SUCCESS
        else:
            status = STATUS_SKIPPED if data.get("ignore_errors") else STATUS_FAILED
        res = {k: v for k, v in (data.get("res") or {}).items() if not str(k).startswith("_ansible")}
        result = {"task": data.get("task"), "action": data.get("task_action"), "host": data.get("host"),
                  "outcome": kind[len("runner_on_"):], "duration": data.get("duration"),
                  "ignore_errors": bool(data.get("ignore_errors")), "result": res}
        row.provisioning_status = status
        row.provisioning_result_json = self.dump(result)
        self.results += 1
        self._touch()
        db.session.commit()

    def dump(self, value):
        text = json.dumps(self.redactor.data(value), default=str)
        if len(text) > MAX_RESULT_CHARS:
            text = json.dumps({"truncated": True, "preview": text[:MAX_RESULT_CHARS]})
        return text

    def _name(self, data):
        return self.redactor.text(str(data.get("task") or data.get("name") or "(unnamed task)"))[:500]

    def _touch(self):
        db.session.execute(update(Provision).where(Provision.provision_id == self.provision_id)
                           .values(heartbeat=utcnow()))
        self.last_heartbeat = time.monotonic()

    def heartbeat(self):
        """Called by ansible-runner every few seconds (its cancel callback): keeps the job visibly alive."""
        if time.monotonic() - self.last_heartbeat >= HEARTBEAT_SECONDS:
            try:
                self._touch()
                db.session.commit()
            except Exception:  # noqa: BLE001 - a missed heartbeat is retried on the next call
                db.session.rollback()
        return False

    def add(self, name, status, result):
        self.number += 1
        db.session.add(ProvisionEvent(provision_id=self.provision_id, event_number=self.number,
                                      event_name=name, provisioning_status=status,
                                      provisioning_result_json=self.dump(result)))
        db.session.commit()


def _read(handle):
    if handle is None:
        return ""
    try:
        handle.seek(0)
        return handle.read()
    except (OSError, ValueError):
        return ""


def _tail(text):
    return text if len(text) <= OUTPUT_TAIL_CHARS else "…" + text[-OUTPUT_TAIL_CHARS:]


def likely_causes(output):
    lower = output.lower()
    for needle, causes in LIKELY_CAUSES:
        if needle in lower:
            return causes
    return GENERIC_CAUSES


def run_playbook(path, variables, recorder, timeout_seconds):
    """ansible-runner in a private directory removed afterwards (it holds the extravars, token included)."""
    private_dir = tempfile.mkdtemp(prefix="omnicrm-provision-")
    try:
        runner = ansible_runner.run(
            private_data_dir=private_dir, playbook=str(path),
            inventory=f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}",
            extravars=variables, event_handler=recorder, cancel_callback=recorder.heartbeat,
            timeout=timeout_seconds, quiet=True,
            envvars={"PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""), "ANSIBLE_NOCOLOR": "1",
                     "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
                     "ANSIBLE_LOCAL_TEMP": os.path.join(private_dir, "tmp"),
                     "ANSIBLE_DEPRECATION_WARNINGS": "0", "ANSIBLE_PYTHON_INTERPRETER": sys.executable},
            settings={"pexpect_timeout": 2})
        return runner.status, runner.rc, _read(runner.stdout), _read(runner.stderr)
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)


def execute_job(provision_id):
    """Run a queued job to its end state (0 or 2). Safe to call twice: only a job at status 1 with no start runs."""
    claimed = db.session.execute(
        update(Provision).where(Provision.provision_id == provision_id,
                                Provision.provisioning_status == STATUS_RUNNING, Provision.heartbeat.is_(None))
        .values(heartbeat=utcnow())).rowcount
    db.session.commit()
    if not claimed:
        log.info("provisioning job %s is not waiting to run; skipped", provision_id)
        return None
    job = db.session.get(Provision, provision_id)
    config = current_app.config["CRM"]["provisioning"]
    timeout_seconds = int(config["timeout_seconds"])
    variables = json.loads(job.provisioning_json_vars or "{}")
    token, claims = mint_job_token(job, timeout_seconds)
    variables["access_token"] = token or ""
    variables["crm_config"] = crm_config_for_playbooks()
    redactor = Redactor(secret_values(variables) | ({token} if token else set()))
    recorder = EventRecorder(provision_id, redactor)
    path = playbooks.playbook_path(job.provisioning_play)
    try:
        try:
            status, rc, stdout, stderr = run_playbook(path, variables, recorder, timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - ansible-runner could not even start: a fatal-error event
            db.session.rollback()
            status, rc, stdout, stderr = "error", None, "", f"{type(exc).__name__}: {exc}"
        db.session.rollback()
        if status == "successful":
            outcome = STATUS_SUCCESS
        elif status == "timeout":
            outcome = STATUS_FAILED
            recorder.add("Provisioning timed out", STATUS_FAILED, {
                "message": f"The playbook did not finish within {timeout_seconds} seconds and was stopped "
                           "(provisioning.timeout_seconds)", "timeout_seconds": timeout_seconds,
                "stdout": _tail(stdout)})
        else:
            outcome = STATUS_FAILED
            if recorder.results == 0:
                recorder.add("Playbook could not run", STATUS_FAILED, {
                    "fatal_error": True, "playbook": job.provisioning_play, "playbook_path": str(path),
                    "exit_code": rc, "runner_status": status, "stdout": _tail(stdout), "stderr": _tail(stderr),
                    "likely_causes": likely_causes(stdout + "\n" + stderr), "variables": variables})
    finally:
        revoke_job_token(claims)
    result = finish_job(provision_id, outcome)
    if result == STATUS_SUCCESS:
        from omnicrm.provisioning.chains import advance
        advance(provision_id)
    return result


def finish_job(provision_id, outcome, reason=None):
    """Set the end state once (a reaped job is not flipped back), close open task rows, log and notify."""
    db.session.execute(update(ProvisionEvent).where(ProvisionEvent.provision_id == provision_id,
                                                    ProvisionEvent.provisioning_status == STATUS_RUNNING)
                       .values(provisioning_status=STATUS_FAILED))
    changed = db.session.execute(
        update(Provision).where(Provision.provision_id == provision_id,
                                Provision.provisioning_status == STATUS_RUNNING)
        .values(provisioning_status=outcome, finished=utcnow(), last_modified=utcnow())).rowcount
    if not changed:
        db.session.commit()
        return None
    job = db.session.get(Provision, provision_id)
    db.session.refresh(job)
    if outcome == STATUS_SUCCESS and job.service_id is None:
        from omnicrm.provisioning.chains import created_service_id
        job.service_id = created_service_id(job)  # the job page and the console link to what it created
    word = "succeeded" if outcome == STATUS_SUCCESS else "failed"
    activity.record("provision", provision_id, f"provisioning_{word}",
                    f"Provisioning job {provision_id} ({job.provisioning_play}) {word}"
                    + (f": {reason}" if reason else ""), customer_id=job.customer_id, actor="system:provisioning")
    db.session.commit()
    if outcome == STATUS_FAILED:
        from omnicrm.provisioning.notify import send_failure_email
        send_failure_email(job)
        _after_failure(job)
    return outcome


def _after_failure(job):
    """What a failed job sets off: a chain fails as a unit (its earlier parts are undone), and a failed renewal
    starts the service's grace period (spec 06 §11.2). Either failing (OCS down) is logged for staff; the job has
    ended either way."""
    from omnicrm.provisioning.chains import roll_back
    from omnicrm.services.lifecycle import renewal_failed
    for follow_up, argument in ((roll_back, job.provision_id), (renewal_failed, job)):
        try:
            follow_up(argument)
        except Exception:  # noqa: BLE001 - see above
            db.session.rollback()
            log.exception("%s after failed job %s did not finish", follow_up.__name__, job.provision_id)


def stale_jobs(now, stale_after_seconds):
    return db.session.scalars(select(Provision.provision_id).where(
        Provision.provisioning_status == STATUS_RUNNING,
        Provision.heartbeat < now - timedelta(seconds=stale_after_seconds))).all()
