"""Alembic environment: the URL comes from the OmniCRM configuration (or the caller), the schema from the models."""
from alembic import context
from sqlalchemy import create_engine, pool

from omnicrm import models  # noqa: F401 - registers every table
from omnicrm.db import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _database_url():
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from omnicrm.config import load_config
    return load_config().database_url


def _render_item(type_, obj, autogen_context):
    """Render our UTCDateTime as a plain DateTime so migrations do not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _compare_type(context_, inspected_column, metadata_column, inspected_type, metadata_type):
    if isinstance(metadata_type, UTCDateTime):
        return inspected_type.__class__.__name__.upper() not in ("DATETIME", "TIMESTAMP")
    return None


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(_database_url(), poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", render_item=_render_item,
                      compare_type=_compare_type)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
