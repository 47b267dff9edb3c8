"""A run of one chunk commits once: retried as a whole when it loses a race, recorded when it fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mdm.demo.export_files import to_source
from mdm.lineage import emitter
from mdm.models import IngestRun, LineageEvent, QualityStat
from mdm.services import ingest as ingest_mod
from mdm.services.ingest import Ingestor


def _record(gov, key: str) -> dict:
    return to_source(gov, "crm", "customer", key, {"party_type": "organization", "name": "Lakeside Clinic",
                                                    "city": "Springfield", "country": "US"})


def _runs(factory) -> list[tuple[str, str]]:
    with factory() as s:
        return [(r.status, r.run_uuid) for r in s.scalars(select(IngestRun).order_by(IngestRun.id))]


def _events(factory, run_uuid: str) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(LineageEvent.event_type).where(LineageEvent.run_uuid == run_uuid)
                              .order_by(LineageEvent.id)))


def test_a_retried_run_is_recorded_once(app, monkeypatch) -> None:
    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]
    real, attempts = ingest_mod._Chunk.process, []

    def loses_the_first_race(self, items):
        out = real(self, items)
        attempts.append(1)
        if len(attempts) == 1:
            raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed"))
        return out

    monkeypatch.setattr(ingest_mod._Chunk, "process", loses_the_first_race)
    with app.app_context():
        lineage = emitter()
    summary = Ingestor(factory, gov, "crm", "customer", lineage=lineage).run([_record(gov, "R-1")])
    assert len(attempts) == 2 and summary.counts["created"] == 1
    assert _runs(factory) == [("complete", summary.run_id)]
    with factory() as s:
        per_rule = s.execute(select(QualityStat.rule_id, func.count()).group_by(QualityStat.rule_id)).all()
    assert per_rule and all(n == 1 for _, n in per_rule)  # the lost attempt counted nothing
    assert _events(factory, summary.run_id) == ["START", "COMPLETE"]


def test_a_failed_run_is_recorded_with_its_start_and_failure(app, monkeypatch) -> None:
    factory, gov = app.extensions["mdm.sessionmaker"], app.extensions["mdm.governance"]

    def breaks(self, items):
        raise ValueError("the disk is full")

    monkeypatch.setattr(ingest_mod._Chunk, "process", breaks)
    with app.app_context():
        lineage = emitter()
    ingestor = Ingestor(factory, gov, "crm", "customer", lineage=lineage)
    with pytest.raises(ValueError, match="disk is full"):
        ingestor.run([_record(gov, "R-1")])
    ((status, run_uuid),) = _runs(factory)
    assert status == "failed" and run_uuid == ingestor.run_uuid
    assert _events(factory, run_uuid) == ["START", "FAIL"]
    with factory() as s:
        assert s.scalar(select(IngestRun.error).where(IngestRun.run_uuid == run_uuid)) == \
            "ValueError: the disk is full"
