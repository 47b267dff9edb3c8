"""What ingestion answers for each record, and for a whole batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESULTS = ("created", "linked", "unchanged", "review", "quarantined", "rejected")


@dataclass
class RecordResult:
    """What happened to one received record."""

    position: int
    source_key: str | None
    result: str
    golden_id: str | None = None
    version: int | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"position": self.position, "source_key": self.source_key, "result": self.result}
        if self.golden_id:
            out["golden_id"] = self.golden_id
        if self.version is not None:
            out["version"] = self.version
        if self.reasons:
            out["reasons"] = self.reasons
        if self.unknown_fields:
            out["unknown_fields"] = self.unknown_fields
        return out


@dataclass
class BatchSummary:
    run_id: str
    system: str
    domain: str
    counts: dict[str, int]
    results: list[RecordResult]
    seconds: float

    def to_dict(self, with_results: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id, "system": self.system, "domain": self.domain,
            "received": sum(self.counts.values()), "counts": self.counts, "seconds": round(self.seconds, 3),
        }
        if with_results:
            out["results"] = [r.to_dict() for r in self.results]
        return out


def same_issues(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    key = lambda i: (i["rule"], i.get("field") or "", i["message"])
    return sorted(map(key, a)) == sorted(map(key, b))


def info(rule: str, message: str) -> dict[str, Any]:
    return {"rule": rule, "severity": "info", "message": message}
