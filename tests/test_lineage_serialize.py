"""The hub's event serialisation gives exactly what the OpenLineage client's Serde gives."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid

import attr
import pytest
from openlineage.client.serde import Serde
from test_lineage import stat_rows, writable_pairs

from mdm.lineage import run_event, steward_event
from mdm.lineage.serialize import converted, to_dict

T0 = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL", "RUNNING", "ABORT"])
def test_ingest_events_of_every_system_and_domain(governance, event_type: str) -> None:
    for system, domain in writable_pairs(governance):
        kw = {} if event_type == "START" else {
            "stats": stat_rows(governance, domain), "counts": {"created": 2, "linked": 1, "quarantined": 1}}
        if event_type == "FAIL":
            try:
                raise ValueError("boom")
            except ValueError as exc:
                kw["error"] = exc
        event = run_event(governance, event_type, str(uuid.uuid4()), system, domain, T0, **kw)
        assert to_dict(event) == Serde.to_dict(event), (system, domain)


@pytest.mark.parametrize("action", ["merge", "unmerge", "pin"])
def test_steward_events(governance, action: str) -> None:
    event = steward_event(governance, action, str(uuid.uuid4()), "CUS-000001", "customer", T0, "alice", None)
    assert to_dict(event) == Serde.to_dict(event)


class Colour(enum.Enum):
    RED = "red"


@attr.define
class Inner:
    name: str | None = None
    _producer: str = "https://example.org/p"


@attr.define
class Odd:
    values: object = None


@pytest.mark.parametrize("value", [
    None, 1, 2.5, True, "text", Colour.RED, T0, T0.date(), uuid.UUID(int=7),
    [None, {}, Inner(), Inner("x"), [], [None]], (1, None, 2), {"a": None, "b": {}, "c": Inner(None)},
    {Colour.RED: 1}, {"nested": [{"k": None}, {"k": 1}]}, frozenset({3}),
])
def test_the_rules_of_serde(value: object) -> None:
    """None dropped, enums and dates converted, empty dicts dropped in lists but kept in dicts."""
    assert to_dict(Odd(value)) == Serde.to_dict(Odd(value))


def test_only_events_and_records() -> None:
    with pytest.raises(TypeError):
        to_dict([1, 2])


def test_the_client_serialises_the_converted_event_once(governance) -> None:
    """Inside `converted`, the client's Serde gets the very dict the hub stores; outside, its own."""
    event = run_event(governance, "COMPLETE", str(uuid.uuid4()), *writable_pairs(governance)[0], T0,
                      stats=[], counts={"created": 1})
    with converted(event) as body:
        assert Serde.to_dict(event) is body
        other = steward_event(governance, "merge", str(uuid.uuid4()), "CUS-000001", "customer", T0, "alice", None)
        assert Serde.to_dict(other) is not to_dict(other) and Serde.to_dict(other) == to_dict(other)
        assert json.loads(Serde.to_json(event)) == body
    again = Serde.to_dict(event)
    assert again == body and again is not body
