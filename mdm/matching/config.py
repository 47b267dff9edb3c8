"""Typed match settings of one domain (`match:` in rules/<domain>.yaml), checked against the dictionary.

The JSON Schema has already checked the shape; `build` checks what needs the dictionary and the
registries: field names, key methods, comparators, thresholds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .comparators import COMPARATORS
from .keys import KEY_METHODS

DEFAULT_CAP = 1000
DEFAULT_CANDIDATES = 20
DEFAULT_PRIOR = 0.01
DEFAULT_TF_MINIMUM = 0.0001


@dataclass(frozen=True)
class KeyPart:
    field: str
    method: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class BlockingKey:
    name: str
    parts: tuple[KeyPart, ...]


@dataclass(frozen=True)
class Level:
    """One agreement level: the comparator's result is within `min` (similarity) or `max` (distance)."""

    comparator: str
    m: float
    u: float
    min: float | None = None
    max: float | None = None

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)

    def holds(self, result: float) -> bool:
        if COMPARATORS[self.comparator].kind == "distance":
            return result <= (self.max if self.max is not None else 0)
        return result >= (self.min if self.min is not None else 1.0)

    def describe(self) -> str:
        if COMPARATORS[self.comparator].kind == "distance":
            return f"{self.comparator} <= {self.max if self.max is not None else 0:g}"
        return f"{self.comparator} >= {self.min if self.min is not None else 1.0:g}"


@dataclass(frozen=True)
class Comparison:
    name: str
    fields: tuple[str, ...]
    levels: tuple[Level, ...]
    else_m: float
    else_u: float
    tf: bool = False
    description: str = ""

    @property
    def else_weight(self) -> float:
        return math.log2(self.else_m / self.else_u)


@dataclass(frozen=True)
class MatchConfig:
    identifiers: tuple[str, ...] = ()
    keys: tuple[BlockingKey, ...] = ()
    cap: int = DEFAULT_CAP
    candidates: int = DEFAULT_CANDIDATES  # stored records scored per incoming record at most
    comparisons: tuple[Comparison, ...] = ()
    prior: float = DEFAULT_PRIOR
    link: float = 1.0
    review: float = 1.0
    tf_minimum: float = DEFAULT_TF_MINIMUM

    @property
    def fuzzy(self) -> bool:
        """Whether candidates are scored at all (else identifiers alone decide)."""
        return bool(self.comparisons and self.keys)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))


def build(raw: dict[str, Any] | None, fields: set[str] | None, problem: Callable[[str, str], None]) -> MatchConfig:
    """Typed settings from the `match:` block; every problem goes to `problem(json_path, message)`."""
    raw = raw or {}
    blocking = raw.get("blocking") or {}
    keys = []
    for i, k in enumerate(blocking.get("keys", [])):
        parts = []
        for j, p in enumerate(k["parts"]):
            path = f"$.match.blocking.keys[{i}].parts[{j}]"
            if fields is not None and p["field"] not in fields:
                problem(f"{path}.field", f"{p['field']!r} is not a field of this domain")
            if p["method"] not in KEY_METHODS:
                problem(f"{path}.method", f"unknown key method {p['method']!r}; known: {', '.join(sorted(KEY_METHODS))}")
            parts.append(KeyPart(p["field"], p["method"], {n: v for n, v in p.items() if n not in ("field", "method")}))
        keys.append(BlockingKey(k["name"], tuple(parts)))
    names = [k.name for k in keys]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problem("$.match.blocking.keys", f"blocking key name {dup!r} is used twice")
    comparisons = [_comparison(i, c, fields, problem) for i, c in enumerate(raw.get("comparisons", []))]
    names = [c.name for c in comparisons]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problem("$.match.comparisons", f"comparison name {dup!r} is used twice")
    thresholds = raw.get("thresholds") or {"link": 1.0, "review": 1.0}
    if thresholds["review"] > thresholds["link"]:
        problem("$.match.thresholds", "review must not be above link")
    return MatchConfig(
        identifiers=tuple(raw.get("identifiers", ())), keys=tuple(keys), cap=blocking.get("cap", DEFAULT_CAP),
        candidates=blocking.get("candidates", DEFAULT_CANDIDATES),
        comparisons=tuple(comparisons), prior=raw.get("prior", DEFAULT_PRIOR), link=thresholds["link"],
        review=thresholds["review"], tf_minimum=raw.get("tf_minimum", DEFAULT_TF_MINIMUM),
    )


def _comparison(i: int, c: dict[str, Any], fields: set[str] | None, problem: Callable[[str, str], None]) -> Comparison:
    path = f"$.match.comparisons[{i}]"
    for f in c["fields"]:
        if fields is not None and f not in fields:
            problem(f"{path}.fields", f"{f!r} is not a field of this domain")
    levels = []
    for j, lv in enumerate(c["levels"]):
        lpath = f"{path}.levels[{j}]"
        comp = COMPARATORS.get(lv["comparator"])
        if comp is None:
            problem(f"{lpath}.comparator",
                    f"unknown comparator {lv['comparator']!r}; known: {', '.join(sorted(COMPARATORS))}")
            continue
        if comp.multi != (len(c["fields"]) > 1):
            problem(f"{lpath}.comparator", f"{comp.name} compares {'several fields' if comp.multi else 'one field'}; "
                                           f"this comparison has {len(c['fields'])}")
        if comp.kind == "distance" and "min" in lv:
            problem(f"{lpath}.min", f"{comp.name} is a distance: use max")
        if comp.kind == "similarity" and "max" in lv:
            problem(f"{lpath}.max", f"{comp.name} is a similarity: use min")
        levels.append(Level(lv["comparator"], lv["m"], lv["u"], lv.get("min"), lv.get("max")))
    if c.get("tf") and len(c["fields"]) > 1:
        problem(f"{path}.tf", "term-frequency adjustment needs a single field")
    return Comparison(c["name"], tuple(c["fields"]), tuple(levels), c["else"]["m"], c["else"]["u"],
                      c.get("tf", False), c.get("description", ""))
