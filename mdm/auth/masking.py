"""Masking fields the dictionary classifies above the caller's clearance (personal, confidential).

Responses name fields in three ways, and all three are masked: a key that is the field's name (golden
data, source payloads, audit before/after, task sides), an object with `"field": name` (quality
issues, pins, lineage nodes: its `value`), and a comparison with `"fields": [...]` (match
explanations: its `values`). Source systems' own field names that map onto a classified field are
masked too. Where the URL names a domain or system, only that one's fields count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from flask import Response

from ..governance import current
from ..governance.model import Governance

MASK = "***"
LEVELS = ("personal", "confidential")


_cache: dict[tuple[str, frozenset[str], str | None, str | None], frozenset[str]] = {}


def _sensitive(gov: Governance, clearance: frozenset[str], domain: str | None, system: str | None) -> frozenset[str]:
    hidden = {c for c in LEVELS if c not in clearance}
    names: set[str] = set()
    domains = [gov.domains[domain]] if domain in gov.domains else list(gov.domains.values())
    for d in domains:
        names.update(f.name for f in d.fields.values() if f.classification in hidden)
    for (sys_name, dom), mapping in gov.mappings.items():
        if (domain in gov.domains and dom != domain) or (system and sys_name != system):
            continue
        classified = {f.name for f in gov.domains[dom].fields.values() if f.classification in hidden}
        names.update(m.source for m in mapping.fields if m.source and m.target in classified)
    return frozenset(names)


def sensitive_fields(gov: Governance, clearance: Iterable[str], domain: str | None = None,
                     system: str | None = None) -> frozenset[str]:
    key = (gov.content_hash, frozenset(clearance), domain, system)
    found = _cache.get(key)
    if found is None:
        if len(_cache) > 1024:
            _cache.clear()
        found = _cache[key] = _sensitive(gov, key[1], domain, system)
    return found


def mask(value: Any, hidden: frozenset[str], by_domain: dict[str, frozenset[str]] | None = None) -> Any:
    """A copy of `value` with every classified field's value replaced by `***`.

    `by_domain` narrows `hidden` to one domain's fields inside any object that names its `domain`
    (change events, audit entries): a supplier's street is not a person's street.
    """
    if isinstance(value, list):
        return [mask(v, hidden, by_domain) for v in value]
    if not isinstance(value, dict):
        return value
    if by_domain:
        domain = value.get("domain")
        if isinstance(domain, str) and domain in by_domain:
            hidden = by_domain[domain]
    out: dict[str, Any] = {}
    field = value.get("field")
    covered = isinstance(field, str) and field in hidden
    fields = value.get("fields")
    compared = isinstance(fields, list) and any(isinstance(f, str) and f in hidden for f in fields)
    for k, v in value.items():
        if v is not None and ((k in hidden and not isinstance(v, bool)) or (covered and k == "value")):
            out[k] = MASK
        elif covered and k == "message" and isinstance(v, str) and value.get("value") not in (None, ""):
            out[k] = v.replace(str(value["value"]), MASK)
        elif compared and k == "values":
            out[k] = [None if x is None else MASK for x in v] if isinstance(v, list) else MASK
        else:
            out[k] = mask(v, hidden, by_domain)
    return out


def mask_response(response: Response, clearance: frozenset[str], view_args: dict[str, Any]) -> None:
    """Rewrite a JSON response body in place for a caller with `clearance`."""
    if all(level in clearance for level in LEVELS):
        return
    gov = current()
    domain, system = view_args.get("domain"), view_args.get("system")
    hidden = sensitive_fields(gov, clearance, domain, system)
    if not hidden:
        return
    by_domain = None if domain in gov.domains else {
        d: sensitive_fields(gov, clearance, d, system) for d in gov.domains}
    body = orjson.loads(response.get_data())
    response.set_data(orjson.dumps(mask(body, hidden, by_domain)))
