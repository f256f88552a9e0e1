"""Keeps Customer_Count in step with the Customer table, in the same flush as the change it counts."""
from sqlalchemy import event, inspect
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.orm import Session

from omnicrm.customers.models import Customer, CustomerCount

KEY = ("customer_status", "customer_account_type", "customer_payment_type")
DEFAULTS = {"customer_status": "Open", "customer_account_type": "Individual", "customer_payment_type": "postpaid"}


def _key(values):
    return tuple(values.get(k) or DEFAULTS[k] for k in KEY)


def _old_key(customer):
    state = inspect(customer)
    values = {}
    for name in KEY:
        history = state.attrs[name].history
        values[name] = history.deleted[0] if history.deleted else getattr(customer, name)
    return _key(values)


def _bump(connection, key, delta):
    values = dict(zip(KEY, key, strict=True), customers=delta)
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        stmt = mysql.insert(CustomerCount).values(**values)
        stmt = stmt.on_duplicate_key_update(customers=CustomerCount.customers + delta)
    else:
        stmt = sqlite.insert(CustomerCount).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=list(KEY),
                                          set_={"customers": CustomerCount.customers + delta})
    connection.execute(stmt)


@event.listens_for(Session, "after_flush")
def _count_customers(session, _flush_context):
    changes = {}
    for obj in session.new:
        if isinstance(obj, Customer):
            key = _key({k: getattr(obj, k) for k in KEY})
            changes[key] = changes.get(key, 0) + 1
    for obj in session.deleted:
        if isinstance(obj, Customer):
            key = _old_key(obj)
            changes[key] = changes.get(key, 0) - 1
    for obj in session.dirty:
        if isinstance(obj, Customer) and obj not in session.deleted:
            old, new = _old_key(obj), _key({k: getattr(obj, k) for k in KEY})
            if old != new:
                changes[old] = changes.get(old, 0) - 1
                changes[new] = changes.get(new, 0) + 1
    if changes:
        connection = session.connection()
        for key, delta in sorted(changes.items()):
            if delta:
                _bump(connection, key, delta)


def recount(session):
    """Recompute every count from the Customer table (after bulk loads that bypass the ORM)."""
    from sqlalchemy import delete, func, insert, select
    session.execute(delete(CustomerCount))
    rows = session.execute(select(Customer.customer_status, Customer.customer_account_type,
                                  Customer.customer_payment_type, func.count())
                           .group_by(*(getattr(Customer, k) for k in KEY))).all()
    if rows:
        session.execute(insert(CustomerCount), [dict(zip((*KEY, "customers"), r, strict=True)) for r in rows])
