"""Quality score of a golden record: the share of the domain's record-level rules its data passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..governance.model import DomainRules
from .registry import Context


def _counted(check: Any) -> bool:
    return not (check.needs_db or check.rule.systems or check.rule.sites)


def from_record(rules: DomainRules, evaluated: list[str], issues: list[dict[str, Any]]) -> dict[str, Any]:
    """The same score, from the rule results of the one record a golden record was built from.

    A golden record with a single source record holds exactly that record's data, so the rules that
    just judged the record need not run again.
    """
    counted = {c.rule.id for c in rules.checks if _counted(c)}
    ran = [r for r in evaluated if r in counted]
    failed = sorted({i["rule"] for i in issues if i["rule"] in counted})
    failed = [r for r in ran if r in failed]
    value = round(100.0 * (len(ran) - len(failed)) / len(ran), 1) if ran else 100.0
    return {"score": value, "evaluated": len(ran), "failed": failed}


def score(rules: DomainRules, data: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """{"score": 0-100, "evaluated": n, "failed": [rule ids]} over the rules that apply to `data`.

    Rules that read the database or are scoped to one system or site judge incoming records, not
    the combined golden record, and are left out.
    """
    ctx = Context(system="", site=data.get("site"), today=today or dt.date.today())
    evaluated, failed = 0, []
    for check in rules.checks:
        if not _counted(check):
            continue
        result = check.evaluate(data, ctx)
        if result is None:
            continue
        evaluated += 1
        if result:
            failed.append(check.rule.id)
    value = round(100.0 * (evaluated - len(failed)) / evaluated, 1) if evaluated else 100.0
    return {"score": value, "evaluated": evaluated, "failed": failed}
