"""Shared state for counters and revocations: Redis when configured, else the process (embedded mode)."""
import threading
import time

import redis as redis_lib

_redis_client = None
_namespace = ""


def init_redis(url, namespace=""):
    """Use Redis at `url`; every key gets `namespace` in front, so deployments (or test runs) sharing one Redis
    database never see each other's counters and revocations."""
    global _redis_client, _namespace
    _redis_client = redis_lib.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) if url else None
    _namespace = namespace
    return _redis_client


def redis_client():
    return _redis_client


def redis_key(name):
    return _namespace + name


class _LocalCounters:
    """Fixed-window counters for a single process, used when Redis is not configured."""

    def __init__(self):
        self._lock = threading.Lock()
        self._windows = {}

    def hit(self, key, window_seconds):
        now = time.monotonic()
        with self._lock:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= window_seconds:
                started, count = now, 0
            count += 1
            self._windows[key] = (started, count)
            return count

    def clear(self):
        with self._lock:
            self._windows.clear()


_local = _LocalCounters()


def hit_counter(key, window_seconds):
    """Count one event in the current window and return the count so far."""
    client = redis_client()
    if client is None:
        return _local.hit(key, window_seconds)
    key = redis_key(key)
    pipe = client.pipeline()
    pipe.incr(key)
    pipe.expire(key, window_seconds, nx=True)
    count, _ = pipe.execute()
    return int(count)


def reset_local_counters():
    _local.clear()
