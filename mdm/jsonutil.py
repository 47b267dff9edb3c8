"""JSON on the hot path (orjson): request bodies, JSON columns, content hashes, audit entries.

Encoding and decoding JSON was the largest single cost of ingestion after the store itself; orjson
does the same work several times faster. Canonical forms sort keys and have no whitespace, so the
same content always gives the same bytes (content hashes, audit hashes).
"""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError


def _default(value: Any) -> str:
    return str(value)


def dumps(value: Any) -> str:
    """Compact JSON text (the JSON columns' serializer)."""
    return orjson.dumps(value, default=_default).decode()


def canonical(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes that content and audit hashes cover."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS)


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
