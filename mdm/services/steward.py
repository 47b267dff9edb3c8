"""Steward actions, each one transaction: task decisions and assignment, merge, unmerge, pins.

Every action needs a reason, writes golden versions and audit entries, and changes nothing when it
is refused (bad input raises before the first write, and the transaction is rolled back otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from jsonschema import Draft202012Validator
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from .. import identifiers
from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..errors import Conflict, NotFound, PreconditionFailed, UnknownDomain, ValidationFailed
from ..governance.model import DOMAINS, Governance
from ..models import GoldenPin, SourceRecord, utcnow
from . import decisions, governance_versions, merge, signatures, tasks
from .golden_store import lock_goldens, rebuild
from .signatures import SignRequest

T = TypeVar("T")


def _in_transaction(factory: sessionmaker, work: Callable[[Session], T]) -> T:
    with factory() as session:
        try:
            out = work(session)
            session.commit()
            return out
        except Exception:
            session.rollback()
            raise


def _domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise UnknownDomain(f"unknown domain {domain!r}; domains are {', '.join(DOMAINS)}")
    return domain


def check_versions(s: Session, expect: dict[str, int] | None) -> None:
    """Refuse (412) when a golden record moved past the version the steward looked at (If-Match)."""
    if not expect:
        return
    rows = lock_goldens(s, sorted(expect))
    for gid, version in sorted(expect.items()):
        row = rows.get(gid)
        if row is not None and row.version != version:
            raise PreconditionFailed(f"{gid} is at version {row.version}, not {version}: read it again and "
                                     "decide on what it holds now")


def check_revision(s: Session, task: Any, expect: tuple[int, str | None] | None) -> None:
    """Refuse (412) when the task, or a record it shows, changed since the steward read it."""
    if expect is None:
        return
    revision, shown = expect
    if task.revision != revision:
        raise PreconditionFailed(f"task {task.id} is at revision {task.revision}, not {revision}: read it again")
    if shown is not None and shown != tasks.fingerprint(s, task):
        raise PreconditionFailed(f"a record task {task.id} shows has changed since you read it (merged, pinned or "
                                 "updated): read the task again")


def _sign(s: Session, sign: SignRequest | None, action: str, golden_ids: list[str | None], why: str,
          out: dict[str, Any], task_id: int | None = None) -> None:
    if sign is not None:
        out["signatures"] = signatures.sign(s, sign, action, golden_ids, reason=why, task_id=task_id)


def merge_records(factory: sessionmaker, gov: Governance, domain: str, survivor: str, merged: list[str], *,
                  actor: str, reason: str | None, sign: SignRequest | None = None,
                  expect: dict[str, int] | None = None) -> dict[str, Any]:
    """A steward merges golden records into `survivor`, which keeps its id."""
    why = tasks.require_reason(reason)
    _domain(domain)
    gv = governance_versions.ensure_recorded(factory, gov)

    def work(s: Session) -> dict[str, Any]:
        check_versions(s, expect)
        out = merge.merge_goldens(s, gov, domain, survivor, merged, actor=actor, reason=why, gov_version_id=gv,
                                  explanation={"rule": "steward_merge"})
        _sign(s, sign, "merge", [out["survivor"], *out["merged"]], why, out)
        return out
    return _in_transaction(factory, work)


def unmerge_record(factory: sessionmaker, gov: Governance, domain: str, golden_id: str, system: str,
                   source_key: str, *, actor: str, reason: str | None, sign: SignRequest | None = None,
                   expect: dict[str, int] | None = None) -> dict[str, Any]:
    """A steward takes one source record out of a golden record."""
    why = tasks.require_reason(reason)
    _domain(domain)
    gv = governance_versions.ensure_recorded(factory, gov)

    def work(s: Session) -> dict[str, Any]:
        check_versions(s, expect)
        out = merge.unmerge(s, gov, domain, golden_id, system, source_key, actor=actor, reason=why,
                            gov_version_id=gv)
        _sign(s, sign, "unmerge", [out["golden_id"], out["target"]], why, out)
        return out
    return _in_transaction(factory, work)


def assign(factory: sessionmaker, task_id: int, assignee: str | None, *, actor: str,
           revision: int | None = None, expect_revision: tuple[int, str | None] | None = None) -> dict[str, Any]:
    def work(s: Session) -> dict[str, Any]:
        task = tasks.get_task(s, task_id, lock=True)
        check_revision(s, task, expect_revision)
        tasks.check_open(task, revision)
        before = task.assignee
        task.assignee = assignee or None
        task.revision += 1
        append_audit(s, [audit_entry(actor, "assign", "match_task", str(task.id), before={"assignee": before},
                                     after={"assignee": task.assignee, "revision": task.revision})])
        s.flush()
        return tasks.task_view(s, task)
    return _in_transaction(factory, work)


def decide(factory: sessionmaker, gov: Governance, task_id: int, decision: str, *, actor: str, reason: str | None,
           candidate: str | None = None, revision: int | None = None, sign: SignRequest | None = None,
           expect_revision: tuple[int, str | None] | None = None) -> dict[str, Any]:
    """Close a review task: `merge` the two sides, or `not_a_match` (remembered: wins over later scores)."""
    why = tasks.require_reason(reason)
    tasks.check_decision(decision)
    gv = governance_versions.ensure_recorded(factory, gov)

    def work(s: Session) -> dict[str, Any]:
        task = tasks.get_task(s, task_id, lock=True)
        tasks.check_open(task, revision)
        check_revision(s, task, expect_revision)
        if candidate is not None and candidate not in task.candidate_ids:
            raise ValidationFailed(f"{candidate} is not a candidate of task {task.id}",
                                   {"candidate": list(task.candidate_ids)})
        if decision == "merge" and candidate is None and len(task.candidate_ids) > 1:
            # one decision must not merge several records that were kept apart for different reasons
            raise ValidationFailed(f"task {task.id} has {len(task.candidate_ids)} candidates: name the one to merge with",
                                   {"candidate": list(task.candidate_ids)})
        chosen = [candidate] if candidate else list(task.candidate_ids)
        own = tasks.resolve(s, task.golden_id) if task.golden_id else None
        result: dict[str, Any] = {"task": task.id, "decision": decision}
        if decision == "merge":
            survivor = tasks.resolve(s, chosen[0])
            others = sorted({tasks.resolve(s, g) for g in [own, *chosen[1:]] if g} - {survivor})
            if others:
                result["merge"] = merge.merge_goldens(
                    s, gov, task.domain, survivor, others, actor=actor, reason=why, gov_version_id=gv,
                    explanation={"rule": "task_decision", "task": task.id})
            else:
                result["merge"] = {"survivor": survivor, "merged": [], "note": "already one golden record"}
        else:
            mine = _members(s, [own] if own else []) or ([task.source_record_id] if task.source_record_id else [])
            theirs = _members(s, sorted({tasks.resolve(s, g) for g in chosen}))
            result["remembered"] = decisions.remember(s, task.domain, "never", [(a, b) for a in mine for b in theirs],
                                                      reason=why, actor=actor, now=utcnow(), task_id=task.id)
        task.status = "closed"
        task.decision, task.decision_reason, task.decided_by, task.decided_at = decision, why, actor, utcnow()
        task.revision += 1
        append_audit(s, [audit_entry(actor, "decide", "match_task", str(task.id), reason=why,
                                     before={"status": "open"},
                                     after={"status": "closed", "decision": decision, "candidates": chosen},
                                     context={"governance_version_id": gv})])
        s.flush()
        if decision == "merge":
            touched = [result["merge"]["survivor"], *result["merge"]["merged"]]
        else:
            touched = [own, *sorted({tasks.resolve(s, g) for g in chosen})]
        _sign(s, sign, f"task_{decision}", touched, why, result, task_id=task.id)
        result["task_view"] = tasks.task_view(s, task)
        return result
    return _in_transaction(factory, work)


def _members(s: Session, golden_ids: list[str]) -> list[int]:
    if not golden_ids:
        return []
    return list(s.scalars(select(SourceRecord.id).where(SourceRecord.golden_id.in_(golden_ids),
                                                       SourceRecord.status != "deleted")))


def set_pins(factory: sessionmaker, gov: Governance, domain: str, golden_id: str, *, pins: dict[str, Any],
             release: list[str], actor: str, reason: str | None, sign: SignRequest | None = None,
             expect: dict[str, int] | None = None) -> dict[str, Any]:
    """Pin field values (they win over every source until released) and release earlier pins."""
    why = tasks.require_reason(reason)
    _domain(domain)
    if not pins and not release:
        raise ValidationFailed("nothing to do: give `pins` and/or `release`")
    fields = gov.domains[domain].fields
    schema = gov.record_schemas[domain]
    errors: dict[str, list[str]] = {}
    for name, value in pins.items():
        if name not in fields:
            errors[name] = [f"{name!r} is not a field of {domain}"]
        elif value is not None:
            f = fields[name]
            if f.check and f.check in identifiers.NORMALIZERS:
                norm = identifiers.normalize(f.check, value)
                if norm is None:
                    errors[name] = [f"{value!r} is not a valid {f.check} (check digit or format)"]
                    continue
                pins[name] = value = norm
            prop = schema["properties"].get(name, {})
            checker = Draft202012Validator(prop, format_checker=Draft202012Validator.FORMAT_CHECKER)
            found = [e.message for e in checker.iter_errors(value)]
            if found:
                errors[name] = found
    for name in release:
        if name not in fields:
            errors[name] = [f"{name!r} is not a field of {domain}"]
    if errors:
        raise ValidationFailed("a pinned value does not fit the dictionary", errors)
    gv = governance_versions.ensure_recorded(factory, gov)

    def work(s: Session) -> dict[str, Any]:
        check_versions(s, expect)
        row = lock_goldens(s, [golden_id]).get(golden_id)
        if row is None or row.domain != domain:
            raise NotFound(f"{domain} golden record", golden_id)
        if row.status != "active":
            raise Conflict(f"{golden_id} is {row.status}; pins go on active records")
        now = utcnow()
        active = {p.field: p for p in s.scalars(select(GoldenPin).where(
            GoldenPin.golden_id == golden_id, GoldenPin.released_at.is_(None)))}
        missing = [f for f in release if f not in active]
        if missing:
            raise NotFound(f"pin on {golden_id}", ", ".join(missing))
        for name in [*release, *pins]:
            if name in active:
                pin = active[name]
                pin.released_at, pin.released_by = now, actor
                pin.release_reason = why if name in release else "replaced by a new pin"
        for name, value in pins.items():
            s.execute(insert(GoldenPin).values(golden_id=golden_id, field=name, value=value, reason=why,
                                               actor=actor, at=now))
        _claim_pinned(s, gov, domain, golden_id, pins)
        s.flush()
        version = rebuild(s, gov, golden_id, actor=actor, reason=why, force=True,
                          action="pin" if pins else "release",
                          explanation={"pinned": sorted(pins), "released": sorted(release)},
                          gov_version_id=gv, now=now)
        out = {"golden_id": golden_id, "version": version, "pinned": sorted(pins), "released": sorted(release)}
        _sign(s, sign, "pin" if pins else "release", [golden_id], why, out)
        return out
    return _in_transaction(factory, work)


def _claim_pinned(s: Session, gov: Governance, domain: str, golden_id: str, pins: dict[str, Any]) -> None:
    """A pinned identifier is matched on like any other: the golden record claims it."""
    from ..models import Identifier

    listed = gov.rules[domain].identifiers
    for name, value in pins.items():
        f = gov.domains[domain].fields[name]
        if value is None or not f.identifier_kind or (listed is not None and name not in listed):
            continue
        scope = "*"
        if f.identifier_scope == "site":
            scope = s.scalar(select(SourceRecord.site).where(SourceRecord.golden_id == golden_id).limit(1)) or "*"
        holder = s.scalar(select(Identifier.golden_id).where(
            Identifier.domain == domain, Identifier.kind == f.check, Identifier.scope == scope,
            Identifier.value == str(value)))
        if holder is not None and holder != golden_id:
            raise Conflict(f"{name} {value} belongs to {holder}; merge the two records instead of pinning it")
        if holder is None:
            s.execute(insert(Identifier).values(domain=domain, kind=f.check, scope=scope, value=str(value),
                                                golden_id=golden_id))


def pins_of(session: Session, golden_id: str, *, include_released: bool = False) -> list[dict[str, Any]]:
    from ..models import iso

    q = select(GoldenPin).where(GoldenPin.golden_id == golden_id)
    if not include_released:
        q = q.where(GoldenPin.released_at.is_(None))
    return [{"id": p.id, "field": p.field, "value": p.value, "reason": p.reason, "actor": p.actor, "at": iso(p.at),
             "released_at": iso(p.released_at), "released_by": p.released_by, "release_reason": p.release_reason}
            for p in session.scalars(q.order_by(GoldenPin.id))]
