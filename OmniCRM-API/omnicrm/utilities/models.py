"""The global-search token table (spec 05 §9; design in docs/decisions.md, "Global search")."""
from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from omnicrm.db import Base

# Binary collation on MariaDB: tokens are already lower-cased and accent-folded, and a byte-order range scan
# (`token >= 'smi' AND token < 'smj'`) then means the same on MariaDB and SQLite.
TOKEN_TYPE = String(40).with_variant(mysql.VARCHAR(40, charset="utf8mb4", collation="utf8mb4_bin"), "mysql")


class SearchIndex(Base):
    """One searchable token of one record.

    The primary key (entity_type, token, entity_id) is InnoDB's clustered index: a prefix search of one record
    type reads one contiguous range already in display order (closest word first, then oldest record), so a
    page is read by stopping after it, however many records match ("david" at a million customers).
    (customer_id, token) serves searches limited to one customer and the status flips of a customer's rows;
    (entity_type, entity_id) serves rewrites and the "does this record also match the other words" probes.
    """

    __tablename__ = "Search_Index"
    __table_args__ = (Index("ix_Search_Index_entity", "entity_type", "entity_id"),
                      Index("ix_Search_Index_customer_token", "customer_id", "token"))
    entity_type: Mapped[str] = mapped_column(String(10), primary_key=True)  # customer contact site service inventory
    token: Mapped[str] = mapped_column(TOKEN_TYPE, primary_key=True)
    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    customer_id: Mapped[int | None] = mapped_column(Integer)  # no FK: rows follow the records, not the reverse
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)  # customer Open, or no customer (free stock)


from omnicrm.utilities import search_index  # noqa: E402,F401 - registers the Search_Index maintenance
