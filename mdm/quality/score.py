"""Quality score of a golden record: the share of the domain's record-level rules its data passes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..governance.model import DomainRules
from .registry import Context


def score(rules: DomainRules, data: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """{"score": 0-100, "evaluated": n, "failed": [rule ids]} over the rules that apply to `data`.

    Rules that read the database or are scoped to one system or site judge incoming records, not
    the combined golden record, and are left out.
    """
    ctx = Context(system="", site=data.get("site"), today=today or dt.date.today())
    evaluated, failed = 0, []
    for check in rules.checks:
        if check.needs_db or check.rule.systems or check.rule.sites:
            continue
        result = check.evaluate(data, ctx)
        if result is None:
            continue
        evaluated += 1
        if result:
            failed.append(check.rule.id)
    value = round(100.0 * (evaluated - len(failed)) / evaluated, 1) if evaluated else 100.0
    return {"score": value, "evaluated": evaluated, "failed": failed}
