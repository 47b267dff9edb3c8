"""A fast yes/no check of a mapped record against its dictionary, in front of jsonschema.

Full JSON Schema validation costs more than everything else in ingestion put together. Most
records are valid, so a compiled per-field check answers "valid" first; only a record it does not
accept is validated by jsonschema, which then names every problem. The check is conservative: it
accepts only what the generated JSON Schema accepts (a test compares the two), and anything it is
unsure of goes to jsonschema.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from ..governance.model import Domain

Check = Callable[[Any], bool]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _field_check(domain: Domain, name: str) -> Check:
    f = domain.fields[name]
    parts: list[Check] = []
    if f.type == "string":
        parts.append(lambda v: isinstance(v, str))
    elif f.type == "integer":
        parts.append(lambda v: isinstance(v, int) and not isinstance(v, bool))
    elif f.type == "number":
        parts.append(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    elif f.type == "boolean":
        parts.append(lambda v: isinstance(v, bool))
    elif f.type == "date":
        parts.append(_is_date)
    else:
        return lambda v: False  # date-times and anything new: let jsonschema decide
    if f.code_list:
        codes = frozenset(domain.code_lists[f.code_list])
        parts.append(lambda v: v in codes)
    if f.pattern:
        rx = re.compile(f.pattern)
        parts.append(lambda v: rx.search(v) is not None)
    if f.min_length is not None:
        lo = f.min_length
        parts.append(lambda v: len(v) >= lo)
    if f.max_length is not None:
        hi = f.max_length
        parts.append(lambda v: len(v) <= hi)
    if f.minimum is not None:
        mn = f.minimum
        parts.append(lambda v: v >= mn)
    if f.maximum is not None:
        mx = f.maximum
        parts.append(lambda v: v <= mx)
    return lambda v: all(p(v) for p in parts)


def compile_domain(domain: Domain) -> Check:
    """A function telling whether a mapped record of `domain` certainly satisfies its JSON Schema."""
    checks = {name: _field_check(domain, name) for name in domain.fields}
    required = [n for n, f in domain.fields.items() if f.required]

    def check(payload: dict[str, Any]) -> bool:
        for name in required:
            if name not in payload:
                return False
        for name, value in payload.items():
            c = checks.get(name)
            if c is None or not c(value):
                return False
        return True

    return check
