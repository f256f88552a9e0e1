"""`omnicrm backup` / `omnicrm restore`: the whole database as one gzip'd JSON-lines file, portable between SQLite
and MariaDB (an embedded demo can move to a server, a server backup can be inspected anywhere).

The file starts with a header naming the schema revision; restore refuses a file from another revision (restore
with the release that made it, then `omnicrm migrate`) and a database that already holds data, so a restore never
mixes two histories. Rows are written table by table in foreign-key order, in batches, so memory stays flat on
large databases. The file holds password hashes and encrypted secrets: it is created readable by its owner only.
Redis holds only short-lived state (revoked tokens, rate limits, queued jobs) and is not part of a backup.
"""
import base64
import gzip
import json
import os
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from omnicrm.db import Base

FORMAT = "omnicrm-backup"
VERSION = 1
BATCH = 1000


class BackupError(Exception):
    """The file or the target database cannot be used; the message says why."""


def _tables():
    return Base.metadata.sorted_tables  # parents before children


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


DECODERS = {datetime: datetime.fromisoformat, date: date.fromisoformat, Decimal: Decimal, bytes: base64.b64decode}


def _decoder(column):
    """How a JSON value of `column` becomes the Python value the column takes (None: as it is)."""
    kind = getattr(column.type, "impl_instance", column.type)  # our TypeDecorators (UTCDateTime) by their base
    try:
        return DECODERS.get(kind.python_type)
    except NotImplementedError:
        return None


def schema_revision(connection):
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(engine, path):
    """Write every table of `engine`'s database to `path`; returns {table: rows}."""
    counts = {}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with engine.connect() as connection, gzip.open(os.fdopen(fd, "wb"), "wt", encoding="utf-8") as out:
        header = {"format": FORMAT, "version": VERSION, "revision": schema_revision(connection),
                  "dialect": connection.dialect.name, "tables": [t.name for t in _tables()]}
        out.write(json.dumps(header) + "\n")
        for table in _tables():
            counts[table.name] = 0
            order = list(table.primary_key.columns) or list(table.columns)[:1]
            result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(table).order_by(*order))
            for row in result.mappings():
                out.write(json.dumps({"t": table.name, "r": {k: _encode(v) for k, v in row.items()}}) + "\n")
                counts[table.name] += 1
    return counts


def _check_header(line, revision):
    try:
        header = json.loads(line)
    except ValueError:
        raise BackupError("not an OmniCRM backup (no header)") from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise BackupError("not an OmniCRM backup of a version this release reads")
    if header.get("revision") != revision:
        raise BackupError(f"the backup is of schema revision {header.get('revision')} and this database is at "
                          f"{revision}: restore with the release that made the backup, then run `omnicrm migrate`")
    return header


def _ensure_empty(connection):
    for table in _tables():
        if connection.execute(select(func.count()).select_from(table)).scalar():
            raise BackupError(f"the database is not empty (table {table.name} has rows): restore only into a "
                              "freshly migrated, empty database")


def restore(engine, path):
    """Load `path` into `engine`'s migrated, empty database, in one transaction; returns {table: rows}."""
    tables = {t.name: t for t in _tables()}
    counts = {}
    try:
        source = gzip.open(path, "rt", encoding="utf-8")
        lines = iter(source)
        first = next(lines, "")
    except (OSError, EOFError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    with source, engine.begin() as connection:
        _check_header(first, schema_revision(connection))
        _ensure_empty(connection)
        if connection.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        else:
            connection.execute(text("PRAGMA defer_foreign_keys=ON"))
        decoders = {name: {c.name: _decoder(c) for c in table.columns} for name, table in tables.items()}
        batch, batch_table = [], None
        for number, line in enumerate(lines, start=2):
            try:
                entry = json.loads(line)
                name, row = entry["t"], entry["r"]
            except (ValueError, KeyError, TypeError):
                raise BackupError(f"line {number} of the backup is damaged; nothing was restored") from None
            if name not in tables:
                raise BackupError(f"the backup has an unknown table {name}")
            if name != batch_table and batch:
                connection.execute(insert(tables[batch_table]), batch)
                batch = []
            batch_table = name
            batch.append({k: (decoders[name][k](v) if v is not None and decoders[name].get(k) else v)
                          for k, v in row.items()})
            counts[name] = counts.get(name, 0) + 1
            if len(batch) >= BATCH:
                connection.execute(insert(tables[name]), batch)
                batch = []
        if batch:
            connection.execute(insert(tables[batch_table]), batch)
        if connection.dialect.name == "mysql":
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    return counts
