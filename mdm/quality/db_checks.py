"""Rule kinds that read the hub's own data: references, uniqueness, the state of referenced records.

They run in the ingest chunk, where `load` fetches what a whole chunk needs in one or two queries;
`evaluate` then reads that from `ctx.lookups[rule id]`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import identifiers
from ..governance.model import DOMAINS, Domain
from ..models import GoldenRecord, Identifier
from .registry import Check, Context, Failure, register

_FIELD = {"type": "string"}


def _golden_rows(session: Session, ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    g = GoldenRecord
    rows = session.execute(select(g.id, g.status, g.merged_into, g.data).where(g.id.in_(sorted(ids))))
    return {r.id: r for r in rows}


@register
class Reference(Check):
    """The referenced golden record exists and is active.

    With `resolve` ({identifier kind of the target: field of this record}) an empty reference is
    filled from the target's identifier, e.g. a lot's product from the lot's GTIN.
    """

    kind = "reference"
    needs_db = True
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "required": ["field", "domain"], "additionalProperties": False,
                     "properties": {"field": _FIELD, "domain": {"enum": list(DOMAINS)},
                                    "resolve": {"type": "object", "additionalProperties": _FIELD}}}

    @classmethod
    def config_problems(cls, params: dict[str, Any], domain: Domain,
                        domains: dict[str, Domain] | None = None) -> list[tuple[str, str]]:
        problems = super().config_problems(params, domain, domains)
        problems += [(f"params.resolve.{k}", f"{v!r} is not a field of {domain.name}")
                     for k, v in (params.get("resolve") or {}).items() if v not in domain.fields]
        return problems

    def _keys(self, payload: dict[str, Any]) -> list[tuple[str, str]]:
        out = []
        for kind, source in (self.p.get("resolve") or {}).items():
            value = payload.get(source)
            if isinstance(value, str) and kind == "gtin" and len(value) == 14 and value.isdigit():
                norm: Any = value  # already normalised by the field's own check
            else:
                norm = identifiers.normalize(kind, value) if value is not None and kind in identifiers.NORMALIZERS \
                    else value
            if norm is not None:
                out.append((kind, str(norm)))
        return out

    def load(self, session: Session, payloads: list[dict[str, Any]]) -> dict[str, Any]:
        wanted = [k for p in payloads if p.get(self.p["field"]) is None for k in self._keys(p)]
        resolved: dict[tuple[str, str], str] = {}
        if wanted:
            i = Identifier
            rows = session.execute(select(i.kind, i.value, i.golden_id).where(
                i.domain == self.p["domain"], i.value.in_(sorted({v for _, v in wanted}))))
            resolved = {(r.kind, r.value): r.golden_id for r in rows}
        ids = {str(p[self.p["field"]]) for p in payloads if p.get(self.p["field"]) is not None}
        goldens = _golden_rows(session, ids | set(resolved.values()))
        merged_into = {r.merged_into for r in goldens.values() if r.merged_into}
        goldens.update(_golden_rows(session, merged_into - set(goldens)))
        return {"resolved": resolved, "goldens": goldens}

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        data = ctx.lookups[self.rule.id]
        name = self.p["field"]
        ref = payload.get(name)
        if ref is None:
            keys = self._keys(payload)
            if not keys:
                return None
            found = next((data["resolved"][k] for k in keys if k in data["resolved"]), None)
            if found is None:
                shown = ", ".join(f"{k} {v}" for k, v in keys)
                return [self.fail(f"{self.rule.message}: no {self.p['domain']} has {shown}", name)]
            payload[name] = ref = found
        row = data["goldens"].get(str(ref))
        hops = 0
        while row is not None and row.merged_into and hops < 5:  # a merged record answers for its survivor
            payload[name] = row.merged_into
            row, hops = data["goldens"].get(row.merged_into), hops + 1
        if row is None or row.data is None:
            return [self.fail(f"{self.rule.message}: {ref} does not exist", name, ref)]
        if row.status != "active":
            return [self.fail(f"{self.rule.message}: {row.id} is {row.status}", name, ref)]
        return []


@register
class ReferenceState(Check):
    """A warning about the referenced record's state: disqualified, or its certificate expired."""

    kind = "reference_state"
    needs_db = True
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "required": ["field", "domain"], "additionalProperties": False,
                     "properties": {"field": _FIELD, "domain": {"enum": list(DOMAINS)},
                                    "status_field": _FIELD, "bad_status": {"type": "array", "items": {"type": "string"}},
                                    "expiry_field": _FIELD}}

    @classmethod
    def config_problems(cls, params: dict[str, Any], domain: Domain,
                        domains: dict[str, Domain] | None = None) -> list[tuple[str, str]]:
        problems = super().config_problems(params, domain, domains)
        target = (domains or {}).get(params.get("domain", ""))
        for name in ("status_field", "expiry_field"):
            value = params.get(name)
            if target is not None and value is not None and value not in target.fields:
                problems.append((f"params.{name}", f"{value!r} is not a field of {target.name}"))
        return problems

    def load(self, session: Session, payloads: list[dict[str, Any]]) -> dict[str, Any]:
        return _golden_rows(session, {str(p[self.p["field"]]) for p in payloads if p.get(self.p["field"])})

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        ref = payload.get(self.p["field"])
        row = ctx.lookups[self.rule.id].get(str(ref)) if ref else None
        if row is None:
            return None
        failures = []
        status = row.data.get(self.p.get("status_field", ""))
        if status is not None and status in self.p.get("bad_status", []):
            failures.append(self.fail(f"{self.rule.message}: {row.id} is {status}", self.p["field"], ref))
        expiry = row.data.get(self.p.get("expiry_field", ""))
        today = (ctx.today or dt.date.today()).isoformat()
        if isinstance(expiry, str) and expiry < today:
            failures.append(self.fail(f"{self.rule.message}: the certificate of {row.id} expired on {expiry}",
                                      self.p["field"], ref))
        return failures


