"""Running totals behind the home dashboard, kept by database triggers (issue 16).

At 1M customers the figures cannot be summed from the rows on every page view (12M invoices: seconds), so the
database keeps them: each trigger adds a row's contribution to its bucket on INSERT, moves it on UPDATE and takes
it away on DELETE. Triggers, not ORM events, because invoices are paid and voided with Core UPDATE statements
(one conditional UPDATE per change, billing/invoices.py) that ORM events never see; a trigger sees every write,
whoever makes it (API, bill run, playbooks, SQL by hand). Dashboard reads add up a few dozen bucket rows.
"""
from sqlalchemy import DDL, Boolean, Integer, Numeric, String, event
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base


class InvoiceTotal(Base):
    """Invoices and their amount per (month created 'YYYY-MM', paid, void)."""
    __tablename__ = "Dashboard_Invoice_Total"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    paid: Mapped[bool] = mapped_column(Boolean, primary_key=True, autoincrement=False)
    void: Mapped[bool] = mapped_column(Boolean, primary_key=True, autoincrement=False)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    amount = mapped_column(Numeric(18, 4, asdecimal=True), default=0)


class ServiceCount(Base):
    """Services per status."""
    __tablename__ = "Dashboard_Service_Count"
    service_status: Mapped[str] = mapped_column(String(30), primary_key=True)
    services: Mapped[int] = mapped_column(Integer, default=0)


class StockCount(Base):
    """Inventory items per (template, state)."""
    __tablename__ = "Dashboard_Stock_Count"
    inventory_template_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    item_state: Mapped[str] = mapped_column(String(30), primary_key=True)
    items: Mapped[int] = mapped_column(Integer, default=0)


# source table -> (totals table, {key column: expression over the row}, {counter column: expression})
# `{r}` is NEW or OLD. SUBSTR of a date-time gives 'YYYY-MM' on SQLite (text) and MariaDB (implicit cast).
TOTALS = {
    "Invoice": ("Dashboard_Invoice_Total",
                {"month": "COALESCE(SUBSTR({r}.created, 1, 7), '')", "paid": "COALESCE({r}.paid, 0)",
                 "void": "COALESCE({r}.void, 0)"},
                {"invoices": "1", "amount": "COALESCE({r}.retail_cost, 0)"}),
    "Service": ("Dashboard_Service_Count", {"service_status": "COALESCE({r}.service_status, '')"}, {"services": "1"}),
    "Inventory": ("Dashboard_Stock_Count",
                  {"inventory_template_id": "{r}.inventory_template_id", "item_state": "COALESCE({r}.item_state, '')"},
                  {"items": "1"}),
}


def _bump(dialect, target, keys, counters, row, sign):
    """Make sure the bucket row exists, then add (or take away) the row's contribution."""
    columns = ", ".join(f"`{c}`" for c in [*keys, *counters])
    values = ", ".join([*(e.format(r=row) for e in keys.values()), *("0" for _ in counters)])
    sets = ", ".join(f"`{c}` = `{c}` {sign} {e.format(r=row)}" for c, e in counters.items())
    where = " AND ".join(f"`{c}` = {e.format(r=row)}" for c, e in keys.items())
    if dialect == "sqlite":
        # Not INSERT OR IGNORE: in a trigger fired by a foreign-key action (ON DELETE SET NULL of a parent row) SQLite
        # applies the outer statement's conflict policy and the IGNORE is lost. SQLite has one writer at a time, so
        # "insert unless it exists" cannot race.
        ensure = (f"INSERT INTO `{target}` ({columns}) SELECT {values} "
                  f"WHERE NOT EXISTS (SELECT 1 FROM `{target}` WHERE {where});")
    else:
        ensure = f"INSERT IGNORE INTO `{target}` ({columns}) VALUES ({values});"
    return f"{ensure} UPDATE `{target}` SET {sets} WHERE {where};"


def trigger_statements(dialect):
    """CREATE TRIGGER statements for `dialect` ('sqlite' or 'mysql'/'mariadb')."""
    statements = []
    for source, (target, keys, counters) in TOTALS.items():
        bodies = {"insert": _bump(dialect, target, keys, counters, "NEW", "+"),
                  "update": _bump(dialect, target, keys, counters, "OLD", "-")
                  + " " + _bump(dialect, target, keys, counters, "NEW", "+"),
                  "delete": _bump(dialect, target, keys, counters, "OLD", "-")}
        for when, body in bodies.items():
            statements.append(f"CREATE TRIGGER `trg_dash_{source.lower()}_{when}` AFTER {when.upper()} ON `{source}` "
                              f"FOR EACH ROW BEGIN {body} END")
    return statements


def drop_trigger_statements():
    return [f"DROP TRIGGER IF EXISTS `trg_dash_{source.lower()}_{when}`"
            for source in TOTALS for when in ("insert", "update", "delete")]


def recount_statements():
    """Rebuild every totals table from the rows (migration backfill; after bulk loads without triggers)."""
    statements = []
    for source, (target, keys, counters) in TOTALS.items():
        key_exprs = [e.format(r=f"`{source}`") for e in keys.values()]
        counter_exprs = [("COUNT(*)" if e == "1" else f"SUM({e.format(r=f'`{source}`')})") for e in counters.values()]
        columns = ", ".join(f"`{c}`" for c in [*keys, *counters])
        statements += [f"DELETE FROM `{target}`",
                       f"INSERT INTO `{target}` ({columns}) SELECT {', '.join(key_exprs + counter_exprs)} "
                       f"FROM `{source}` GROUP BY {', '.join(key_exprs)}"]
    return statements


def _install_triggers(target, connection, **_kw):
    for statement in trigger_statements(connection.dialect.name):
        connection.execute(DDL(statement))


# The triggers follow the schema wherever it is built from the models (tests, dev server, e2e).
event.listen(Base.metadata, "after_create", _install_triggers)
