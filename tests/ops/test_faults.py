"""Failing shared dependencies: Redis down and database connections dropped (as a MariaDB restart drops them).
Each gives a clear 503 and the service recovers by itself once the dependency is back."""
import os

import pytest
from sqlalchemy import event, text

from omnicrm import db
from omnicrm.common import shared_state
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_down():
    shared_state.init_redis("redis://127.0.0.1:1/0")  # nothing listens there
    yield
    shared_state.init_redis(None)


def test_redis_down_is_a_503_and_recovers(client, admin_headers, redis_down):
    login = client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert login.status_code == 503
    assert "Redis" in login.get_json()["message"]
    listed = client.get("/crm/customers/", headers=admin_headers)  # the revocation check needs Redis
    assert listed.status_code == 503 and "Redis" in listed.get_json()["message"]

    shared_state.init_redis(REDIS_URL, namespace="faults-test:")  # Redis is back: no restart, no manual step
    assert client.post("/crm/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).status_code == 200
    assert client.get("/crm/customers/", headers=admin_headers).status_code == 200


@pytest.mark.skipif(os.environ.get("OMNICRM_TEST_DB", "sqlite") != "mariadb",
                    reason="SQLite has no server connections to drop")
def test_connection_killed_mid_request_is_a_503_then_the_next_request_is_served(app, client, admin_headers):
    """The server drops the connection a request is using (a MariaDB restart does this to every request in flight):
    that request is a 503 without a half-written change, and the next one gets a new connection by itself."""
    killed = []

    def kill_own_connection(conn, cursor, statement, *_):
        if not killed and statement.lstrip().upper().startswith("SELECT") and "Customer" in statement:
            connection_id = conn.connection.dbapi_connection.thread_id()
            killed.append(connection_id)
            with db.get_engine().connect() as other:
                other.execute(text(f"KILL {int(connection_id)}"))

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", kill_own_connection)
    try:
        first = client.get("/crm/customers/", headers=admin_headers)
    finally:
        event.remove(engine, "before_cursor_execute", kill_own_connection)
    assert killed
    assert first.status_code == 503
    assert first.get_json() == {"message": "The database is unavailable, try again shortly."}
    assert client.get("/crm/customers/", headers=admin_headers).status_code == 200
