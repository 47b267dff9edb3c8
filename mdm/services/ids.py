"""Golden-record id allocation: `PRD-00000123`-style ids that never change once given."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Sequence, bindparam, func, select, update
from sqlalchemy.orm import Session

from ..models import IdCounter
from .bulk import table

WIDTH = 8


def sequence_name(domain: str) -> str:
    return f"golden_id_seq_{domain}"


def allocate(session: Session, domain: str, prefix: str, count: int) -> list[str]:
    """`count` fresh golden ids for `domain`.

    PostgreSQL uses one sequence per domain, so concurrent writers never wait on each other here;
    SQLite has a single writer anyway and keeps a counter row.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        seq = Sequence(sequence_name(domain))
        numbers = list(session.scalars(select(seq.next_value()).select_from(func.generate_series(1, count))))
    else:
        start = session.scalar(_advance(), {"domain_": domain, "count": count})
        if start is None:
            session.add(IdCounter(domain=domain, next_value=count + 1))
            session.flush()
            start = count + 1
        numbers = list(range(start - count, start))
    return [f"{prefix}-{n:0{WIDTH}d}" for n in numbers]



@functools.cache
def _advance() -> Any:
    t = table(IdCounter)
    return (update(t).where(t.c.domain == bindparam("domain_"))
            .values(next_value=t.c.next_value + bindparam("count")).returning(t.c.next_value))
