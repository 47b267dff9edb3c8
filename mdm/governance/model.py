"""Typed view of the governance content once it has passed its JSON Schemas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DOMAINS = ("product", "lot", "equipment", "supplier", "customer")


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: str
    label_zh: str
    description: str
    classification: str
    owner: str
    required: bool = False
    unit: str | None = None
    code_list: str | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    reference: str | None = None
    identifier_kind: str | None = None
    identifier_scope: str = "global"
    check: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Domain:
    name: str
    label: str
    label_zh: str
    description: str
    owner: str
    id_prefix: str
    site_bound: bool
    fields: dict[str, FieldDef]
    code_lists: dict[str, list[str]]
    raw: dict[str, Any] = field(compare=False, repr=False)

    @property
    def identifier_fields(self) -> list[FieldDef]:
        return [f for f in self.fields.values() if f.identifier_kind]


@dataclass(frozen=True)
class FieldMapping:
    target: str
    source: str | None
    transform: Callable[[Any], Any]
    specs: list[Any]
    default: Any = None
    # "quarantine": a value the transforms cannot convert quarantines the record; "omit": the field
    # is left out and the record goes on with a warning (the value stays in the stored source version)
    on_error: str = "quarantine"


@dataclass(frozen=True)
class DomainMapping:
    system: str
    domain: str
    key: str
    key_transform: Callable[[Any], Any]
    identity: bool
    fields: list[FieldMapping]
    ignore: frozenset[str]

    @property
    def known_sources(self) -> frozenset[str]:
        return frozenset({self.key, *(f.source for f in self.fields if f.source)} | self.ignore)


@dataclass(frozen=True)
class System:
    name: str
    kind: str
    description: str
    owner: str
    site: str
    namespace: str
    writes: tuple[str, ...]
    reads: tuple[str, ...]


@dataclass(frozen=True)
class Strategy:
    strategy: str
    priority: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainRules:
    domain: str
    default: Strategy
    fields: dict[str, Strategy]
    #: identifier fields matched on; None (not configured) means all of them, () none
    identifiers: tuple[str, ...] | None
    raw: dict[str, Any] = field(compare=False, repr=False)
    #: compiled quality checks (mdm.quality.registry.Check), in file order
    checks: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    #: match settings (mdm.matching.config.MatchConfig); identifiers alone when absent
    match: Any = field(default=None, compare=False, repr=False)

    def strategy_for(self, field_name: str) -> Strategy:
        return self.fields.get(field_name, self.default)


@dataclass(frozen=True)
class Governance:
    """Everything loaded from one content folder, with the hash that names this governance version."""

    content_hash: str
    snapshot: dict[str, Any]
    hub_name: str
    hub_namespace: str
    producer: str
    sites: dict[str, dict[str, Any]]
    domains: dict[str, Domain]
    code_lists: dict[str, dict[str, Any]]
    systems: dict[str, System]
    mappings: dict[tuple[str, str], DomainMapping]
    rules: dict[str, DomainRules]
    openlineage: dict[str, Any]
    record_schemas: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
