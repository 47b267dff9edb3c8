"""Read side of golden records: by id, lists with filters, history, as-of, xref, change feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import identifiers
from ..errors import InvalidInput, NotFound
from ..governance.model import Governance
from ..models import ChangeEvent, GoldenRecord, GoldenVersion, Identifier, SourceRecord, XrefEvent, iso


def golden_view(rec: GoldenRecord, version: GoldenVersion | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rec.id, "domain": rec.domain, "status": version.status if version else rec.status,
        "version": version.version if version else rec.version,
        "data": version.data if version else rec.data,
        "created_at": iso(rec.created_at), "updated_at": iso(rec.updated_at),
    }
    if rec.merged_into:
        out["merged_into"] = rec.merged_into
    if rec.quality_score is not None and version is None:
        out["quality_score"] = rec.quality_score
    if version is not None:
        out.update(provenance=version.provenance, governance_version_id=version.governance_version_id,
                   version_created_at=iso(version.created_at), actor=version.actor)
        if version.quality is not None:
            out["quality"] = version.quality
    return out


def get_golden(session: Session, domain: str, golden_id: str) -> GoldenRecord:
    rec = session.get(GoldenRecord, golden_id)
    if rec is None or rec.domain != domain:
        raise NotFound(f"{domain} golden record", golden_id)
    return rec


def version_at(session: Session, rec: GoldenRecord, as_of: dt.datetime | None = None,
               version: int | None = None) -> GoldenVersion:
    """The version current at `as_of` (or numbered `version`; default the latest)."""
    q = select(GoldenVersion).where(GoldenVersion.golden_id == rec.id)
    if version is not None:
        q = q.where(GoldenVersion.version == version)
    elif as_of is not None:
        q = q.where(GoldenVersion.created_at <= as_of).order_by(GoldenVersion.version.desc()).limit(1)
    else:
        q = q.where(GoldenVersion.version == rec.version)
    found = session.scalars(q).first()
    if found is None:
        what = f"version {version}" if version is not None else f"a version as of {iso(as_of) if as_of else ''}"
        raise NotFound(f"{rec.id}", what)
    return found


def history(session: Session, rec: GoldenRecord) -> list[dict[str, Any]]:
    versions = session.scalars(
        select(GoldenVersion).where(GoldenVersion.golden_id == rec.id).order_by(GoldenVersion.version)).all()
    from .signatures import of_versions

    signed = of_versions(session, rec.id, versions)
    return [{"version": v.version, "status": v.status, "data": v.data, "provenance": v.provenance,
             "explanation": v.explanation, "quality": v.quality, "actor": v.actor, "reason": v.reason,
             "governance_version_id": v.governance_version_id, "created_at": iso(v.created_at),
             "signatures": signed.get(v.version, [])}
            for v in versions]


def list_golden(session: Session, gov: Governance, domain: str, *, status: str | None, after: str | None,
                limit: int, updated_since: dt.datetime | None, identifier: dict[str, str]) -> list[GoldenRecord]:
    """A page of golden records in id order (keyset pagination: pass the last id as `after`)."""
    q = select(GoldenRecord).where(GoldenRecord.domain == domain)
    if status:
        q = q.where(GoldenRecord.status == status)
    if after:
        q = q.where(GoldenRecord.id > after)
    if updated_since:
        q = q.where(GoldenRecord.updated_at >= updated_since)
    for field_name, value in identifier.items():
        f = gov.domains[domain].fields.get(field_name)
        if f is None or not f.identifier_kind:
            raise InvalidInput(f"{field_name!r} is not an identifier field of {domain}")
        norm = identifiers.normalize(f.identifier_kind, value) or value
        q = q.where(GoldenRecord.id.in_(select(Identifier.golden_id).where(
            Identifier.domain == domain, Identifier.kind == f.identifier_kind, Identifier.value == norm)))
    return list(session.scalars(q.order_by(GoldenRecord.id).limit(limit)))


def references(session: Session, gov: Governance, domain: str, data: dict[str, Any]) -> dict[str, Any]:
    """Reference fields pointing at a merged golden record, with the survivor they resolve to now."""
    out: dict[str, Any] = {}
    for name, f in gov.domains[domain].fields.items():
        target = data.get(name)
        if not f.reference or not isinstance(target, str):
            continue
        resolved, seen = target, set()
        while resolved not in seen:
            seen.add(resolved)
            nxt = session.scalar(select(GoldenRecord.merged_into).where(GoldenRecord.id == resolved))
            if not nxt:
                break
            resolved = nxt
        if resolved != target:
            out[name] = {"id": target, "resolved": resolved}
    return out


def sources_of(session: Session, golden_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(SourceRecord).where(SourceRecord.golden_id == golden_id)
                           .order_by(SourceRecord.system, SourceRecord.source_key)).all()
    return [{"system": r.system, "source_key": r.source_key, "status": r.status, "version": r.latest_version,
             "accepted_version": r.accepted_version} for r in rows]


def xref(session: Session, system: str, domain: str, key: str) -> dict[str, Any]:
    sr = session.scalars(select(SourceRecord).where(
        SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key == key)).first()
    if sr is None:
        raise NotFound("source record", f"{system}/{domain}/{key}")
    golden_id = sr.golden_id
    merged_into = None
    if golden_id:
        rec = session.get(GoldenRecord, golden_id)
        if rec is not None and rec.merged_into:
            merged_into = rec.merged_into
    events = session.scalars(select(XrefEvent).where(XrefEvent.source_record_id == sr.id).order_by(XrefEvent.id)).all()
    return {
        "system": system, "domain": domain, "source_key": key, "golden_id": golden_id, "merged_into": merged_into,
        "status": sr.status, "version": sr.latest_version, "accepted_version": sr.accepted_version,
        "history": [{"action": e.action, "golden_id": e.golden_id, "rule": e.rule, "actor": e.actor,
                     "reason": e.reason, "at": iso(e.at)} for e in events],
    }


def changes(session: Session, after: int, limit: int, domain: str | None = None) -> list[dict[str, Any]]:
    q = select(ChangeEvent).where(ChangeEvent.seq > after)
    if domain:
        q = q.where(ChangeEvent.domain == domain)
    rows = session.scalars(q.order_by(ChangeEvent.seq).limit(limit)).all()
    return [{"seq": c.seq, "golden_id": c.golden_id, "domain": c.domain, "kind": c.kind, "version": c.version,
             "data": c.data, "at": iso(c.at)} for c in rows]
