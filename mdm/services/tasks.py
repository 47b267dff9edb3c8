"""The steward review queue: open tasks with both sides and the explanation, assignment, decisions."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationFailed
from ..models import GoldenRecord, MatchTask, SourceRecord, iso
from .bulk import table

DECISIONS = ("merge", "not_a_match")


def get_task(session: Session, task_id: int, *, lock: bool = False) -> MatchTask:
    q = select(MatchTask).where(MatchTask.id == task_id)
    task = session.scalars(q.with_for_update() if lock else q).first()
    if task is None:
        raise NotFound("task", str(task_id))
    return task


def check_open(task: MatchTask, revision: int | None) -> None:
    if task.status != "open":
        raise Conflict(f"task {task.id} is {task.status} ({task.decision} by {task.decided_by}); nothing was changed")
    if revision is not None and revision != task.revision:
        raise Conflict(f"task {task.id} changed since revision {revision} (now {task.revision}); reload it")


def list_tasks(session: Session, *, status: str | None, domain: str | None, assignee: str | None,
               after: int | None, limit: int) -> list[MatchTask]:
    q = select(MatchTask)
    if status and status != "all":
        q = q.where(MatchTask.status == status)
    if domain:
        q = q.where(MatchTask.domain == domain)
    if assignee:
        q = q.where(MatchTask.assignee == assignee)
    if after:
        q = q.where(MatchTask.id > after)
    return list(session.scalars(q.order_by(MatchTask.id).limit(limit)))


def task_view(session: Session, task: MatchTask, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": task.id, "domain": task.domain, "status": task.status, "score": task.score, "reason": task.reason,
        "golden_id": task.golden_id, "candidate_ids": list(task.candidate_ids), "assignee": task.assignee,
        "decision": task.decision, "decision_reason": task.decision_reason, "decided_by": task.decided_by,
        "decided_at": iso(task.decided_at), "revision": task.revision,
        "governance_version_id": task.governance_version_id, "created_at": iso(task.created_at),
    }
    sr = session.get(SourceRecord, task.source_record_id) if task.source_record_id else None
    if sr is not None:
        out["source"] = {"system": sr.system, "source_key": sr.source_key, "golden_id": sr.golden_id}
    if full:
        out["explanation"] = task.explanation
        if sr is not None and sr.accepted_payload is not None:
            out["source"]["data"] = sr.accepted_payload
        out["sides"] = [_side(session, g) for g in [task.golden_id, *task.candidate_ids] if g]
    return out


def _side(session: Session, golden_id: str) -> dict[str, Any]:
    rec = session.get(GoldenRecord, golden_id)
    if rec is None:
        return {"id": golden_id, "status": "missing"}
    out: dict[str, Any] = {"id": rec.id, "status": rec.status, "version": rec.version, "data": rec.data}
    if rec.merged_into:
        out["merged_into"] = rec.merged_into
    return out


def fingerprint(session: Session, task: MatchTask) -> str:
    """What the task shows now: its sides' (resolved) golden ids and versions, in a few characters.

    Part of the task's ETag, so a decision made on a page that showed other records (a side was
    merged elsewhere, pinned or updated since) is refused instead of landing on records never seen.
    """
    import hashlib

    shown = []
    for gid in [task.golden_id, *task.candidate_ids]:
        if gid:
            now = resolve(session, gid)
            version = session.scalar(select(GoldenRecord.version).where(GoldenRecord.id == now))
            shown.append(f"{gid}>{now}@{version}")
    return hashlib.sha256("|".join(shown).encode()).hexdigest()[:12]


def resolve(session: Session, golden_id: str) -> str:
    """The record a (possibly merged) golden id answers for now."""
    return resolve_many(session, [golden_id])[golden_id]


def resolve_many(session: Session, golden_ids: list[str]) -> dict[str, str]:
    """What each of `golden_ids` answers for now: one query per step of the longest merge chain, where
    `resolve` one by one took a query per id (a bridge in a large hub can name twenty)."""
    merged: dict[str, str | None] = {}  # looked up: what each id was merged into, if anything

    def follow(current: str) -> str:
        seen: set[str] = set()
        while merged.get(current) and current not in seen:
            seen.add(current)
            current = merged[current]  # type: ignore[assignment]
        return current

    now = {g: g for g in golden_ids}
    while unknown := sorted(set(now.values()) - merged.keys()):
        rows = dict(session.execute(_merged_select(), {"ids": unknown}).all())
        merged.update({gid: rows.get(gid) for gid in unknown})
        now = {g: follow(g) for g in now}  # from each id's start, as resolve does, whatever else is asked
    return now


@cache
def _merged_select() -> Any:
    # only merged records have merged_into: the partial index of them answers without reading any
    # golden record's row (0012), and an id it does not hold was not merged
    t = table(GoldenRecord)
    return select(t.c.id, t.c.merged_into).where(t.c.merged_into.is_not(None),
                                                 t.c.id.in_(bindparam("ids", expanding=True)))


def require_reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed("a reason is required for every steward action", {"reason": ["required"]})
    return reason.strip()


def check_decision(decision: str) -> None:
    if decision not in DECISIONS:
        raise ValidationFailed(f"decision must be one of {', '.join(DECISIONS)}", {"decision": [decision]})
