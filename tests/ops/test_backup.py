"""`omnicrm backup` / `omnicrm restore`: dump, restore into an empty database, the app starts on it and the data is
there (money exact, times UTC); refusals leave the target untouched."""
import gzip
import json
import os
import stat
import uuid

import pytest
from sqlalchemy import create_engine, func, select

from omnicrm import db
from omnicrm.cli import main as omnicrm_cli
from omnicrm.cli import upgrade_schema
from omnicrm.customers.models import Customer
from omnicrm.ops.backup import BackupError, backup, restore
from tests.billing.test_invoices import JANUARY, world  # noqa: F401 - fixture
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, _mariadb_database, bearer, login


@pytest.fixture
def empty_databases(tmp_path):
    """A factory of new, migrated, empty databases (SQLite files or MariaDB databases) -> engine."""
    created = []

    def make():
        if os.environ.get("OMNICRM_TEST_DB", "sqlite") == "sqlite":
            url = f"sqlite:///{tmp_path / f'restore-{uuid.uuid4().hex[:6]}.db'}"
        else:
            name = f"omnicrm_restore_{uuid.uuid4().hex[:8]}"
            conn, url = _mariadb_database(name)
            with conn.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            created.append((conn, name))
        upgrade_schema(url)
        engine = create_engine(url)
        created.append(engine)
        return engine

    yield make
    for item in created:
        if isinstance(item, tuple):
            conn, name = item
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            conn.close()
        else:
            item.dispose()


@pytest.fixture
def migrated(app, database_url):
    """The test database (built from the models) stamped at the newest revision, as `omnicrm migrate` leaves it."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from omnicrm.config import REPO_ROOT
    config = AlembicConfig(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    command.stamp(config, "head")


def count_customers(engine):
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Customer)).scalar()


def test_backup_then_restore_serves_the_same_data(app, client, admin_headers, world, empty_databases,  # noqa: F811
                                                  migrated, tmp_path):
    invoice = client.put("/crm/invoice/", json={"customer_id": world["jane"], **JANUARY}, headers=admin_headers)
    assert invoice.status_code == 200, invoice.get_json()
    before = client.get(f"/crm/invoice/{invoice.get_json()['invoice_id']}", headers=admin_headers).get_json()

    path = tmp_path / "omnicrm.backup.gz"
    result = app.test_cli_runner().invoke(omnicrm_cli, ["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # password hashes inside: owner only

    target = empty_databases()
    counts = restore(target, path)
    assert counts["Customer"] == 2 and counts["Invoice"] == 1

    with app.app_context():
        saved = db.session.get_bind()
        db.session.remove()
        db.session.configure(bind=target)
        try:
            headers = bearer(login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"])
            after = client.get(f"/crm/invoice/{before['invoice_id']}", headers=headers).get_json()
            customer = client.get(f"/crm/customer/customer_id/{world['jane']}", headers=headers).get_json()
        finally:
            db.session.remove()
            db.session.configure(bind=saved)
    assert (after["subtotal"], after["tax"], after["total"]) == (before["subtotal"], before["tax"], before["total"])
    assert [t["transaction_id"] for t in after["transactions"]] == [t["transaction_id"] for t in before["transactions"]]
    assert after["created"] == before["created"] and customer["customer_name"] == "Jane Home"


def test_restore_refuses_a_database_with_data_another_revision_or_a_damaged_file(app, world, empty_databases,  # noqa: F811
                                                                                   migrated, tmp_path):
    path = tmp_path / "b.gz"
    with app.app_context():
        backup(db.get_engine(), path)
    # Into the live database (it has data): refused by the command, nothing added.
    result = app.test_cli_runner().invoke(omnicrm_cli, ["restore", str(path)])
    assert result.exit_code == 1 and "not empty" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 2

    lines = gzip.open(path, "rt").read().splitlines()
    header = json.loads(lines[0])
    other_revision = tmp_path / "old.gz"
    with gzip.open(other_revision, "wt") as out:
        out.write("\n".join([json.dumps({**header, "revision": "0001_initial"}), *lines[1:]]) + "\n")
    damaged = tmp_path / "damaged.gz"
    with gzip.open(damaged, "wt") as out:
        out.write("\n".join([*lines[:-1], '{"t": "Customer", "r": {broken']) + "\n")

    target = empty_databases()
    with pytest.raises(BackupError, match="restore with the release that made the backup"):
        restore(target, other_revision)
    with pytest.raises(BackupError, match="damaged"):
        restore(target, damaged)
    with pytest.raises(BackupError, match="not an OmniCRM backup"):
        restore(target, _plain_file(tmp_path))
    assert count_customers(target) == 0  # every refusal left the target empty


def _plain_file(tmp_path):
    path = tmp_path / "notes.gz"
    with gzip.open(path, "wt") as out:
        out.write("hello\n")
    return path
