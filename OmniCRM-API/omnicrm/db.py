"""Database engine and session shared by the API, the CLI and the provisioning workers."""
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, Numeric, create_engine, event
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow():
    """Naive UTC 'now': every timestamp in the database is UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC; accepts aware datetimes (converted) and returns naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value


def Money():
    """Money is exact: NUMERIC(14, 4) read back as Decimal."""
    return Numeric(14, 4, asdecimal=True)




def commit_rendered(render, *args, **kwargs):
    """Flush, build the answer, then commit: an answer that cannot be built (a bug, a value the serializer
    chokes on) fails the request with nothing written, instead of a 500 over a saved row."""
    session.flush()
    body = render(*args, **kwargs)
    session.commit()
    return body


session = scoped_session(sessionmaker(expire_on_commit=False, future=True))
_engine = None


def init_engine(url, **kwargs):
    """Create the engine for `url` and bind the shared session to it."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    options = {"future": True, "pool_pre_ping": True, "hide_parameters": True}  # never in logs or tracebacks
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        options.update(pool_recycle=3600, pool_size=10, max_overflow=20)
    options.update(kwargs)
    _engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        @event.listens_for(_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
    session.remove()
    session.configure(bind=_engine)
    return _engine


def get_engine():
    return _engine


def get_or_404(model, key, label):
    """The row of `model` with primary key `key`, or the API's 404 naming what was missing."""
    from omnicrm.errors import NotFound
    row = session.get(model, key) if isinstance(key, int) and 0 < key < 2**31 else None  # INT ids
    if row is None:
        raise NotFound(f"{label} {key} not found")
    return row
