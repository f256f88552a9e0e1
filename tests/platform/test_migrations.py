"""The Alembic history builds exactly the schema the models describe, on the database under test."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from omnicrm.db import Base
from omnicrm.cli import run_migrations
from tests.conftest import _mariadb_database


@pytest.fixture
def empty_database_url(tmp_path):
    if os.environ.get("OMNICRM_TEST_DB", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    name = f"omnicrm_mig_{uuid.uuid4().hex[:8]}"
    conn, url = _mariadb_database(name)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    yield url
    with conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    conn.close()


def test_migrations_match_models(app, empty_database_url):
    from omnicrm import db
    engine = create_engine(empty_database_url)
    with app.app_context():
        saved = db.session.get_bind()
        db.session.remove()
        db.session.configure(bind=engine)
        try:
            run_migrations(empty_database_url)
            db.session.remove()
        finally:
            db.session.configure(bind=saved)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"})
        differences = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert set(Base.metadata.tables) <= tables
