"""Shared writes of golden records: lock, gather members, recompute, version.

Used record-by-record (deletion at source, later steward actions); batch ingestion uses the same
`lock_goldens` and `load_members` and writes its versions in bulk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.orm import Session

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..governance.model import Governance
from ..models import ChangeEvent, GoldenPin, GoldenRecord, GoldenVersion, SourceRecord, SourceVersion, utcnow
from ..quality.score import score
from .survivorship import Member, Pin, survive


def lock_goldens(session: Session, golden_ids: list[str]) -> dict[str, Row]:
    """Current id, version, data, status and domain of `golden_ids`, locked until commit (in id order)."""
    if not golden_ids:
        return {}
    g = GoldenRecord
    rows = session.execute(
        select(g.id, g.version, g.data, g.status, g.domain)
        .where(g.id.in_(sorted(golden_ids))).order_by(g.id).with_for_update()
    )
    return {row.id: row for row in rows}


def load_members(session: Session, golden_ids: list[str]) -> dict[str, dict[tuple[str, str], Member]]:
    """Accepted versions of every live source record linked to `golden_ids`."""
    out: dict[str, dict[tuple[str, str], Member]] = {g: {} for g in golden_ids}
    if not golden_ids:
        return out
    sr, sv = SourceRecord, SourceVersion
    for row in session.execute(
        select(sr.golden_id, sr.system, sr.source_key, sv.version, sv.received_at, sv.payload)
        .join(sv, (sv.source_record_id == sr.id) & (sv.version == sr.accepted_version))
        .where(sr.golden_id.in_(golden_ids), sr.status != "deleted")
    ):
        out[row.golden_id][(row.system, row.source_key)] = Member(
            row.system, row.source_key, row.version, row.received_at, row.payload)
    return out


def load_pins(session: Session, golden_ids: list[str]) -> dict[str, dict[str, Pin]]:
    """Active (unreleased) steward pins of `golden_ids`, by golden id and field."""
    out: dict[str, dict[str, Pin]] = {}
    if not golden_ids:
        return out
    p = GoldenPin
    for row in session.scalars(select(p).where(p.golden_id.in_(sorted(golden_ids)), p.released_at.is_(None))):
        out.setdefault(row.golden_id, {})[row.field] = Pin(row.id, row.value, row.actor, row.reason, row.at)
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
    session.execute(insert(ChangeEvent), rows)
