"""Remembered steward decisions between source records: `never` and `must` match.

They are kept per pair of source records (the smaller id first) because golden ids change with
merges while source records do not. A decision is never deleted: a later contradicting steward step
revokes it, and the revocation is part of the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from ..models import MatchDecision


def _pairs(left: Iterable[int], right: Iterable[int]) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a in left for b in right if a != b}


def remember(session: Session, domain: str, kind: str, pairs: Iterable[tuple[int, int]], *, reason: str,
             actor: str, now: dt.datetime, task_id: int | None = None) -> int:
    """Store `kind` decisions for `pairs` of source record ids; pairs already decided alike are skipped."""
    wanted = {(min(a, b), max(a, b)) for a, b in pairs if a != b}
    if not wanted:
        return 0
    have = set(_active(session, wanted, (kind,)))
    rows = [{"domain": domain, "kind": kind, "left_id": a, "right_id": b, "status": "active", "reason": reason,
             "actor": actor, "task_id": task_id, "at": now} for a, b in sorted(wanted - have)]
    if rows:
        session.execute(insert(MatchDecision), rows)
    return len(rows)


def _active(session: Session, pairs: set[tuple[int, int]], kinds: tuple[str, ...]) -> list[tuple[int, int]]:
    if not pairs:
        return []
    d = MatchDecision
    lefts = sorted({a for a, _ in pairs})
    found = []
    for i in range(0, len(lefts), 1000):
        found += [(a, b) for a, b in session.execute(
            select(d.left_id, d.right_id).where(d.left_id.in_(lefts[i:i + 1000]), d.status == "active",
                                                d.kind.in_(kinds))) if (a, b) in pairs]
    return found


def never_between(session: Session, left: list[int], right: list[int]) -> bool:
    """Whether a steward decided that some record of `left` and some record of `right` are not a match."""
    return bool(_active(session, _pairs(left, right), ("never",)))


def revoke_between(session: Session, left: list[int], right: list[int], *, actor: str, now: dt.datetime,
                   kinds: tuple[str, ...] = ("never",)) -> int:
    """Revoke active decisions of `kinds` between the two sets (a later steward step contradicts them)."""
    pairs = _pairs(left, right)
    found = _active(session, pairs, kinds)
    if not found:
        return 0
    d = MatchDecision
    session.execute(update(d).where(or_(*(and_(d.left_id == a, d.right_id == b) for a, b in found)),
                                    d.status == "active", d.kind.in_(kinds))
                    .values(status="revoked", revoked_at=now, revoked_by=actor))
    return len(found)


def of_records(session: Session, source_ids: list[int]) -> dict[str, set[tuple[int, int]]]:
    """Active decisions touching `source_ids`, by kind."""
    d = MatchDecision
    out: dict[str, set[tuple[int, int]]] = {"never": set(), "must": set()}
    ids = sorted(set(source_ids))
    for i in range(0, len(ids), 1000):
        part = ids[i:i + 1000]
        for kind, a, b in session.execute(select(d.kind, d.left_id, d.right_id).where(
                d.status == "active", or_(d.left_id.in_(part), d.right_id.in_(part)))):
            out[kind].add((a, b))
    return out
