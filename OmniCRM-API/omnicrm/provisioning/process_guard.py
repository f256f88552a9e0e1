"""Runs ansible-playbook for one job and takes every process of the job down with it (issue 12 finding 9).

Ansible's workers call setsid(), so the job's processes do not share one process group and killing the group
ansible-runner started leaves them running (as does a killed worker: ansible-runner ignores SIGHUP for its child).
This guard sits between ansible-runner and ansible-playbook as a child subreaper, so every descendant stays in
its tree even when orphaned, and kills the whole tree when:
- the worker that started it dies (parent-death signal, and the SIGHUP of the closed terminal);
- the engine stops the job (SIGTERM, on timeout) or it is interrupted (SIGINT).
The file is copied into each job's private directory with the worker's Python in its first line; it imports
nothing from omnicrm, so it runs without the application on the path. It writes its pid to OMNICRM_GUARD_PIDFILE.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def _descendants(root):
    """Live descendants of `root`, from /proc (zombies excluded)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(name))
    found, frontier = [], [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            found.append(child)
            frontier.append(child)
    return found


def _end_tree(signum, _frame):
    """Kill every descendant, again and again until two scans in a row find none (a process may fork, or an orphan
    be handed to this subreaper, while the others are being killed; on a loaded machine that takes a while): once
    the guard exits, what is left would belong to init and live on."""
    deadline, quiet = time.monotonic() + 20, 0
    while quiet < 2 and time.monotonic() < deadline:
        processes = _descendants(os.getpid())
        quiet = 0 if processes else quiet + 1
        for pid in processes:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)
    os._exit(128 + signum)


def main():
    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _end_tree)
    if os.getppid() == 1:  # the worker died before the parent-death signal was armed
        return 1
    pidfile = os.environ.get("OMNICRM_GUARD_PIDFILE")
    if pidfile:
        with open(pidfile, "w") as handle:
            handle.write(str(os.getpid()))
    child = subprocess.Popen(["ansible-playbook", *sys.argv[1:]], restore_signals=True)
    code = child.wait()
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main())
