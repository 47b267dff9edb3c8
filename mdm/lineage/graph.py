"""Record-level lineage: which systems, runs and source versions produced each golden value.

OpenLineage events describe datasets and jobs; auditors also ask about one record ("where does
this GTIN come from?"). These queries answer from the hub's own tables: the per-field provenance
of a golden version joined to the source versions and ingest runs it names, and the other way
round, the golden records a source record fed. Each answer is a handful of queries, whatever the
number of fields. Services only: plain values in, JSON-ready dicts out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..governance.model import Governance
from ..models import (
    GoldenRecord,
    GoldenVersion,
    IngestRun,
    LineageEvent,
    SourceRecord,
    SourceVersion,
    XrefEvent,
    iso,
)
from ..services.golden import get_golden, version_at
from .events import ingest_job_name

Ref = tuple[str, str, int]  # (system, source_key, version)


def golden_lineage(session: Session, gov: Governance, domain: str, golden_id: str,
                   version: int | None = None) -> dict[str, Any]:
    """Per-field origin of a golden version (default: the current one) and the graph behind it.

    Returns:
        `fields` maps each field to its value, winning system, source key and version, survivorship
        rule, ingest run, receipt time and the quality issues of that source version; `nodes` and
        `edges` form the graph system -> run -> source record version -> golden field.

    Raises:
        NotFound: no such golden record in the domain, or no such version.
    """
    rec = get_golden(session, domain, golden_id)
    gv = version_at(session, rec, version=version)
    provenance: dict[str, dict[str, Any]] = gv.provenance or {}
    found = _source_versions(session, domain, {r for r in map(_ref, provenance.values()) if r is not None})

    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    fields: dict[str, dict[str, Any]] = {}
    for name, prov in provenance.items():
        ref = _ref(prov)
        src = found.get(ref) if ref else None
        fields[name] = {
            "value": gv.data.get(name), "system": prov.get("system"), "source_key": prov.get("source_key"),
            "source_version": prov.get("version"), "rule": prov.get("rule"),
            "run_id": src["run_id"] if src else None, "received_at": src["received_at"] if src else None,
            "quality": src["issues"] if src else [],
        }
        if prov.get("pin") is not None:  # a steward's correction: who, when and why
            fields[name]["steward"] = {k: prov.get(k) for k in ("pin", "actor", "reason", "at")}
        field_id = f"field:{golden_id}.{name}"
        nodes[field_id] = {"id": field_id, "type": "golden_field", "field": name, "value": gv.data.get(name),
                           "rule": prov.get("rule")}
        if ref is None:
            if prov.get("actor"):  # a steward's value: the steward is the origin
                steward = f"steward:{prov['actor']}"
                nodes[steward] = {"id": steward, "type": "steward", "actor": prov["actor"]}
                _edge(edges, steward, field_id, "set", prov.get("rule"))
            continue
        system, key, ver = ref
        system_id, source_id = f"system:{system}", f"source:{system}/{key}@{ver}"
        sys_def = gov.systems.get(system)
        nodes[system_id] = {"id": system_id, "type": "system", "system": system,
                            "namespace": sys_def.namespace if sys_def else None,
                            "kind": sys_def.kind if sys_def else None}
        nodes[source_id] = {"id": source_id, "type": "source_record_version", "system": system, "source_key": key,
                            "version": ver, "status": src["status"] if src else None,
                            "received_at": src["received_at"] if src else None}
        _edge(edges, source_id, field_id, "won", prov.get("rule"))
        if src and src["run_id"]:
            run_id = f"run:{src['run_id']}"
            nodes[run_id] = {"id": run_id, "type": "run", "run_id": src["run_id"],
                             "job": ingest_job_name(src["run_system"], domain), "status": src["run_status"],
                             "started_at": src["run_started_at"]}
            _edge(edges, system_id, run_id, "ran")
            _edge(edges, run_id, source_id, "received")
        else:  # received outside any run (none today): the system still is the origin
            _edge(edges, system_id, source_id, "sent")
    order = {"system": 0, "steward": 0, "run": 1, "source_record_version": 2, "golden_field": 3}
    from ..services.signatures import of_versions

    return {
        "golden_id": rec.id, "domain": rec.domain, "version": gv.version, "status": gv.status,
        "created_at": iso(gv.created_at), "fields": fields,
        "signatures": of_versions(session, rec.id, [gv]).get(gv.version, []),
        "nodes": sorted(nodes.values(), key=lambda n: (order[n["type"]], n["id"])),
        "edges": sorted(edges.values(), key=lambda e: (e["from"], e["to"])),
    }


def source_lineage(session: Session, system: str, domain: str, key: str) -> dict[str, Any]:
    """The golden records one source record fed, and per version the golden fields it wins now.

    Returns:
        `goldens`: every golden record the record was ever linked to (xref history and the current
        link), with its link events; `versions`: each version with its run and, under `wins`, the
        fields of the current golden versions whose provenance names it.

    Raises:
        NotFound: no such source record.
    """
    sr = session.scalars(select(SourceRecord).where(
        SourceRecord.system == system, SourceRecord.domain == domain, SourceRecord.source_key == key)).first()
    if sr is None:
        raise NotFound("source record", f"{system}/{domain}/{key}")
    links = session.execute(
        select(XrefEvent, IngestRun.run_uuid).outerjoin(IngestRun, IngestRun.id == XrefEvent.run_id)
        .where(XrefEvent.source_record_id == sr.id).order_by(XrefEvent.id)).all()
    golden_ids = sorted({x.golden_id for x, _ in links} | ({sr.golden_id} if sr.golden_id else set()))
    current = session.execute(
        select(GoldenRecord, GoldenVersion)
        .outerjoin(GoldenVersion, and_(GoldenVersion.golden_id == GoldenRecord.id,
                                       GoldenVersion.version == GoldenRecord.version))
        .where(GoldenRecord.id.in_(golden_ids))).all() if golden_ids else []
    wins: dict[int, dict[str, list[str]]] = {}
    goldens = []
    for rec, gv in sorted(current, key=lambda row: row[0].id):
        for name, prov in sorted(((gv.provenance or {}) if gv else {}).items()):
            if prov.get("system") == system and prov.get("source_key") == key:
                wins.setdefault(prov.get("version"), {}).setdefault(rec.id, []).append(name)
        goldens.append({
            "golden_id": rec.id, "status": rec.status, "merged_into": rec.merged_into, "version": rec.version,
            "linked_now": rec.id == sr.golden_id,
            "links": [{"action": x.action, "rule": x.rule, "run_id": run_uuid, "actor": x.actor, "reason": x.reason,
                       "at": iso(x.at)} for x, run_uuid in links if x.golden_id == rec.id],
        })
    versions = session.execute(
        select(SourceVersion, IngestRun.run_uuid).outerjoin(IngestRun, IngestRun.id == SourceVersion.run_id)
        .where(SourceVersion.source_record_id == sr.id).order_by(SourceVersion.version)).all()
    return {
        "system": system, "domain": domain, "source_key": key, "status": sr.status, "golden_id": sr.golden_id,
        "goldens": goldens,
        "versions": [{"version": v.version, "status": v.status, "run_id": run_uuid, "received_at": iso(v.received_at),
                      "issues": v.issues, "wins": wins.get(v.version, {})} for v, run_uuid in versions],
    }


def recent_runs(session: Session, *, limit: int, domain: str | None = None,
                system: str | None = None) -> list[dict[str, Any]]:
    """Ingest runs, newest first, each with its counts and the lineage event types stored for it."""
    q = select(IngestRun)
    if domain:
        q = q.where(IngestRun.domain == domain)
    if system:
        q = q.where(IngestRun.system == system)
    runs = session.scalars(q.order_by(IngestRun.id.desc()).limit(limit)).all()
    types: dict[str, list[str]] = {}
    if runs:
        for run_uuid, event_type in session.execute(
            select(LineageEvent.run_uuid, LineageEvent.event_type)
            .where(LineageEvent.run_uuid.in_([r.run_uuid for r in runs])).order_by(LineageEvent.id)
        ):
            types.setdefault(run_uuid, []).append(event_type)
    return [{"run_id": r.run_uuid, "system": r.system, "domain": r.domain, "status": r.status,
             "job": ingest_job_name(r.system, r.domain), "actor": r.actor, "started_at": iso(r.started_at),
             "finished_at": iso(r.finished_at), "counts": r.counts or {}, "error": r.error,
             "governance_version_id": r.governance_version_id, "lineage_events": types.get(r.run_uuid, [])}
            for r in runs]


def stored_events(session: Session, *, after: int, limit: int, run_id: str | None = None) -> list[dict[str, Any]]:
    """Stored lineage events in the order they were emitted (keyset: pass the last `id` as `after`)."""
    q = select(LineageEvent).where(LineageEvent.id > after)
    if run_id:
        q = q.where(LineageEvent.run_uuid == run_id)
    return [{"id": e.id, "run_id": e.run_uuid, "event_type": e.event_type, "job_namespace": e.job_namespace,
             "job_name": e.job_name, "event_time": iso(e.event_time), "delivered": e.delivered, "error": e.error,
             "event": e.event}
            for e in session.scalars(q.order_by(LineageEvent.id).limit(limit))]


def _ref(prov: dict[str, Any]) -> Ref | None:
    if prov.get("system") is None or prov.get("source_key") is None or prov.get("version") is None:
        return None
    return (prov["system"], prov["source_key"], int(prov["version"]))


def _source_versions(session: Session, domain: str, refs: set[Ref]) -> dict[Ref, dict[str, Any]]:
    """The named source versions with their runs, in one query."""
    if not refs:
        return {}
    sr, sv, run = SourceRecord, SourceVersion, IngestRun
    match = or_(*(and_(sr.system == s, sr.source_key == k, sv.version == v) for s, k, v in sorted(refs)))
    rows = session.execute(
        select(sr.system, sr.source_key, sv.version, sv.status, sv.received_at, sv.issues,
               run.run_uuid, run.system, run.status, run.started_at)
        .join(sr, sr.id == sv.source_record_id).outerjoin(run, run.id == sv.run_id)
        .where(sr.domain == domain, match)).all()
    return {(r[0], r[1], r[2]): {"status": r[3], "received_at": iso(r[4]), "issues": r[5] or [],
                                 "run_id": r[6], "run_system": r[7], "run_status": r[8],
                                 "run_started_at": iso(r[9])} for r in rows}


def _edge(edges: dict[tuple[str, str], dict[str, Any]], src: str, dst: str, kind: str,
          rule: str | None = None) -> None:
    edge: dict[str, Any] = {"from": src, "to": dst, "type": kind}
    if rule:
        edge["rule"] = rule
    edges[(src, dst)] = edge
