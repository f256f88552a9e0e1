"""tools/security_audit.py: a known vulnerability fails `make test`; an unusable advisory service is reported as
SKIPPED (the project's machines reach registries through a mirror without one) rather than failing CI."""
import json
import subprocess

import pytest

from tools import security_audit


def answer(stdout="", stderr="", returncode=0):
    return subprocess.CompletedProcess([], returncode, stdout=stdout, stderr=stderr)


@pytest.fixture
def replies(monkeypatch):
    """Feed the audit the output its tools would print, in call order."""
    queue = []
    monkeypatch.setattr(security_audit, "run", lambda command, cwd=None: queue.pop(0))
    return queue


def pip_report(*dependencies):
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_vulnerable_python_package_fails(replies, capsys):
    replies += [answer(), answer(pip_report(
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
    ), returncode=1)]
    assert security_audit.main("api") == 1
    assert "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in capsys.readouterr().out


def test_a_high_severity_bandit_finding_fails_even_when_pip_audit_passes(replies):
    replies += [answer(">> Issue: [B602:subprocess_popen_with_shell_equals_true]", returncode=1),
                answer(pip_report({"name": "flask", "version": "3.1.3", "vulns": []}))]
    assert security_audit.main("api") == 1


def test_unreachable_vulnerability_service_is_skipped_not_failed(replies, capsys):
    skipped = {"name": "flask", "version": "3.1.3", "skip_reason": "Dependency not found on PyPI"}
    replies += [answer(), answer(pip_report(skipped))]
    assert security_audit.main("api") == 0
    assert "pip-audit SKIPPED" in capsys.readouterr().out


def test_npm_high_vulnerability_fails_and_a_missing_advisory_endpoint_is_skipped(replies, capsys):
    found = {"metadata": {"vulnerabilities": {"low": 2, "moderate": 0, "high": 1, "critical": 0, "total": 3}}}
    replies.append(answer(json.dumps(found), returncode=1))
    assert security_audit.main("ui") == 1
    low_only = {"metadata": {"vulnerabilities": {"low": 2, "moderate": 1, "high": 0, "critical": 0, "total": 3}}}
    replies.append(answer(json.dumps(low_only)))
    assert security_audit.main("ui") == 0
    replies.append(answer(json.dumps({"message": "405 Method Not Allowed", "statusCode": 405}), returncode=1))
    assert security_audit.main("ui") == 0
    assert "npm audit SKIPPED" in capsys.readouterr().out
