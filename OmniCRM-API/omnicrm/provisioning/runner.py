"""Running one provisioning job: ansible-runner on localhost, one Provision_Event per task as it happens.

The same `execute_job` runs in the in-process pool and in `omnicrm worker` (RQ), so events, tokens, timeouts
and the end state are identical in both modes.
"""
import functools
import json
import logging
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import ansible_runner
import yaml
from flask import current_app
from sqlalchemy import select, update

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth.identity import first_admin_user
from omnicrm.auth.models import User
from omnicrm.auth.tokens import revoke
from omnicrm.common.safe_log import log_unexpected
from omnicrm.db import utcnow
from omnicrm.provisioning import job_tokens, playbooks
from omnicrm.provisioning.models import (STATUS_FAILED, STATUS_RUNNING, STATUS_SKIPPED, STATUS_SUCCESS,
                                         Provision, ProvisionEvent)
from omnicrm.provisioning.redaction import Redactor, inventory_secret_values, secret_values

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
MAX_RESULT_CHARS = 200_000
MAX_SCOPED_ITEMS = 200  # keeps the job token a header-sized JWT
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
        "olt": {"api_url": (config.get("olt") or {}).get("api_url") or ""},
        "service_types": config.get("service_types") or [],
    }


def _token_subject(job):
    """Who the job acts for in the activity log: the initiating user while active, else the first admin (API keys,
    whitelisted systems). The token's permissions never come from this user (job_tokens)."""
    user = db.session.get(User, job.initiating_user) if job.initiating_user else None
    if user is None or user.deleted or not user.active:
        user = first_admin_user()
    return user


def mint_job_token(job, variables, timeout_seconds):
    """A JWT with the Provisioning role for this job's customer, valid for the longest this job can run; revoked as
    soon as the job ends."""
    user = _token_subject(job)
    if user is None:
        return None, None
    return job_tokens.mint(job, user, _reachable_inventory(job, variables), timeout_seconds)


def revoke_job_token(claims):
    if claims is None:
        return
    from datetime import datetime, timezone
    try:
        revoke(claims["jti"], datetime.fromtimestamp(claims["exp"], timezone.utc).replace(tzinfo=None))
    except Exception as error:  # noqa: BLE001 - a revocation failure must not hide the job result; the token expires
        log_unexpected(log, error, "could not revoke the token of a provisioning job")


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
        except Exception as error:  # noqa: BLE001 - recording must never break the run; the job outcome still lands
            db.session.rollback()
            log_unexpected(log, error, "could not record provisioning event for job %s", self.provision_id)
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
        self.redactor.learn(res)
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
        """The heartbeat, in the current transaction, when the last is HEARTBEAT_SECONDS old (not on every event:
        the reaper only needs one within `stale_after_seconds`)."""
        if time.monotonic() - self.last_heartbeat < HEARTBEAT_SECONDS:
            return False
        db.session.execute(update(Provision).where(Provision.provision_id == self.provision_id)
                           .values(heartbeat=utcnow()))
        self.last_heartbeat = time.monotonic()
        return True

    def heartbeat(self):
        """Called by ansible-runner every few seconds (its cancel callback): keeps the job visibly alive."""
        try:
            if self._touch():
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


class _UnsafeDumper(yaml.SafeDumper):
    """Writes every string as `!unsafe`: Ansible then never templates a variable's value (a request's
    "{{ lookup('pipe', ...) }}" stays text), while `{{ name }}` in the playbook still reads it."""


def _plain_keys(dumper, mapping):
    return yaml.MappingNode("tag:yaml.org,2002:map", [
        (dumper.represent_scalar("tag:yaml.org,2002:str", str(key)), dumper.represent_data(value))
        for key, value in mapping.items()])


_UnsafeDumper.add_representer(str, lambda dumper, text: dumper.represent_scalar("!unsafe", text, style='"'))
_UnsafeDumper.add_representer(dict, _plain_keys)


def write_extravars(private_dir, variables):
    """env/extravars (mode 0600) instead of `-e` on the command line, where `ps` would show the token."""
    env_dir = os.path.join(private_dir, "env")
    os.makedirs(env_dir, mode=0o700, exist_ok=True)
    path = os.path.join(env_dir, "extravars")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        yaml.dump(json.loads(json.dumps(variables, default=str)), handle, Dumper=_UnsafeDumper,
                  allow_unicode=True, sort_keys=False)
    return path


def write_guard(private_dir):
    """The job's copy of process_guard.py, started by ansible-runner instead of ansible-playbook. `-IS`: it needs
    only the standard library, and skipping site-packages (.pth hooks) and the environment halves its start-up."""
    path = os.path.join(private_dir, "ansible-playbook-guard")
    source = (Path(__file__).parent / "process_guard.py").read_text()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o700)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"#!{sys.executable} -IS\n{source}")
    return path


