"""Step 7 of ingestion: a golden record from all its source records, field by field.

Pure functions. Ties are broken by (system, source_key) so that the result depends only on the set
of source versions, never on the order they arrived in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..governance.model import Domain, DomainRules, Strategy


@dataclass(frozen=True)
class Member:
    """The accepted version of one source record linked to a golden record."""

    system: str
    source_key: str
    version: int
    received_at: dt.datetime
    payload: dict[str, Any]

    def ref(self, rule: str) -> dict[str, Any]:
        return {"system": self.system, "source_key": self.source_key, "version": self.version, "rule": rule}


def as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything the hub writes is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _recency(m: Member) -> tuple:
    return (-as_utc(m.received_at).timestamp(), -m.version)


def _stable(m: Member) -> tuple[str, str]:
    return (m.system, m.source_key)


def _priority_key(strategy: Strategy, m: Member) -> tuple:
    order = strategy.priority
    rank = order.index(m.system) if m.system in order else len(order)
    return (rank, _stable(m))


def pick(strategy: Strategy, field_name: str, members: list[Member]) -> Member | None:
    """The member whose value of `field_name` survives under `strategy`, or None when none has one."""
    having = [m for m in members if m.payload.get(field_name) is not None]
    if not having:
        return None
    kind = strategy.strategy
    if kind == "source_priority":
        return min(having, key=lambda m: _priority_key(strategy, m))
    if kind == "most_recent":
        return min(having, key=lambda m: (_recency(m), _stable(m)))
    if kind == "most_complete":
        return min(having, key=lambda m: (-sum(v is not None for v in m.payload.values()), _stable(m)))
    if kind == "most_frequent":
        counts = Counter(repr(m.payload[field_name]) for m in having)
        return min(having, key=lambda m: (-counts[repr(m.payload[field_name])], _priority_key(strategy, m)))
    if kind in ("max", "min"):
        ordered = sorted(having, key=_stable)
        chooser = max if kind == "max" else min
        return chooser(ordered, key=lambda m: m.payload[field_name])
    raise ValueError(f"unknown survivorship strategy {kind!r}")


@dataclass(frozen=True)
class Pin:
    """A steward's value for one field; it wins over every source record until released."""

    id: int
    value: Any
    actor: str
    reason: str
    at: dt.datetime

    def ref(self) -> dict[str, Any]:
        return {"pin": self.id, "actor": self.actor, "reason": self.reason, "at": as_utc(self.at).isoformat(),
                "rule": "pin"}


def survive(domain: Domain, rules: DomainRules, members: list[Member],
            pins: dict[str, Pin] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Golden data and per-field provenance from the members' accepted versions and the steward pins.

    Returns:
        (data, provenance): provenance maps each field to the winning source version and the rule used,
        or to the pin.
    """
    data: dict[str, Any] = {}
    provenance: dict[str, Any] = {}
    if pins:
        data, provenance = survive(domain, rules, members)
        for name, pin in pins.items():
            if pin.value is None:
                data.pop(name, None)
            else:
                data[name] = pin.value
            provenance[name] = pin.ref()
        return data, provenance
    if len(members) == 1:
        # Every strategy picks the only candidate; skipping them matters for bulk creation.
        (only,) = members
        for name in domain.fields:
            if only.payload.get(name) is not None:
                data[name] = only.payload[name]
                provenance[name] = only.ref(rules.strategy_for(name).strategy)
        return data, provenance
    for name in domain.fields:
        strategy = rules.strategy_for(name)
        winner = pick(strategy, name, members)
        if winner is not None:
            data[name] = winner.payload[name]
            provenance[name] = winner.ref(strategy.strategy)
    return data, provenance
