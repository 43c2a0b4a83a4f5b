"""SQLAlchemy Core under the ORM models, with the types the Core statements need.

A declarative model's `__table__` is typed as a FromClause (it may be a join or a subquery in
general); ours are plain tables, and insert()/update() want a Table. A Session's execute() is typed
to return a Result; an UPDATE or DELETE returns a CursorResult, the one that has rowcount.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import CursorResult, Result


def table_of(model: type[Any]) -> Table:
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a plain table")
    return table


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched."""
    if not isinstance(result, CursorResult):
        raise TypeError("not the result of an UPDATE or DELETE")
    return int(result.rowcount or 0)