class Deadline:
    """ansible-runner's cancel callback: the job's heartbeat, and its timeout. At the timeout the guard is asked to
    kill every process of the job (ansible-runner's own timeout kills one process group, which Ansible's workers
    have left)."""

    def __init__(self, recorder, seconds, pidfile):
        self.recorder, self.pidfile = recorder, pidfile
        self.ends = time.monotonic() + seconds
        self.timed_out = False

    def __call__(self):
        self.recorder.heartbeat()
        if time.monotonic() < self.ends:
            return False
        self.timed_out = True
        self._stop_guard()
        return True

    def _stop_guard(self):
        try:
            pid = int(Path(self.pidfile).read_text())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return  # not started or already gone
        give_up = time.monotonic() + 5
        while time.monotonic() < give_up:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return
            if state == "Z":
                return
            time.sleep(0.05)


@functools.cache
def _warn_if_root():
    """Once per process: playbooks must not run as root (README, 'Command line')."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        log.warning("provisioning playbooks run as root: run the API and workers as a service user "
                    "(README, 'Command line')")


def run_playbook(path, variables, recorder, timeout_seconds):
    """ansible-runner in a private directory removed afterwards (it holds the extravars, token included)."""
    _warn_if_root()
    private_dir = tempfile.mkdtemp(prefix="omnicrm-provision-")
    try:
        write_extravars(private_dir, variables)
        pidfile = os.path.join(private_dir, "guard.pid")
        deadline = Deadline(recorder, timeout_seconds, pidfile)
        runner = ansible_runner.run(
            private_data_dir=private_dir, binary=write_guard(private_dir), cmdline=shlex.quote(str(path)),
            inventory=f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}",
            event_handler=recorder, cancel_callback=deadline, quiet=True,
            envvars={"PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""), "ANSIBLE_NOCOLOR": "1",
                     "OMNICRM_GUARD_PIDFILE": pidfile,
                     "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
                     "ANSIBLE_LOCAL_TEMP": os.path.join(private_dir, "tmp"),
                     "ANSIBLE_DEPRECATION_WARNINGS": "0", "ANSIBLE_PYTHON_INTERPRETER": sys.executable},
            settings={"pexpect_timeout": 2})
        status = "timeout" if deadline.timed_out else runner.status
        return status, runner.rc, _read(runner.stdout), _read(runner.stderr)
    finally:
        shutil.rmtree(private_dir, ignore_errors=True)


def _selected_inventory(job, variables):
    if job.product is None:
        return []
    from omnicrm.provisioning.service import parse_name_list
    return [variables[name] for name in parse_name_list(job.product.inventory_items_list)
            if isinstance(variables.get(name), int)]


def _reachable_inventory(job, variables):
    """The free items a job's token may touch: the ones the order selected, and those of its service when the run
    starts, so a deprovisioning play can still update an item after releasing it (at most MAX_SCOPED_ITEMS)."""
    ids = set(_selected_inventory(job, variables))
    if job.service_id is not None:
        from omnicrm.inventory.models import Inventory
        ids.update(db.session.scalars(select(Inventory.inventory_id).where(Inventory.service_id == job.service_id)
                                      .order_by(Inventory.inventory_id).limit(MAX_SCOPED_ITEMS)))
    return ids


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
    token, claims = mint_job_token(job, variables, timeout_seconds)
    variables["access_token"] = token or ""
    variables["crm_config"] = crm_config_for_playbooks()
    redactor = Redactor(secret_values(variables) | ({token} if token else set())
                        | inventory_secret_values(_selected_inventory(job, variables), job.customer_id, job.service_id))
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
    log.info("provisioning job %s (%s) %s", provision_id, job.provisioning_play, word)
    activity.record("provision", provision_id, f"provisioning_{word}",
                    f"Provisioning job {provision_id} ({job.provisioning_play}) {word}"
                    + (f": {reason}" if reason else ""), customer_id=job.customer_id, actor="system:provisioning")
    db.session.commit()
    if outcome == STATUS_FAILED:
        from omnicrm.provisioning.notify import send_failure_email
        from omnicrm.provisioning.chains import roll_back
        from omnicrm.services.lifecycle import renewal_failed
        send_failure_email(job)
        _follow_up(job, (roll_back, job.provision_id), (renewal_failed, job))
    elif outcome == STATUS_SUCCESS:
        from omnicrm.services.lifecycle import renewal_paid
        _follow_up(job, (renewal_paid, job))
    from omnicrm.topup.service import job_ended as topup_job_ended
    _follow_up(job, (topup_job_ended, job))  # a hotspot top-up's job: record the payment, or refund it
    return outcome


def _follow_up(job, *steps):
    """What an ended job sets off: a failed job's chain fails as a unit (its earlier parts are undone) and a failed
    renewal starts the service's grace period; a paid renewal ends it (spec 06 §11.2). A step failing (OCS down)
    is logged for staff; the job has ended either way."""
    for step, argument in steps:
        try:
            step(argument)
        except Exception as error:  # noqa: BLE001 - see above
            db.session.rollback()
            log_unexpected(log, error, "%s after job %s did not finish", step.__name__, job.provision_id)


def stale_jobs(now, stale_after_seconds):
    return db.session.scalars(select(Provision.provision_id).where(
        Provision.provisioning_status == STATUS_RUNNING,
        Provision.heartbeat < now - timedelta(seconds=stale_after_seconds))).all()
