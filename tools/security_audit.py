"""Security gates of `make test`: bandit and pip-audit for the API, npm audit for the console.

    python tools/security_audit.py api   # bandit (fails on high severity) + pip-audit of the installed venv
    python tools/security_audit.py ui    # npm audit --omit=dev --audit-level=high in OmniCRM-UI

A finding fails the run. When the vulnerability service itself cannot be used (no network, or a registry
mirror without the advisory endpoint) the audit is reported as SKIPPED with the reason instead of failing:
the machines this project runs on reach the package registries only through such a mirror (docs/decisions.md,
"Security audits"). Accepted findings are listed in ACCEPTED with their reason, and in docs/decisions.md.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
# Vulnerability id -> why it is accepted (keep in step with docs/decisions.md). None today.
ACCEPTED = {}


def run(command, cwd=ROOT):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def bandit():
    """Static analysis of the API code; high-severity findings fail (`# nosec` needs a reason next to it)."""
    result = run([str(BIN / "bandit"), "-r", "OmniCRM-API/omnicrm", "-q", "--severity-level", "high",
                  "--confidence-level", "medium"])
    print(result.stdout.strip() or "bandit: no high-severity findings")
    if result.stderr.strip():
        print(result.stderr.strip())
    return result.returncode == 0


def pip_audit():
    """Known vulnerabilities in every package installed in the venv (runtime and test tools)."""
    command = [str(BIN / "pip-audit"), "--local", "--skip-editable", "--format", "json",
               "--progress-spinner", "off"]
    for vulnerability in ACCEPTED:
        command += ["--ignore-vuln", vulnerability]
    result = run(command)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(f"pip-audit SKIPPED: the vulnerability service could not be used\n{result.stderr.strip()[-500:]}")
        return True
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        reason = dependencies[0]["skip_reason"] if dependencies else "nothing to audit"
        print(f"pip-audit SKIPPED: the vulnerability service answered for no package ({reason})")
        return True
    vulnerable = [(d["name"], d["version"], v["id"], v.get("fix_versions")) for d in audited for v in d["vulns"]]
    for name, version, vulnerability, fixes in vulnerable:
        print(f"pip-audit: {name} {version}: {vulnerability} (fixed in {', '.join(fixes or []) or '-'})")
    print(f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} known vulnerabilities")
    return not vulnerable


def npm_audit():
    """Known high/critical vulnerabilities in the console's runtime dependencies."""
    result = run(["npm", "audit", "--omit=dev", "--audit-level=high", "--json"], cwd=ROOT / "OmniCRM-UI")
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = {}
    counts = report.get("metadata", {}).get("vulnerabilities")
    if counts is None:
        reason = report.get("message") or report.get("error", {}).get("summary") or result.stderr.strip()[-300:]
        print(f"npm audit SKIPPED: the registry's advisory service could not be used ({reason})")
        return True
    print("npm audit: " + ", ".join(f"{n} {level}" for level, n in counts.items() if level != "total"))
    return counts.get("high", 0) + counts.get("critical", 0) == 0


def main(target):
    checks = {"api": (bandit, pip_audit), "ui": (npm_audit,)}[target]
    results = [check() for check in checks]  # run every check, then fail if any failed
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "api"))
