"""With Redis configured, revocations and login rate limits live in Redis (shared by every API server).

Each test uses its own key namespace in the shared database and deletes only its own keys, so parallel runs
(other workers, other checkouts) never disturb each other."""
import uuid

import pytest
import redis

from omnicrm.common import shared_state
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login

REDIS_URL = "redis://127.0.0.1:6379/15"


class NamespacedRedis:
    """The test's view of Redis: only the keys of its own namespace."""

    def __init__(self, client, namespace):
        self.client, self.namespace = client, namespace

    def keys(self, pattern):
        return [k.decode()[len(self.namespace):] for k in self.client.scan_iter(self.namespace + pattern)]

    def ttl(self, key):
        return self.client.ttl(self.namespace + key)

    def delete_own_keys(self):
        for key in self.client.scan_iter(self.namespace + "*"):
            self.client.delete(key)


@pytest.fixture
def with_redis(app):
    view = NamespacedRedis(redis.Redis.from_url(REDIS_URL), f"test-{uuid.uuid4().hex}:")
    shared_state.init_redis(REDIS_URL, namespace=view.namespace)
    yield view
    shared_state.init_redis(None)
    view.delete_own_keys()


def test_logout_revocation_is_stored_in_redis(client, with_redis):
    session = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    headers = bearer(session["token"])
    client.post("/crm/auth/logout", headers=headers, json={"refresh_token": session["refresh_token"]})
    keys = with_redis.keys("omnicrm:revoked:*")
    assert len(keys) == 2
    assert 0 < with_redis.ttl(keys[0]) <= 30 * 86400
    assert client.get("/crm/auth/me", headers=headers).status_code == 401


def test_health_reports_redis(client, with_redis):
    assert client.get("/crm/health").get_json()["redis"] == "ok"


def test_login_rate_limit_counts_in_redis(client, with_redis, app):
    app.config["CRM"]["security"]["login_rate_limit_per_minute"] = 2
    try:
        codes = [client.post("/crm/auth/login", json={"email": "a@b.co", "password": "x"}).status_code
                 for _ in range(3)]
    finally:
        app.config["CRM"]["security"]["login_rate_limit_per_minute"] = 20
    assert codes == [401, 401, 429]
    assert with_redis.keys("omnicrm:login-rate:*")


def test_health_reports_redis_down(client, app):
    shared_state.init_redis("redis://127.0.0.1:1/0")
    try:
        response = client.get("/crm/health")
    finally:
        shared_state.init_redis(None)
    assert response.status_code == 503 and response.get_json()["redis"].startswith("error")
