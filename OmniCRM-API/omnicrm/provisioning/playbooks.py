"""Where playbooks live and what the engine reads from them before running: task count and play name."""
import re
from pathlib import Path

import yaml
from flask import current_app

from omnicrm.config import REPO_ROOT

PLAY_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}$")
TASK_LISTS = ("pre_tasks", "tasks", "post_tasks")
INCLUDE_ACTIONS = ("import_tasks", "include_tasks", "ansible.builtin.import_tasks",
                   "ansible.builtin.include_tasks")


def playbook_dir():
    configured = Path(current_app.config["CRM"]["provisioning"]["playbook_dir"])
    return configured if configured.is_absolute() else REPO_ROOT / configured


def valid_play_name(name):
    return isinstance(name, str) and bool(PLAY_NAME_RE.match(name)) and ".." not in name


def playbook_path(play_name):
    """Absolute path of Provisioners/plays/<play>.yaml (the name is checked: no path tricks)."""
    name = play_name[:-5] if play_name.endswith(".yaml") else play_name
    return playbook_dir() / f"{name}.yaml"


YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_parsed = {}  # path -> ((mtime_ns, size), data): every order and every chained job reads its playbooks again


def _load(path):
    """The parsed YAML of a playbook or task file (read-only: shared between callers), parsed again only when the
    file changed."""
    try:
        stat = Path(path).stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = _parsed.get(str(path))
        if cached is not None and cached[0] == key:
            return cached[1]
        data = yaml.load(Path(path).read_text(), Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError):
        return None
    _parsed[str(path)] = (key, data)
    return data


def _count(tasks, base_dir, depth=0):
    """Tasks that run on the success path: block bodies and included task files count, rescue/always do not
    (they only run on failure or deprovision)."""
    total = 0
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        if "block" in task:
            total += _count(task["block"], base_dir, depth)
            continue
        action = next((a for a in INCLUDE_ACTIONS if a in task), None)
        if action and depth < 5:
            target = task[action]
            target = target.get("file") if isinstance(target, dict) else target
            if isinstance(target, str) and "{{" not in target:
                included = _load(Path(base_dir) / target)
                if isinstance(included, list):
                    total += _count(included, (Path(base_dir) / target).parent, depth + 1)
                    continue
        total += 1
    return total


def describe(path):
    """(task_count, play name) of a playbook; (0, None) when it cannot be read (the run will report why)."""
    data = _load(path)
    if not isinstance(data, list):
        return 0, None
    plays = [p for p in data if isinstance(p, dict)]
    count = sum(_count(p.get(key), Path(path).parent) for p in plays for key in TASK_LISTS)
    name = next((p.get("name") for p in plays if isinstance(p.get("name"), str)), None)
    return count, name


def chain(path):
    """The plays that run after this one, in order (spec 04 §7.9): the first play's `vars.provisioning_chain`.
    Each must be a plain play name; [] when the playbook declares none or cannot be read."""
    data = _load(path)
    plays = [p for p in data if isinstance(p, dict)] if isinstance(data, list) else []
    names = (plays[0].get("vars") or {}).get("provisioning_chain") if plays else None
    if not isinstance(names, list):
        return []
    return [name for name in names if valid_play_name(name)]
