"""OpenLineage events as JSON-ready dicts: what the client's `Serde.to_dict` gives, in one pass.

`Serde.to_dict` walks an event twice with generic recursion (`attr.asdict`, then
`remove_nulls_and_enums`), about 1.5 ms for an ingest event on the benchmark machine: as much as
the rest of a single-record upsert's lineage. The hub stores every event it sends, so it converts
each one itself. The rules are Serde's: attrs instances become dicts of their attributes, None
values are dropped, enums become their values, dates their ISO form, UUIDs strings, and inside
lists empty dicts are dropped too. `tests/test_lineage_serialize.py` holds the two to equality.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

from openlineage.client.serde import Serde

__all__ = ["converted", "remember", "to_dict"]

# id(facet) -> (facet, its dict): facets that every event of a job repeats (schemas, column
# lineage) are converted once. The entry holds the facet, so its id cannot be reused meanwhile.
_MEMO: dict[int, tuple[Any, Any]] = {}


def remember(facet: Any) -> None:
    """Convert `facet` once; events holding this very object then reuse the result (never mutate either)."""
    if len(_MEMO) > 4096:
        _MEMO.clear()
    _MEMO[id(facet)] = (facet, _convert(facet))


def to_dict(event: Any) -> dict[str, Any]:
    out = _convert(event)
    if not isinstance(out, dict):
        raise TypeError(f"not an event: {type(event).__name__}")
    return out


# id(event) -> (event, its dict), for the events being handed to the client right now
_HANDED: dict[int, tuple[Any, dict[str, Any]]] = {}
_serde_to_dict = Serde.to_dict.__func__  # type: ignore[attr-defined]


def _to_dict_once(cls: type, obj: Any) -> dict[Any, Any]:
    hit = _HANDED.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    return _serde_to_dict(cls, obj)


Serde.to_dict = classmethod(_to_dict_once)  # type: ignore[method-assign,assignment]


@contextmanager
def converted(event: Any) -> Iterator[dict[str, Any]]:
    """`to_dict(event)`, also given to the client's `Serde.to_dict(event)` inside the block (read-only)."""
    out = to_dict(event)
    _HANDED[id(event)] = (event, out)
    try:
        yield out
    finally:
        _HANDED.pop(id(event), None)


def _convert(obj: Any) -> Any:
    fields = getattr(type(obj), "__attrs_attrs__", None)
    if fields is not None:
        hit = _MEMO.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        out = {}
        for a in fields:
            value = _convert(getattr(obj, a.name))
            if value is not None:
                out[a.name] = value
        return out
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj.value if isinstance(obj, Enum) else obj
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            value = _convert(v)
            if value is not None:
                out[k] = value  # keys as they are, as Serde leaves them
        return out
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = (_convert(v) for v in obj if v is not None)
        return [v for v in items if v is not None and v != {}]
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if type(obj).__name__ == "int64":  # numpy, as Serde allows
        return int(obj)
    return obj
