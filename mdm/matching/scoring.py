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
from typing import Any

from . import normalise
from .comparators import COMPARATORS, compare
from .config import Comparison, MatchConfig

#: (records holding the value, records in the domain), by (comparison name, normalised value)
Frequency = Callable[[str, str], tuple[int, int] | None]
TF_PSEUDO = 1000


class Scored:
    """A pair's total weight and probability; the per-comparison explanation is built when read.

    Matching scores up to `candidates` stored records per incoming one and keeps the explanation of
    a few: building the explanation's dicts for every pair cost a quarter of the scoring time.
    """

    __slots__ = ("_comparisons", "_parts", "probability", "weight")

    def __init__(self, weight: float, probability: float, parts: list[tuple[Any, ...]]) -> None:
        self.weight = weight
        self.probability = probability
        self._parts = parts  # (comparison, values of a, values of b, landed level or None)
        self._comparisons: list[dict[str, Any]] | None = None

    @property
    def comparisons(self) -> list[dict[str, Any]]:
        if self._comparisons is None:
            self._comparisons = [_described(*p) for p in self._parts]
        return self._comparisons

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


#: where a comparison landed: (level index or "else", comparator, result, weight rounded, tf detail or None)
Landed = tuple[Any, str, float, float, "dict[str, Any] | None"]


def _land(c: Comparison, va: Any, vb: Any, frequency: Frequency | None, tf_minimum: float) -> Landed:
    results: dict[str, float] = {}
    for i, level in enumerate(c.levels):
        result = results.get(level.comparator)
        if result is None:
            result = results[level.comparator] = compare(level.comparator, va, vb)
        if level.holds(result):
            weight = level.weight
            tf = None
            if c.tf and i == 0 and level.comparator == "exact" and frequency is not None:
                seen = frequency(c.name, normalise.text(va))
                if seen is not None:
                    n, total = seen
                    u = max((n + level.u * TF_PSEUDO) / (total + TF_PSEUDO), tf_minimum)
                    floor = max((lv.weight for lv in c.levels[1:]), default=c.else_weight)
                    weight = max(math.log2(level.m / u), floor)
                    tf = {"records": n, "of": total, "u": round(u, 6)}
            return i, level.comparator, result, round(weight, 4), tf
    best = max(results.items(), key=lambda kv: kv[1] if COMPARATORS[kv[0]].kind == "similarity" else -kv[1])
    return "else", best[0], best[1], round(c.else_weight, 4), None


def _described(c: Comparison, va: Any, vb: Any, landed: Landed | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "fields": list(c.fields),
                           "values": [list(va) if isinstance(va, tuple) else va,
                                      list(vb) if isinstance(vb, tuple) else vb]}
    if landed is None:
        return {**out, "level": "null", "rule": "missing on one side", "weight": 0.0}
    level, comparator, result, weight, tf = landed
    if level == "else":
        return {**out, "level": "else", "rule": "no level holds", "comparator": comparator, "result": _round(result),
                "weight": weight}
    detail = {"tf": tf} if tf is not None else {}
    return {**out, "level": level, "rule": c.levels[level].describe(), "comparator": comparator,
            "result": _round(result), "weight": weight, **detail}


def _round(x: float) -> float | None:
    return None if math.isinf(x) or math.isnan(x) else round(x, 4)


def score(cfg: MatchConfig, a: dict[str, Any], b: dict[str, Any], frequency: Frequency | None = None) -> Scored:
    """Compare record `a` with record `b` under `cfg`: total weight, probability, explanation per comparison."""
    parts = []
    weights = []
    for c in cfg.comparisons:
        va, vb = _values(c, a), _values(c, b)
        landed = None if va is None or vb is None else _land(c, va, vb, frequency, cfg.tf_minimum)
        weights.append(0.0 if landed is None else landed[3])
        parts.append((c, va, vb, landed))
    weight = cfg.prior_weight + sum(weights)
    return Scored(weight, probability(weight), parts)
