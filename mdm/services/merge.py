"""Merge and unmerge of golden records (DESIGN.md §4): ids stay stable, nothing earlier is lost.

A merge moves every live source record, identifier claim and open pin of the merged records to the
survivor, which keeps its id; a merged record answers with `merged_into`. An unmerge takes one
source record out again: back to the golden id it had before a merge when there is one, otherwise
re-matched with the pair remembered as never-match. Each step writes golden versions, xref history,
audit entries and change events in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..errors import Conflict, NotFound, ValidationFailed
from ..governance.model import Governance
from ..models import GoldenPin, GoldenRecord, GoldenVersion, Identifier, SourceRecord, XrefEvent, utcnow
from . import decisions, ids
from .bulk import table
from .golden_store import append_changes, lock_goldens, rebuild


class MergeRefused(Conflict):
    """The hub will not merge these records without a steward (remembered never-match, identifier conflict)."""

    title = "Merge refused"


def merge_goldens(session: Session, gov: Governance, domain: str, survivor: str, merged: list[str], *,
                  actor: str, reason: str, explanation: dict[str, Any] | None = None,
                  gov_version_id: int | None = None, run_id: int | None = None, automatic: bool = False,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Merge `merged` into `survivor`.

    Raises:
        NotFound: a golden record does not exist in `domain`.
        ValidationFailed: a record of another domain, or a record merged into itself.
        Conflict: a record is not active (already merged, retired).
        MergeRefused: (automatic merges only) a never-match decision or different identifiers of one kind.
    """
    now = now or utcnow()
    merged = sorted(set(merged))
    if not merged:
        raise ValidationFailed("name at least one golden record to merge")
    if survivor in merged:
        raise ValidationFailed(f"{survivor} cannot be merged into itself")
    rows = lock_goldens(session, [survivor, *merged])
    for gid in [survivor, *merged]:
        row = rows.get(gid)
        if row is None:
            raise NotFound(f"{domain} golden record", gid)
        if row.domain != domain:
            raise ValidationFailed(f"{gid} is a {row.domain} record; a merge stays within one domain ({domain})")
        if row.status != "active":
            raise Conflict(f"{gid} is {row.status}" + (" and cannot be merged" if row.status != "merged" else
                                                         f" into {_merged_into(session, gid)} already"))
    members = _members(session, [survivor, *merged])
    if automatic:
        _refuse_automatic(session, domain, survivor, merged, members)
    revoked = decisions.revoke_between(session, members[survivor], [s for g in merged for s in members[g]],
                                       actor=actor, now=now)
    moved = [sid for g in merged for sid in members[g]]
    _relink(session, moved, survivor, rule="auto_merge" if automatic else "merge", actor=actor, reason=reason,
            explanation={**(explanation or {}), "merged": merged, "survivor": survivor}, run_id=run_id, now=now)
    if not automatic and members[survivor] and moved:
        # remembered so that a later rematch keeps what a steward put together
        decisions.remember(session, domain, "must", [(min(members[survivor]), sid) for sid in moved],
                           reason=reason, actor=actor, now=now)
    session.execute(update(Identifier).where(Identifier.golden_id.in_(merged)).values(golden_id=survivor))
    _move_pins(session, survivor, merged, actor, now)
    session.execute(update(GoldenRecord).where(GoldenRecord.merged_into.in_(merged)).values(merged_into=survivor))
    for gid in merged:
        row = rows[gid]
        version = row.version + 1
        session.execute(update(GoldenRecord).where(GoldenRecord.id == gid).values(
            status="merged", merged_into=survivor, version=version, updated_at=now))
        session.execute(insert(GoldenVersion).values(
            golden_id=gid, version=version, status="merged", data=row.data,
            provenance={"merged_into": survivor}, explanation={**(explanation or {}), "merged_into": survivor},
            governance_version_id=gov_version_id, run_id=run_id, actor=actor, reason=reason, created_at=now))
        append_audit(session, [audit_entry(
            actor, "merge", "golden_record", gid, reason=reason, before={"status": "active"},
            after={"version": version, "status": "merged", "merged_into": survivor,
                   "source_records": len(members[gid])},
            context={"automatic": automatic, "governance_version_id": gov_version_id,
                     "revoked_decisions": revoked}, at=now)])
        append_changes(session, [{"golden_id": gid, "domain": domain, "kind": "merged", "version": version,
                                  "data": {"merged_into": survivor}, "at": now}])
    version = rebuild(session, gov, survivor, actor=actor, reason=reason, force=True, action="merge",
                      explanation={**(explanation or {}), "merged": merged}, gov_version_id=gov_version_id,
                      run_id=run_id, now=now)
    return {"survivor": survivor, "merged": merged, "version": version, "moved": len(moved)}


