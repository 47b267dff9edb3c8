"""Step 2-3 of ingestion: a source record becomes a canonical payload, validated and keyed.

Pure: no database. The result carries every problem found, so the caller can quarantine the record
with all its reasons at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from .. import identifiers, jsonutil
from ..governance.model import Domain, DomainMapping, Governance, System
from ..governance.transforms import TransformError
from ..quality import Context
from .fastcheck import compile_domain

# JSON Schema keywords -> the dictionary rule they enforce (rule ids: <domain>.<field>.<rule>)
DICTIONARY_RULES = {"enum": "code_list", "type": "type", "format": "type", "pattern": "pattern",
                    "minimum": "range", "maximum": "range", "minLength": "length", "maxLength": "length"}
IDENTIFIER_NAMES = {
    "gtin": "GTIN", "udi_di": "UDI-DI", "gln": "GLN", "duns": "DUNS number", "national_id": "national id",
    "asset_id": "asset id", "lot_number": "lot number",
}


@dataclass
class Mapped:
    """One received record after mapping and validation."""

    position: int
    raw: Any
    key: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    site: str | None = None
    identifiers: list[tuple[str, str, str]] = field(default_factory=list)
    content_hash: str = ""
    #: ids of the rules evaluated (dictionary field rules are counted by the ingestor)
    evaluated: list[str] = field(default_factory=list)
    #: results of the rules that read the database; reset on every attempt of a chunk
    db_issues: list[dict[str, Any]] = field(default_factory=list)
    db_evaluated: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.key is None

    @property
    def all_issues(self) -> list[dict[str, Any]]:
        return self.issues + self.db_issues if self.db_issues else self.issues

    @property
    def has_errors(self) -> bool:
        return any(i["severity"] == "error" for i in self.all_issues)


def issue(rule: str, kind: str, message: str, field_name: str | None = None, value: Any = None,
          severity: str = "error") -> dict[str, Any]:
    out: dict[str, Any] = {"rule": rule, "kind": kind, "severity": severity, "message": message}
    if field_name is not None:
        out["field"] = field_name
    if value is not None:
        out["value"] = value
    return out


@lru_cache(maxsize=64)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


class RecordMapper:
    """Maps and validates records of one system and domain under one governance version."""

    def __init__(self, gov: Governance, system: System, domain: Domain, mapping: DomainMapping,
                 rules_enabled: bool = True) -> None:
        self.gov = gov
        self.system = system
        self.domain = domain
        self.mapping = mapping
        self.validator = _validator(json.dumps(gov.record_schemas[domain.name], sort_keys=True))
        self.certainly_valid = compile_domain(domain)
        # Identifier fields listed in the domain's match rules (all of them when none are listed) are
        # matched on; other fields with a `check` are only validated (a lot's GTIN).
        listed = gov.rules[domain.name].identifiers
        self.ident_fields = [
            (f.name, f.check, f.identifier_scope if f.identifier_kind and (listed is None or f.name in listed)
             else None)
            for f in domain.fields.values() if f.check
        ]
        self.has_site_field = "site" in domain.fields
        self.rules_enabled = rules_enabled
        checks = gov.rules[domain.name].checks if rules_enabled else ()
        self.checks = [c for c in checks if not c.needs_db and c.rule.applies_to_system(system.name)]
        self.db_checks = [c for c in checks if c.needs_db and c.rule.applies_to_system(system.name)]
        self.today = dt.date.today()

    def map(self, raw: Any, position: int = 0) -> Mapped:
        if not isinstance(raw, dict):
            m = Mapped(position, raw, None)
            m.issues.append(issue("structure", "structure", f"a record must be a JSON object, got {type(raw).__name__}"))
            return m
        key = self._key(raw)
        m = Mapped(position, raw, key)
        if key is None:
            m.issues.append(issue(f"mapping.{self.system.name}.key", "source_key", f"the record has no value in its key field {self.mapping.key!r}",
                                  self.mapping.key))
            return m
        self._apply_mapping(raw, m)
        self._identifiers(m)
        self._validate(m)
        self._quality(m)
        extra = {k: raw[k] for k in m.unknown}
        m.content_hash = hashlib.sha256(
            jsonutil.canonical([m.payload, extra])
        ).hexdigest()
        return m

    def _key(self, raw: dict[str, Any]) -> str | None:
        value = raw.get(self.mapping.key)
        if value is None or isinstance(value, (dict, list)):
            return None
        try:
            key = self.mapping.key_transform(value if isinstance(value, str) else str(value))
        except TransformError:
            return None
        return str(key) if key not in (None, "") else None

    def _apply_mapping(self, raw: dict[str, Any], m: Mapped) -> None:
        payload = m.payload
        if self.mapping.identity:
            fields = self.domain.fields
            for name, value in raw.items():
                if name == self.mapping.key:
                    continue
                if name not in fields:
                    m.unknown.append(name)
                elif value is not None and value != "":
                    payload[name] = value.strip() if isinstance(value, str) else value
        else:
            for fm in self.mapping.fields:
                value = raw.get(fm.source) if fm.source else None
                if (value is None or value == "") and fm.default is not None:
                    value = fm.default
                if value is None:
                    continue
                try:
                    value = fm.transform(value)
                except TransformError as exc:
                    omit = fm.on_error == "omit"
                    m.issues.append(issue(f"mapping.{self.system.name}.{fm.target}", "transform",
                                          f"{fm.source}: {exc}" + ("; left out" if omit else ""), fm.target,
                                          raw.get(fm.source) if fm.source else None,
                                          severity="warning" if omit else "error"))
                    continue
                if value is not None:
                    payload[fm.target] = value
            known = self.mapping.known_sources
            m.unknown.extend(k for k in raw if k not in known)
        self._coerce(payload)
        if self.domain.site_bound:
            m.site = str(payload.get("site") or self.system.site)
            if self.has_site_field:
                payload.setdefault("site", m.site)

    def _coerce(self, payload: dict[str, Any]) -> None:
        """CSV carries every value as text: convert by the dictionary's type where the text allows."""
        for name, value in list(payload.items()):
            if not isinstance(value, str):
                continue
            ftype = self.domain.fields[name].type
            try:
                if ftype == "integer":
                    payload[name] = int(value)
                elif ftype == "number":
                    number = float(value)
                    payload[name] = int(number) if number.is_integer() else number
                elif ftype == "boolean" and value.lower() in ("true", "false"):
                    payload[name] = value.lower() == "true"
            except ValueError:
                pass  # validation reports the type error with the original text

    def _validate(self, m: Mapped) -> None:
        if self.certainly_valid(m.payload):
            return
        reported = {i.get("field") for i in m.issues}
        for err in sorted(self.validator.iter_errors(m.payload), key=lambda e: list(map(str, e.path))):
            if err.validator == "required":
                name = err.message.split("'")[1]
                m.issues.append(issue(f"{self.domain.name}.{name}.required", "required", f"{name} is required", name))
            elif err.validator == "additionalProperties":
                continue  # mapping only produces dictionary fields
            else:
                name = str(err.path[0]) if err.path else None
                if name in reported:
                    continue  # an invalid identifier is already reported with a clearer message
                rule = DICTIONARY_RULES.get(str(err.validator), str(err.validator))
                m.issues.append(issue(f"{self.domain.name}.{name}.{rule}", rule, f"{name}: {err.message}", name,
                                      err.instance))

    def _quality(self, m: Mapped) -> None:
        """Configured rules that need only the record (DESIGN.md §3 step 4)."""
        if not self.checks:
            return
        failed_fields = {i.get("field") for i in m.issues if i["severity"] == "error"}
        ctx = Context(self.system.name, m.site, self.today)
        for check in self.checks:
            # A field that already failed its dictionary rule is not judged again by a second rule.
            if (check.rule.sites and m.site not in check.rule.sites) or failed_fields.intersection(check.field_names):
                continue
            failures = check.evaluate(m.payload, ctx)
            if failures is None:
                continue
            m.evaluated.append(check.rule.id)
            m.issues.extend(f.to_issue() for f in failures)

    def _identifiers(self, m: Mapped) -> None:
        for name, kind, scope in self.ident_fields:
            value = m.payload.get(name)
            if value is None or not isinstance(value, (str, int)) or isinstance(value, bool):
                continue
            norm = identifiers.normalize(kind, value)
            if norm is None:
                m.issues.append(issue(f"{self.domain.name}.{name}.check", "check", f"{name}: {value!r} is not a valid {IDENTIFIER_NAMES[kind]}",
                                      name, value))
                continue
            m.payload[name] = norm
            if scope is not None:
                m.identifiers.append((kind, (m.site or "*") if scope == "site" else "*", norm))
