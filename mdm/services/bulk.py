"""Bulk statements on SQLAlchemy Core: the ORM's bulk layer costs more than the statements themselves."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session


def table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def update_by_id(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Core executemany UPDATE keyed by `id`: the ORM's bulk path costs more than the statement."""
    table_ = table(model)
    stmt = update(table_).where(table_.c.id == bindparam("_id")).values(
        {k: bindparam(k) for k in rows[0] if k != "id"})
    session.execute(stmt, [{**{k: v for k, v in r.items() if k != "id"}, "_id": r["id"]} for r in rows])


def accumulate(session: Session, model: type, keys: list[str], sums: list[str],
               rows: list[dict[str, Any]]) -> None:
    """Insert `rows`, or add their `sums` columns to the stored row with the same `keys`: one statement,
    compiled once and cached, executed for all the rows. Give the rows in key order: two
    transactions adding to the same rows then lock them in the same order and cannot deadlock.
    """
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    table_ = table(model)
    stmt = upsert(table_)
    session.execute(stmt.on_conflict_do_update(index_elements=keys,
                                               set_={c: table_.c[c] + stmt.excluded[c] for c in sums}), rows)
