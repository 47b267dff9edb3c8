"""Bulk statements on SQLAlchemy Core: the ORM's bulk layer costs more than the statements themselves."""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session


def table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def update_by_id(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Core executemany UPDATE keyed by `id`: the ORM's bulk path costs more than the statement.

    Each row sets only the columns it holds, so a caller can leave out an indexed column whose value
    did not change (setting it, even to the same value, rewrites its index entry): rows are grouped
    by the columns they set, one statement per group.
    """
    table_ = table(model)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[tuple(sorted(k for k in r if k != "id"))].append(r)
    for columns, group in sorted(groups.items()):
        session.execute(_update(table_, columns), [{**{k: r[k] for k in columns}, "_id": r["id"]} for r in group])


@functools.lru_cache(maxsize=256)
def _update(table_: Table, columns: tuple[str, ...]) -> Any:
    # built once per set of columns: a single-record upsert's update cost more to build than to run
    return update(table_).where(table_.c.id == bindparam("_id")).values({k: bindparam(k) for k in columns})


@functools.cache
def inserter(model: type) -> Any:
    """INSERT into `model`'s table, for an executemany of row dicts (built once per table)."""
    return insert(table(model))


def accumulate(session: Session, model: type, keys: list[str], sums: list[str],
               rows: list[dict[str, Any]]) -> None:
    """Insert `rows`, or add their `sums` columns to the stored row with the same `keys`: one statement,
    compiled once and cached, executed for all the rows. Give the rows in key order: two
    transactions adding to the same rows then lock them in the same order and cannot deadlock.
    """
    if not rows:
        return
    session.execute(_upsert(session.get_bind().dialect.name, model, tuple(keys), tuple(sums)), rows)


@functools.cache
def _upsert(dialect: str, model: type, keys: tuple[str, ...], sums: tuple[str, ...]) -> Any:
    # built once per table: every upsert adds to its quality totals and match-key counts
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    table_ = table(model)
    stmt = upsert(table_)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: table_.c[c] + stmt.excluded[c] for c in sums})
