"""localstripe (PyPI) without its shared state file.

localstripe keeps its whole store in /tmp/localstripe.pickle, loads it at start and rewrites it on every write: two
localstripe processes on one machine (parallel test sessions, the demo) would read each other's half-written file
and fail to start, and a test session would start with an earlier one's objects. This runs the same server with
the store in memory only, or in the file named by LOCALSTRIPE_STORE (the demo keeps var/localstripe.pickle).

    python -m tools.dev.localstripe_private --port 8420
"""
import os
import pickle
import sys

from localstripe import resources, server

_path = os.environ.get("LOCALSTRIPE_STORE")


def _load(store):
    if not _path:
        return
    try:
        with open(_path, "rb") as handle:
            old = pickle.load(handle)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError):
        return
    store.clear()
    store.update(old)


def _dump(store):
    if not _path:
        return
    temporary = f"{_path}.tmp"
    with open(temporary, "wb") as handle:
        pickle.dump(store, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, _path)


resources.Store.try_load_from_disk = _load
resources.Store.dump_to_disk = _dump

if __name__ == "__main__":
    sys.argv[0] = "localstripe"
    sys.exit(server.start())