def _merged_into(session: Session, gid: str) -> str | None:
    return session.scalar(select(GoldenRecord.merged_into).where(GoldenRecord.id == gid))


def _members(session: Session, golden_ids: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {g: [] for g in golden_ids}
    for sid, golden in session.execute(
        select(SourceRecord.id, SourceRecord.golden_id)
        .where(SourceRecord.golden_id.in_(golden_ids), SourceRecord.status != "deleted").order_by(SourceRecord.id)
    ):
        out[str(golden)].append(sid)
    return out


def _refuse_automatic(session: Session, domain: str, survivor: str, merged: list[str],
                      members: dict[str, list[int]]) -> None:
    others = [s for g in merged for s in members[g]]
    if decisions.never_between(session, members[survivor], others):
        raise MergeRefused(f"a steward decided that records of {survivor} and {', '.join(merged)} are not a match")
    clashes = identifier_clashes(session, survivor, merged)
    if clashes:
        raise MergeRefused(next(iter(clashes.values())))


def identifier_clashes(session: Session, survivor: str, others: list[str]) -> dict[str, str]:
    """Those of `others` holding another identifier of a kind `survivor` holds, with why (one query)."""
    held: dict[str, dict[str, set[str]]] = {}
    for gid, kind, value in session.execute(golden_identifiers_select(), {"goldens": [survivor, *others]}):
        held.setdefault(gid, {}).setdefault(kind, set()).add(value)
    out = {}
    for gid in others:
        for kind, values in sorted(held.get(gid, {}).items()):
            theirs = held.get(survivor, {}).get(kind)
            if theirs and not theirs & values:
                out[gid] = f"{survivor} and {gid} hold different {kind} identifiers: never merged automatically"
                break
    return out


@cache
def golden_identifiers_select() -> Any:
    """(golden_id, kind, value) of the golden records in the expanding parameter `goldens`; built
    once: ingestion asks it for candidates and bridges with every upsert."""
    t = table(Identifier)
    return select(t.c.golden_id, t.c.kind, t.c.value).where(t.c.golden_id.in_(bindparam("goldens", expanding=True)))


def _relink(session: Session, source_ids: list[int], target: str, *, rule: str, actor: str, reason: str,
            explanation: dict[str, Any], run_id: int | None, now: dt.datetime) -> None:
    if not source_ids:
        return
    current = dict(session.execute(select(SourceRecord.id, SourceRecord.golden_id)
                                   .where(SourceRecord.id.in_(source_ids))).all())
    rows = []
    for sid in source_ids:
        if current.get(sid):
            rows.append({"source_record_id": sid, "golden_id": current[sid], "action": "unlink", "rule": rule,
                         "actor": actor, "reason": reason, "explanation": explanation, "run_id": run_id, "at": now})
        rows.append({"source_record_id": sid, "golden_id": target, "action": "link", "rule": rule, "actor": actor,
                     "reason": reason, "explanation": explanation, "run_id": run_id, "at": now})
    session.execute(insert(XrefEvent), rows)
    session.execute(update(SourceRecord).where(SourceRecord.id.in_(source_ids))
                    .values(golden_id=target, updated_at=now))


def _move_pins(session: Session, survivor: str, merged: list[str], actor: str, now: dt.datetime) -> None:
    """Pins of merged records carry over to fields the survivor has no pin on; the rest are released."""
    pinned = set(session.scalars(select(GoldenPin.field).where(GoldenPin.golden_id == survivor,
                                                              GoldenPin.released_at.is_(None))))
    for pin in session.scalars(select(GoldenPin).where(GoldenPin.golden_id.in_(merged), GoldenPin.released_at.is_(None))
                               .order_by(GoldenPin.id)):
        if pin.field in pinned:
            pin.released_at, pin.released_by = now, actor
            pin.release_reason = f"merged into {survivor}, which has its own pin"
        else:
            pin.golden_id = survivor
            pinned.add(pin.field)


def unmerge(session: Session, gov: Governance, domain: str, golden_id: str, system: str, source_key: str, *,
            actor: str, reason: str, gov_version_id: int | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Take one source record out of `golden_id`.

    Raises:
        NotFound: no such golden record or source record.
        Conflict: the source record is not in that golden record, or is its only one.
    """
    from .rematch_one import rematch_one

    now = now or utcnow()
    row = lock_goldens(session, [golden_id]).get(golden_id)
    if row is None or row.domain != domain:
        raise NotFound(f"{domain} golden record", golden_id)
    if row.status != "active":
        raise Conflict(f"{golden_id} is {row.status}; unmerge from the record it was merged into")
    sr = session.scalars(select(SourceRecord).where(
        SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key == source_key)
        .with_for_update()).first()
    if sr is None:
        raise NotFound("source record", f"{system}/{domain}/{source_key}")
    if sr.golden_id != golden_id or sr.status == "deleted":
        raise Conflict(f"{system}/{source_key} is not a source record of {golden_id}"
                       + (f" (it belongs to {sr.golden_id})" if sr.golden_id and sr.golden_id != golden_id else ""))
    remaining = [s for s in _members(session, [golden_id])[golden_id] if s != sr.id]
    if not remaining:
        raise Conflict(f"{system}/{source_key} is the only source record of {golden_id}: nothing to unmerge it from")
    decisions.revoke_between(session, [sr.id], remaining, actor=actor, now=now, kinds=("must",))
    decisions.remember(session, domain, "never", [(sr.id, s) for s in remaining], reason=reason, actor=actor, now=now)
    earlier = _earlier_golden(session, sr.id, golden_id)
    explanation: dict[str, Any] = {"unmerged": {"system": system, "source_key": source_key}, "from": golden_id}
    target: str
    if earlier is not None:
        target, how = earlier, "restored"
        session.execute(update(GoldenRecord).where(GoldenRecord.id == target).values(merged_into=None))
    else:
        found, how, match = rematch_one(session, gov, domain, sr, exclude=golden_id)
        if match is not None:
            explanation["match"] = match
        if found is not None:
            target = found
        else:
            target = ids.allocate(session, domain, gov.domains[domain].id_prefix, 1)[0]
            session.execute(insert(GoldenRecord).values(id=target, domain=domain, status="active", version=0, data={},
                                                        created_at=now, updated_at=now))
            how = "created"
    _relink(session, [sr.id], target, rule="unmerge", actor=actor, reason=reason,
            explanation={**explanation, "to": target, "how": how}, run_id=None, now=now)
    _move_claims(session, gov, domain, sr, golden_id, target)
    v_from = rebuild(session, gov, golden_id, actor=actor, reason=reason, force=True, action="unmerge",
                     explanation={**explanation, "to": target}, gov_version_id=gov_version_id, now=now)
    v_to = rebuild(session, gov, target, actor=actor, reason=reason, force=True, action="unmerge",
                   explanation={**explanation, "to": target, "how": how}, gov_version_id=gov_version_id, now=now,
                   change_kind={"restored": "unmerged", "created": "created"}.get(how, "updated"))
    return {"golden_id": golden_id, "version": v_from, "target": target, "target_version": v_to, "how": how,
            "source": {"system": system, "source_key": source_key}}


def _earlier_golden(session: Session, source_id: int, current: str) -> str | None:
    """The golden record this source record was linked to before a merge took it to `current`."""
    for golden in session.scalars(select(XrefEvent.golden_id).where(
            XrefEvent.source_record_id == source_id, XrefEvent.action == "link", XrefEvent.golden_id != current)
            .order_by(XrefEvent.id.desc())):
        seen = set()
        g: str | None = golden
        rec = session.get(GoldenRecord, golden)
        if rec is None or rec.status != "merged":
            continue
        while g is not None and g not in seen:  # follow merged_into to see that it leads here
            seen.add(g)
            if g == current:
                return golden
            g = session.scalar(select(GoldenRecord.merged_into).where(GoldenRecord.id == g))
    return None


def _move_claims(session: Session, gov: Governance, domain: str, sr: SourceRecord, old: str, new: str) -> None:
    """Identifier values only the unmerged record carried go with it."""
    from .golden_store import load_members

    idents = {f.name: f for f in gov.domains[domain].identifier_fields}
    left = load_members(session, [old])[old]
    mine = load_members(session, [new])[new].get((sr.system, sr.source_key))
    if mine is None:
        return
    kept = {str(m.payload.get(n)) for m in left.values() for n in idents if m.payload.get(n) is not None}
    from .. import identifiers

    for name, f in idents.items():
        value = mine.payload.get(name)
        if value is None or str(value) in kept:
            continue
        norm = identifiers.normalize(f.identifier_kind or "", str(value)) if f.identifier_kind else None
        if norm is None:
            continue
        session.execute(update(Identifier).where(
            Identifier.domain == domain, Identifier.golden_id == old, Identifier.kind == f.identifier_kind,
            Identifier.value == norm).values(golden_id=new))