@register
class Unique(Check):
    """An identifier value belongs to one active golden record only.

    Matching already links a new record to the golden record holding its identifier; this flags a
    linked source record whose identifier now belongs to another golden record.
    """

    kind = "unique"
    needs_db = True
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "required": ["field"], "additionalProperties": False,
                     "properties": {"field": _FIELD}}

    @classmethod
    def config_problems(cls, params: dict[str, Any], domain: Domain,
                        domains: dict[str, Domain] | None = None) -> list[tuple[str, str]]:
        problems = super().config_problems(params, domain, domains)
        f = domain.fields.get(params.get("field", ""))
        if f is not None and not f.identifier_kind:
            problems.append(("params.field", f"unique applies to identifier fields; {f.name!r} is not one"))
        return problems

    def _scope(self, payload: dict[str, Any]) -> str:
        # site-scoped identifiers (lot numbers, asset ids) are unique only within their site
        f = self.domain.fields[self.p["field"]]
        return str(payload.get("site") or "*") if f.identifier_scope == "site" else "*"

    def load(self, session: Session, payloads: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
        values = sorted({str(p[self.p["field"]]) for p in payloads if p.get(self.p["field"]) is not None})
        if not values:
            return {}
        kind = self.domain.fields[self.p["field"]].identifier_kind
        i = Identifier
        rows = session.execute(select(i.scope, i.value, i.golden_id).where(
            i.domain == self.domain.name, i.kind == kind, i.value.in_(values)))
        return {(r.scope, r.value): r.golden_id for r in rows}

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        holder = ctx.lookups[self.rule.id].get((self._scope(payload), str(value)))
        if holder is None or ctx.golden_id is None or holder == ctx.golden_id:
            return []
        return [self.fail(f"{self.rule.message}: {value} belongs to {holder}", self.p["field"], value)]
