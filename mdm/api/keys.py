"""Source keys in URLs: a reader may use the source's own spelling of a key."""

from __future__ import annotations

from ..errors import UnknownSystem
from ..governance import current
from .golden import _domain


def source_key(system: str, domain: str, key: str) -> str:
    """`key` as the system's mapping normalises it; unknown systems and domains are refused."""
    gov = current()
    if system not in gov.systems:
        raise UnknownSystem(f"unknown system {system!r}; declare it in lineage/systems.yaml")
    mapping = gov.mappings.get((system, _domain(domain)))
    if mapping is None:
        return key
    value = mapping.key_transform(key)
    return str(value) if value not in (None, "") else key
