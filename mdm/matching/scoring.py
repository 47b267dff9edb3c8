"""Fellegi-Sunter scoring of two records, with the explanation a steward reads.

Each comparison walks its levels in order and takes the first that holds; the level's weight is
log2(m/u). A missing value on either side is the null level, weight 0: absence is no evidence.
With term-frequency adjustment an exact agreement on a common value ("Smith", "Medical") uses the
value's frequency as u, so it counts for less than agreement on a rare one. The observed frequency
is smoothed towards the level's own u as if `TF_PSEUDO` records had been seen already, so that a
small hub (where any value is "frequent") does not discount agreement it knows little about; and an
exact agreement never weighs less than the fuzzy levels below it. The total weight plus the prior
gives the match probability that the thresholds are compared with.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import normalise
from .comparators import COMPARATORS, compare
from .config import Comparison, MatchConfig

#: (records holding the value, records in the domain), by (comparison name, normalised value)
Frequency = Callable[[str, str], tuple[int, int] | None]
TF_PSEUDO = 1000


@dataclass
class Scored:
    weight: float
    probability: float
    comparisons: list[dict[str, Any]]

    def explain(self, cfg: MatchConfig) -> dict[str, Any]:
        return {"kind": "fuzzy", "probability": round(self.probability, 6), "weight": round(self.weight, 4),
                "prior_weight": round(cfg.prior_weight, 4),
                "thresholds": {"link": cfg.link, "review": cfg.review}, "comparisons": self.comparisons}


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    return 1.0 / (1.0 + 2.0 ** -weight)


def _values(c: Comparison, record: dict[str, Any]) -> Any:
    if len(c.fields) == 1:
        v = record.get(c.fields[0])
        return None if v is None or (isinstance(v, str) and not v.strip()) else v
    vals = tuple(record.get(f) for f in c.fields)
    return vals if any(v not in (None, "") for v in vals) else None


def compare_one(c: Comparison, a: dict[str, Any], b: dict[str, Any], frequency: Frequency | None,
                tf_minimum: float) -> dict[str, Any]:
    """The level one comparison lands on, with its weight and the values it looked at."""
    va, vb = _values(c, a), _values(c, b)
    out: dict[str, Any] = {"name": c.name, "fields": list(c.fields),
                           "values": [list(va) if isinstance(va, tuple) else va,
                                      list(vb) if isinstance(vb, tuple) else vb]}
    if va is None or vb is None:
        return {**out, "level": "null", "rule": "missing on one side", "weight": 0.0}
    results: dict[str, float] = {}
    for i, level in enumerate(c.levels):
        if level.comparator not in results:
            results[level.comparator] = compare(level.comparator, va, vb)
        result = results[level.comparator]
        if level.holds(result):
            weight = level.weight
            detail: dict[str, Any] = {}
            if c.tf and i == 0 and level.comparator == "exact" and frequency is not None:
                seen = frequency(c.name, normalise.text(va))
                if seen is not None:
                    n, total = seen
                    u = max((n + level.u * TF_PSEUDO) / (total + TF_PSEUDO), tf_minimum)
                    floor = max((lv.weight for lv in c.levels[1:]), default=c.else_weight)
                    weight = max(math.log2(level.m / u), floor)
                    detail = {"tf": {"records": n, "of": total, "u": round(u, 6)}}
            return {**out, "level": i, "rule": level.describe(), "comparator": level.comparator,
                    "result": _round(result), "weight": round(weight, 4), **detail}
    best = max(results.items(), key=lambda kv: kv[1] if COMPARATORS[kv[0]].kind == "similarity" else -kv[1])
    return {**out, "level": "else", "rule": "no level holds", "comparator": best[0], "result": _round(best[1]),
            "weight": round(c.else_weight, 4)}


def _round(x: float) -> float | None:
    return None if math.isinf(x) or math.isnan(x) else round(x, 4)


def score(cfg: MatchConfig, a: dict[str, Any], b: dict[str, Any], frequency: Frequency | None = None) -> Scored:
    """Compare record `a` with record `b` under `cfg`: total weight, probability, explanation per comparison."""
    parts = [compare_one(c, a, b, frequency, cfg.tf_minimum) for c in cfg.comparisons]
    weight = cfg.prior_weight + sum(p["weight"] for p in parts)
    return Scored(weight, probability(weight), parts)
