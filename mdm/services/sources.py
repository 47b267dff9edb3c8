"""Source records outside batch ingestion: deletion at source and look-ups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from ..audit import append as append_audit
from ..audit.log import entry as audit_entry
from ..errors import NotFound
from ..governance.model import Governance
from ..matching import index as match_index
from ..models import SourceRecord, SourceVersion, XrefEvent, iso, utcnow
from . import governance_versions
from .golden_store import rebuild
from .ingest import check_target


def delete_source(factory: sessionmaker, gov: Governance, system: str, domain: str, key: str,
                  actor: str = "system") -> dict[str, Any]:
    """Mark a source record deleted at source and recompute the golden record it fed.

    Nothing is removed: a `deleted` version is appended and the xref history records the unlink.
    """
    check_target(gov, system, domain)
    gov_version_id = governance_versions.ensure_recorded(factory, gov)
    with factory() as session:
        sr = session.scalars(
            select(SourceRecord).where(SourceRecord.system == system, SourceRecord.domain == domain,
                                       SourceRecord.source_key == key).with_for_update()
        ).first()
        if sr is None:
            raise NotFound("source record", f"{system}/{domain}/{key}")
        if sr.status == "deleted":
            return {"source_key": key, "result": "unchanged", "golden_id": sr.golden_id, "version": sr.latest_version}
        now = utcnow()
        sr.latest_version += 1
        sr.status = "deleted"
        sr.latest_hash = "deleted"
        # Nothing received before the deletion may feed a golden record again, even if the source
        # later resends the key and that version is quarantined.
        sr.accepted_version = None
        sr.accepted_payload = None
        sr.updated_at = now
        session.execute(insert(SourceVersion).values(
            source_record_id=sr.id, version=sr.latest_version, status="deleted", payload={}, raw={},
            unknown_fields=[], issues=[], content_hash="deleted", governance_version_id=gov_version_id,
            received_at=now))
        golden_version = None
        if sr.golden_id:
            session.execute(insert(XrefEvent).values(
                source_record_id=sr.id, golden_id=sr.golden_id, action="unlink", rule="deleted_at_source",
                actor=actor, reason="deleted at source", at=now))
            golden_version = rebuild(
                session, gov, sr.golden_id, actor=actor, reason="source record deleted at source",
                explanation={"unlinked": [{"system": system, "source_key": key}]},
                gov_version_id=gov_version_id, now=now)
        # a deleted record is nobody's candidate any more, and no longer counts in term frequencies
        match_index.sync(session, domain, {sr.id: set()})
        # Appended after `rebuild` holds the golden row: every writer locks rows first, then the trail.
        append_audit(session, [audit_entry(actor, "unlink" if sr.golden_id else "delete", "source_record",
                                           f"{system}/{domain}/{key}", reason="deleted at source",
                                           after={"version": sr.latest_version, "status": "deleted",
                                                  "golden_id": sr.golden_id}, at=now)])
        session.commit()
        return {"source_key": key, "result": "deleted", "golden_id": sr.golden_id, "version": sr.latest_version,
                "golden_version": golden_version}


def source_record(session: Session, system: str, domain: str, key: str) -> SourceRecord:
    sr = session.scalars(select(SourceRecord).where(
        SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key == key)).first()
    if sr is None:
        raise NotFound("source record", f"{system}/{domain}/{key}")
    return sr


def latest_version(session: Session, sr: SourceRecord) -> SourceVersion:
    return session.scalars(select(SourceVersion).where(
        SourceVersion.source_record_id == sr.id, SourceVersion.version == sr.latest_version)).one()


def version_view(sr: SourceRecord, v: SourceVersion) -> dict[str, Any]:
    """A source record version as received and mapped, with its issues (API, quarantine)."""
    return {"system": sr.system, "domain": sr.domain, "source_key": sr.source_key, "site": sr.site,
            "status": sr.status, "golden_id": sr.golden_id, "version": v.version,
            "accepted_version": sr.accepted_version, "payload": v.payload, "raw": v.raw,
            "unknown_fields": v.unknown_fields, "issues": v.issues, "received_at": iso(v.received_at)}
