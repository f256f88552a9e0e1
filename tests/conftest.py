"""Shared fixtures: one app per test session on SQLite or MariaDB (OMNICRM_TEST_DB), clean tables per test,
real logins over HTTP."""
import os
import uuid

import pymysql
import pytest
from sqlalchemy import select

from omnicrm import create_app, db
from omnicrm.auth.models import Permission, Role
from omnicrm.auth.permissions import sync_catalogue
from omnicrm.common.shared_state import reset_local_counters
from omnicrm.config import load_config
from omnicrm.db import Base
from omnicrm.seed import ensure_admin

pytest_plugins = ["tests.fixtures.cgrates", "tests.fixtures.localstripe"]

TEST_JWT_SECRET = "t" * 64
TEST_ENCRYPTION_KEY = "e" * 48
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin123!"
MARIADB_SERVER = os.environ.get("OMNICRM_TEST_MARIADB", "root@127.0.0.1:3306")


def test_environ(**extra):
    """The environment a test configuration is built from (never the developer's own .env)."""
    environ = {"JWT_SECRET": TEST_JWT_SECRET, "OMNICRM_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
               "OMNICRM__SECURITY__BCRYPT_ROUNDS": "4"}
    environ.update({k: str(v) for k, v in extra.items()})
    return environ


def make_config(**extra):
    return load_config(environ=test_environ(**extra))


def _mariadb_database(name):
    """A server connection (to create/drop `name`) and the SQLAlchemy URL of that database."""
    user, host_port = MARIADB_SERVER.split("@")
    host, port = host_port.split(":")
    password = os.environ.get("OMNICRM_TEST_MARIADB_PASSWORD", "")
    conn = pymysql.connect(host=host, port=int(port), user=user, password=password)
    return conn, f"mysql+pymysql://{user}:{password}@{host}:{port}/{name}?charset=utf8mb4"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    backend = os.environ.get("OMNICRM_TEST_DB", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'omnicrm_test.db'}"
        return
    if backend != "mariadb":
        raise pytest.UsageError("OMNICRM_TEST_DB must be sqlite or mariadb")
    name = f"omnicrm_test_{uuid.uuid4().hex[:10]}"
    conn, url = _mariadb_database(name)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield url
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture(scope="session")
def app(database_url):
    application = create_app(make_config(), database_url=database_url)
    Base.metadata.create_all(db.get_engine())
    with application.app_context():
        sync_catalogue(db.session)
        db.session.commit()
    yield application
    from omnicrm.provisioning.dispatch import stop_background
    stop_background()  # before the test database is dropped


def _wipe():
    session = db.session
    session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in ("Permission",):
            continue
        session.execute(table.delete())
    # The dashboard's totals are kept by triggers on Invoice/Service/Inventory: clear them once those rows are gone.
    for name in ("Dashboard_Invoice_Total", "Dashboard_Service_Count", "Dashboard_Stock_Count"):
        session.execute(Base.metadata.tables[name].delete())
    session.commit()


@pytest.fixture(autouse=True)
def clean_state(request):
    """Every test starts with the permission catalogue, the default roles and one admin, and nothing else."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _wipe()
        sync_catalogue(db.session)
        ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD, username="admin")
    reset_local_counters()
    yield
    # The reaper's scheduled jobs (reminders, outbox, lifecycle) must not act on the next test's rows.
    from omnicrm.provisioning.dispatch import stop_reaper
    stop_reaper()
    db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, email, password, **extra):
    response = client.post("/crm/auth/login", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


class AuthHeaders(dict):
    """Request headers that also remember who they log in as."""

    def __init__(self, headers, **info):
        super().__init__(headers)
        self.__dict__.update(info)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_headers(client):
    return bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"])


@pytest.fixture
def make_user(app, client):
    """Create a user with exactly `permissions` (through a fresh role) and return its auth headers."""
    counter = {"n": 0}

    def factory(permissions=(), roles=(), contact_id=None, password="Passw0rd!x"):
        counter["n"] += 1
        n = counter["n"]
        with app.app_context():
            role_objs = list(db.session.scalars(select(Role).where(Role.name.in_(roles)))) if roles else []
            if permissions:
                perms = list(db.session.scalars(select(Permission).where(Permission.name.in_(permissions))))
                assert len(perms) == len(set(permissions)), f"unknown permission in {permissions}"
                role = Role(name=f"test-role-{n}-{uuid.uuid4().hex[:6]}", permissions=perms)
                db.session.add(role)
                role_objs.append(role)
            from omnicrm.auth.models import User
            from omnicrm.auth.passwords import hash_password
            user = User(username=f"user{n}", email=f"user{n}@example.com", password=hash_password(password),
                        first_name="Test", last_name=f"User{n}", roles=role_objs, contact_id=contact_id)
            db.session.add(user)
            db.session.commit()
            user_id = user.id
        session = login(client, f"user{n}@example.com", password)
        return AuthHeaders(bearer(session["token"]), user_id=user_id, email=f"user{n}@example.com",
                           password=password, session=session)

    return factory
