"""Quality rule kinds, keyed by name: a new kind is one class with `@register`.

A rule in `rules/<domain>.yaml` names its kind; the kind's class declares the JSON Schema of its
parameters and checks that the fields it names exist, so `mdm check` reports a bad rule with file
and path before anything is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..governance.model import Domain

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class RuleDef:
    """One configured rule."""

    id: str
    kind: str
    severity: str
    message: str
    message_zh: str | None
    params: dict[str, Any]
    systems: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    source: str = "rules"  # "rules" (rules/<domain>.yaml) or "dictionary" (derived from a field definition)

    def applies(self, system: str, site: str | None) -> bool:
        return self.applies_to_system(system) and (not self.sites or site in self.sites)

    def applies_to_system(self, system: str) -> bool:
        return not self.systems or system in self.systems


@dataclass
class Failure:
    """A rule that did not pass for one record."""

    rule: RuleDef
    message: str
    field: str | None = None
    value: Any = None

    def to_issue(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule.id, "kind": self.rule.kind, "severity": self.rule.severity,
                               "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass
class Context:
    """What a check may look at besides the record: where it came from, and data fetched for the batch."""

    system: str
    site: str | None
    today: Any = None
    lookups: dict[str, Any] = field(default_factory=dict)
    golden_id: str | None = None  # the golden record the source record is linked to, if any


class Check:
    """Base of every rule kind.

    Subclasses set `kind` and `params_schema`, implement `evaluate`, and list the parameters that name
    fields in `field_params` so they are checked against the dictionary.
    """

    kind: ClassVar[str]
    params_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    field_params: ClassVar[tuple[str, ...]] = ("field",)
    #: set when the check reads the database; the ingest chunk then batches its look-ups
    needs_db: ClassVar[bool] = False

    def __init__(self, rule: RuleDef, domain: Domain) -> None:
        self.rule = rule
        self.domain = domain
        self.p = rule.params
        self.field_names = frozenset(self.fields())

    @classmethod
    def config_problems(cls, params: dict[str, Any], domain: Domain,
                        domains: dict[str, Domain] | None = None) -> list[tuple[str, str]]:
        """(params path, message) for parameters that are well-formed but wrong for this domain.

        `domains` holds every valid domain, for kinds whose parameters name fields of another one.
        """
        problems = []
        for name in cls.field_params:
            values = params.get(name)
            for i, value in enumerate(values if isinstance(values, list) else [values]):
                if value is not None and value not in domain.fields:
                    path = f"params.{name}" + (f"[{i}]" if isinstance(values, list) else "")
                    problems.append((path, f"{value!r} is not a field of {domain.name}"))
        if "pattern" in params:
            try:
                re.compile(params["pattern"])
            except re.error as exc:
                problems.append(("params.pattern", f"not a valid regular expression: {exc}"))
        return problems

    def fields(self) -> list[str]:
        out: list[str] = []
        for name in self.field_params:
            v = self.p.get(name)
            out.extend(v if isinstance(v, list) else [v] if v else [])
        return out

    def fail(self, message: str | None = None, field_name: str | None = None, value: Any = None) -> Failure:
        return Failure(self.rule, message or self.rule.message, field_name, value)

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        """Failures for `payload`: an empty list when it passes, None when the rule does not apply."""
        raise NotImplementedError

    def load(self, session: Any, payloads: list[dict[str, Any]]) -> Any:
        """For `needs_db` kinds: fetch what evaluating `payloads` needs, in as few queries as possible."""
        raise NotImplementedError


CHECKS: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    if cls.kind in CHECKS:
        raise ValueError(f"rule kind {cls.kind!r} registered twice")
    CHECKS[cls.kind] = cls
    return cls
