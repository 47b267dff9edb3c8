"""Golden-record id allocation: `PRD-00000123`-style ids that never change once given."""

from __future__ import annotations

from sqlalchemy import Sequence, func, select, update
from sqlalchemy.orm import Session

from ..models import IdCounter

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
        start = session.scalar(
            update(IdCounter).where(IdCounter.domain == domain)
            .values(next_value=IdCounter.next_value + count).returning(IdCounter.next_value)
        )
        if start is None:
            session.add(IdCounter(domain=domain, next_value=count + 1))
            session.flush()
            start = count + 1
        numbers = list(range(start - count, start))
    return [f"{prefix}-{n:0{WIDTH}d}" for n in numbers]

