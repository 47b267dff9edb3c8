"""Scorecards: pass rates per domain, system, rule and run, their trend, and golden-record scores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..models import GoldenRecord, IngestRun, QualityTotal, SourceRecord, iso


def _rate(passed: int, total: int) -> float | None:
    return round(100.0 * passed / total, 2) if total else None


def records_by(session: Session, *group: Any, domain: str | None = None) -> list[dict[str, Any]]:
    """Current state of source records: accepted versus quarantined (deleted ones left out)."""
    sr = SourceRecord
    quarantined = func.sum(case((sr.status == "quarantined", 1), else_=0))
    q = select(*group, func.count().label("records"), quarantined.label("quarantined")).where(sr.status != "deleted")
    if domain:
        q = q.where(sr.domain == domain)
    out = []
    for row in session.execute(q.group_by(*group).order_by(*group)):
        d = dict(row._mapping)
        d["quarantined"] = int(d["quarantined"] or 0)
        d["accepted"] = d["records"] - d["quarantined"]
        d["pass_rate"] = _rate(d["accepted"], d["records"])
        out.append(d)
    return out


def rules(session: Session, domain: str | None = None, system: str | None = None) -> list[dict[str, Any]]:
    qs = QualityTotal  # running totals per system, added to as each run finishes
    q = select(qs.domain, qs.rule_id, qs.kind, qs.severity, func.sum(qs.evaluated).label("evaluated"),
               func.sum(qs.failed).label("failed"))
    if domain:
        q = q.where(qs.domain == domain)
    if system:
        q = q.where(qs.system == system)
    q = q.group_by(qs.domain, qs.rule_id, qs.kind, qs.severity).order_by(qs.domain, qs.rule_id)
    out = []
    for row in session.execute(q):
        d = dict(row._mapping)
        d["evaluated"], d["failed"] = int(d["evaluated"]), int(d["failed"])
        d["pass_rate"] = _rate(d["evaluated"] - d["failed"], d["evaluated"])
        out.append(d)
    return out


def runs(session: Session, domain: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, oldest first (the trend), each with its record pass rate."""
    q = select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)
    if domain:
        q = q.where(IngestRun.domain == domain)
    out = []
    for run in reversed(session.scalars(q).all()):
        counts = run.counts or {}
        judged = sum(counts.values()) - counts.get("rejected", 0)
        out.append({"run_id": run.run_uuid, "system": run.system, "domain": run.domain, "status": run.status,
                    "started_at": iso(run.started_at), "actor": run.actor, "counts": counts,
                    "pass_rate": _rate(judged - counts.get("quarantined", 0), judged)})
    return out


def golden_scores(session: Session, domain: str | None = None) -> list[dict[str, Any]]:
    g = GoldenRecord
    q = select(g.domain, func.count().label("records"), func.avg(g.quality_score).label("average_score"),
               func.sum(case((g.quality_score < 100, 1), else_=0)).label("below_100")).where(g.status == "active")
    if domain:
        q = q.where(g.domain == domain)
    return [{"domain": r.domain, "records": r.records,
             "average_score": round(float(r.average_score), 2) if r.average_score is not None else None,
             "below_100": int(r.below_100 or 0)}
            for r in session.execute(q.group_by(g.domain).order_by(g.domain))]


def summary(session: Session, domain: str | None = None, last_runs: int = 20) -> dict[str, Any]:
    return {
        "domains": records_by(session, SourceRecord.domain, domain=domain),
        "systems": records_by(session, SourceRecord.system, SourceRecord.domain, domain=domain),
        "rules": rules(session, domain),
        "runs": runs(session, domain, last_runs),
        "golden": golden_scores(session, domain),
    }
