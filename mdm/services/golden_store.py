"""Shared writes of golden records: lock, gather members, recompute, version.

Used record-by-record (deletion at source, later steward actions); batch ingestion uses the same
`lock_goldens` and `load_members` and writes its versions in bulk.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..governance.model import Governance
from ..models import ChangeEvent, GoldenPin, GoldenRecord, GoldenVersion, SourceRecord, SourceVersion, utcnow
from ..quality.score import score
from .bulk import inserter, table
from .survivorship import Member, Pin, survive


# Read and written by every upsert: built once (an ORM statement costs ~0.3 ms of Python to build
# and run, a prepared Core one a fifth of that).
@functools.cache
def _lock_select() -> Any:
    g = table(GoldenRecord)
    return (select(g.c.id, g.c.version, g.c.data, g.c.status, g.c.domain)
            .where(g.c.id.in_(bindparam("ids", expanding=True))).order_by(g.c.id).with_for_update())


@functools.cache
def _members_select() -> Any:
    sr, sv = table(SourceRecord), table(SourceVersion)
    return (select(sr.c.golden_id, sr.c.system, sr.c.source_key, sv.c.version, sv.c.received_at, sv.c.payload)
            .join(sv, (sv.c.source_record_id == sr.c.id) & (sv.c.version == sr.c.accepted_version))
            .where(sr.c.golden_id.in_(bindparam("ids", expanding=True)), sr.c.status != "deleted"))


@functools.cache
def _pins_select() -> Any:
    p = table(GoldenPin)
    return (select(p.c.golden_id, p.c.field, p.c.id, p.c.value, p.c.actor, p.c.reason, p.c.at)
            .where(p.c.golden_id.in_(bindparam("ids", expanding=True)), p.c.released_at.is_(None))
            .order_by(p.c.id))


def lock_goldens(session: Session, golden_ids: list[str]) -> dict[str, Row]:
    """Current id, version, data, status and domain of `golden_ids`, locked until commit (in id order)."""
    if not golden_ids:
        return {}
    return {row.id: row for row in session.execute(_lock_select(), {"ids": sorted(golden_ids)})}


def load_members(session: Session, golden_ids: list[str]) -> dict[str, dict[tuple[str, str], Member]]:
    """Accepted versions of every live source record linked to `golden_ids`."""
    out: dict[str, dict[tuple[str, str], Member]] = {g: {} for g in golden_ids}
    if not golden_ids:
        return out
    for row in session.execute(_members_select(), {"ids": list(golden_ids)}):
        out[row.golden_id][(row.system, row.source_key)] = Member(
            row.system, row.source_key, row.version, row.received_at, row.payload)
    return out


def load_pins(session: Session, golden_ids: list[str]) -> dict[str, dict[str, Pin]]:
    """Active (unreleased) steward pins of `golden_ids`, by golden id and field."""
    out: dict[str, dict[str, Pin]] = {}
    if not golden_ids:
        return out
    for golden, field, *pin in session.execute(_pins_select(), {"ids": sorted(golden_ids)}):
        out.setdefault(golden, {})[field] = Pin(*pin)
    return out


def rebuild(session: Session, gov: Governance, golden_id: str, *, actor: str, reason: str | None,
            explanation: dict[str, Any], gov_version_id: int | None, run_id: int | None = None,
            now: dt.datetime | None = None, force: bool = False, action: str | None = None,
            change_kind: str | None = None) -> int | None:
    """Recompute one golden record from its members and pins; a new version when anything changed.

    A golden record left without live members is retired (its id stays answerable). With `force` a
    version is written even when the data stays the same (a steward step is always a version).

    Returns:
        The new version number, or None when nothing changed.
    """
    now = now or utcnow()
    row = lock_goldens(session, [golden_id])[golden_id]
    members = sorted(load_members(session, [golden_id])[golden_id].values(), key=lambda m: (m.system, m.source_key))
    pins = load_pins(session, [golden_id]).get(golden_id)
    data, provenance = survive(gov.domains[row.domain], gov.rules[row.domain], members, pins)
    status = "active" if members else "retired"
    if not members:
        data = row.data  # a retired record keeps showing what it last was
    if data == row.data and status == row.status and not force:
        return None
    version = row.version + 1
    quality = score(gov.rules[row.domain], data)
    session.execute(update(GoldenRecord).where(GoldenRecord.id == golden_id).values(
        version=version, data=data, status=status, quality_score=quality["score"], updated_at=now))
    session.execute(insert(GoldenVersion).values(
        golden_id=golden_id, version=version, status=status, data=data, provenance=provenance, quality=quality,
        explanation=explanation, governance_version_id=gov_version_id, run_id=run_id, actor=actor,
        reason=reason, created_at=now))
    append_audit(session, [audit_entry(
        actor, action or ("retire" if status == "retired" else "update"), "golden_record", golden_id, reason=reason,
        before={k: v for k, v in row.data.items() if data.get(k) != v},
        after={"version": version, "status": status, "data": {k: v for k, v in data.items() if row.data.get(k) != v}},
        context={"governance_version_id": gov_version_id, **explanation}, at=now)])
    append_changes(session, [{"golden_id": golden_id, "domain": row.domain,
                              "kind": change_kind or ("retired" if status == "retired" else "updated"),
                              "version": version, "data": data, "at": now}])
    return version


CHANGE_FEED_LOCK = 0x4D444D  # "MDM": one advisory lock key for the change feed


def append_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append change events; call it last before commit.

    On PostgreSQL a transaction-level advisory lock makes sequence order equal commit order, so a
    consumer reading `after=N` never skips an event that commits later with a smaller number.
    """
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(CHANGE_FEED_LOCK)))
    session.execute(inserter(ChangeEvent), rows)
