"""Counting rule results per ingest run: how often each rule was evaluated and how often it failed.

Scorecards (pass rates per domain, system, rule and run, and their trend) are sums over these counts.
Dictionary field rules are counted as evaluated for every record that has the field (every record,
for a required field), so their pass rates are comparable with configured rules.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ..governance.model import Domain

if TYPE_CHECKING:
    from ..services.mapping import Mapped


def field_rules(domain: Domain) -> dict[str, tuple[str, ...]]:
    """Rule ids the dictionary enforces on each field when it is present."""
    out = {}
    for name, f in domain.fields.items():
        kinds = ["type"]
        if f.code_list:
            kinds.append("code_list")
        if f.pattern:
            kinds.append("pattern")
        if f.minimum is not None or f.maximum is not None:
            kinds.append("range")
        if f.min_length is not None or f.max_length is not None:
            kinds.append("length")
        if f.check:
            kinds.append("check")
        out[name] = tuple(f"{domain.name}.{name}.{k}" for k in kinds)
    return out


class RunStats:
    """Evaluated and failed counts per rule for one run."""

    def __init__(self, domain: Domain) -> None:
        self.field_rules = field_rules(domain)
        self.required = tuple(f"{domain.name}.{n}.required" for n, f in domain.fields.items() if f.required)
        self.evaluated: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.meta: dict[str, tuple[str, str]] = {}  # rule id -> (kind, severity)

    def add(self, items: list[Mapped]) -> None:
        evaluated, failed = self.evaluated, self.failed
        for m in items:
            if m.rejected:
                continue
            for rid in self.required:
                evaluated[rid] += 1
            for name in m.payload:
                for rid in self.field_rules.get(name, ()):
                    evaluated[rid] += 1
            for rid in m.evaluated:
                evaluated[rid] += 1
            for rid in m.db_evaluated:
                evaluated[rid] += 1
            seen = set()
            for i in m.all_issues:
                rid = i["rule"]
                if rid in seen:
                    continue
                seen.add(rid)
                failed[rid] += 1
                self.meta.setdefault(rid, (i.get("kind", rid.rsplit(".", 1)[-1]), i["severity"]))
                if rid not in evaluated or evaluated[rid] < failed[rid]:
                    # a field that failed to convert never reached the payload: it was evaluated all the same
                    evaluated[rid] = failed[rid]

    def rows(self, kinds: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
        """One row per rule: `kinds` gives (kind, severity) of configured rules that never failed."""
        out = []
        for rid in sorted(set(self.evaluated) | set(self.failed)):
            kind, severity = self.meta.get(rid) or kinds.get(rid) or (rid.rsplit(".", 1)[-1], "error")
            out.append({"rule_id": rid, "kind": kind, "severity": severity,
                        "evaluated": self.evaluated[rid], "failed": self.failed[rid]})
        return out
