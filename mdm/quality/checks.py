"""Rule kinds that look only at the record itself: fields, cross-field, identifiers, UDI, freshness."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from .. import identifiers
from ..governance.model import Domain
from . import gs1
from .registry import Check, Context, Failure, register

_FIELD = {"type": "string"}


def _schema(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False, "properties": props}


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@register
class Required(Check):
    kind = "required"
    params_schema = _schema(["field"], field=_FIELD)

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        return [] if payload.get(self.p["field"]) not in (None, "") else [self.fail(field_name=self.p["field"])]


@register
class Pattern(Check):
    kind = "pattern"
    params_schema = _schema(["field", "pattern"], field=_FIELD, pattern={"type": "string"})

    def __init__(self, rule: Any, domain: Domain) -> None:
        super().__init__(rule, domain)
        self.rx = re.compile(self.p["pattern"])

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        return [] if self.rx.search(str(value)) else [self.fail(field_name=self.p["field"], value=value)]


@register
class CodeList(Check):
    kind = "code_list"
    params_schema = _schema(["field"], field=_FIELD, codes={"type": "array", "items": {"type": "string"}})

    @classmethod
    def config_problems(cls, params: dict[str, Any], domain: Domain,
                        domains: dict[str, Domain] | None = None) -> list[tuple[str, str]]:
        problems = super().config_problems(params, domain, domains)
        f = domain.fields.get(params.get("field", ""))
        if f is not None and not params.get("codes") and not f.code_list:
            problems.append(("params.codes", f"{f.name!r} has no code list in the dictionary: give `codes`"))
        return problems

    def __init__(self, rule: Any, domain: Domain) -> None:
        super().__init__(rule, domain)
        f = domain.fields[self.p["field"]]
        self.codes = frozenset(self.p.get("codes") or domain.code_lists.get(f.code_list or "", []))

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        return [] if value in self.codes else [self.fail(field_name=self.p["field"], value=value)]


@register
class Range(Check):
    """Numbers, or ISO dates given as strings ('2000-01-01'); `today` as a bound (`max: today`: not in the future)."""

    kind = "range"
    params_schema = _schema(["field"], field=_FIELD, min={"type": ["number", "string"]},
                            max={"type": ["number", "string"]})

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        today = (ctx.today or dt.date.today()).isoformat()
        lo, hi = (today if b == "today" else b for b in (self.p.get("min"), self.p.get("max")))
        try:
            ok = (lo is None or value >= lo) and (hi is None or value <= hi)
        except TypeError:
            ok = False
        return [] if ok else [self.fail(field_name=self.p["field"], value=value)]


@register
class Length(Check):
    kind = "length"
    params_schema = _schema(["field"], field=_FIELD, min={"type": "integer"}, max={"type": "integer"})

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        n = len(str(value))
        ok = n >= self.p.get("min", 0) and n <= self.p.get("max", n)
        return [] if ok else [self.fail(field_name=self.p["field"], value=value)]


@register
class DateOrder(Check):
    """`before` must come before `after` (expiry after manufacture, calibration due after calibration)."""

    kind = "date_order"
    params_schema = _schema(["before", "after"], before=_FIELD, after=_FIELD, allow_equal={"type": "boolean"})
    field_params = ("before", "after")

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        first, second = _date(payload.get(self.p["before"])), _date(payload.get(self.p["after"]))
        if first is None or second is None:
            return None
        ok = first <= second if self.p.get("allow_equal") else first < second
        return [] if ok else [self.fail(field_name=self.p["after"], value=payload[self.p["after"]])]


@register
class ConditionalRequired(Check):
    """`field` is required when every field in `when` has one of the listed values."""

    kind = "conditional_required"
    params_schema = _schema(["field", "when"], field=_FIELD,
                            when={"type": "object", "minProperties": 1,
                                  "additionalProperties": {"type": "array", "minItems": 1}})

    @classmethod
    def config_problems(cls, params: dict[str, Any], domain: Domain,
                        domains: dict[str, Domain] | None = None) -> list[tuple[str, str]]:
        problems = super().config_problems(params, domain, domains)
        problems += [(f"params.when.{f}", f"{f!r} is not a field of {domain.name}")
                     for f in params.get("when", {}) if f not in domain.fields]
        return problems

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        if not all(payload.get(f) in values for f, values in self.p["when"].items()):
            return None
        return [] if payload.get(self.p["field"]) not in (None, "") else [self.fail(field_name=self.p["field"])]


@register
class GS1CheckDigit(Check):
    """GTIN-8/12/13/14 or GLN with a correct mod-10 check digit."""

    kind = "gs1_check_digit"
    params_schema = _schema(["field", "key"], field=_FIELD, key={"enum": ["gtin", "gln"]})

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        ok = identifiers.normalize(self.p["key"], value) is not None
        return [] if ok else [self.fail(field_name=self.p["field"], value=value)]


@register
class UdiDi(Check):
    """A UDI-DI valid for its issuing agency: GS1 a GTIN, HIBCC mod-43, ICCBBA ISBT 128 form."""

    kind = "udi_di"
    params_schema = _schema(["field"], field=_FIELD, agency_field=_FIELD)
    field_params = ("field", "agency_field")

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        agency = payload.get(self.p.get("agency_field", ""))
        value = str(value)
        if agency == "GS1":
            ok = identifiers.normalize_gtin(value) is not None
        elif agency == "HIBCC":
            ok = identifiers.normalize_hibcc(value) is not None
        elif agency == "ICCBBA":
            ok = value.startswith("=") and identifiers.normalize_udi_di(value) is not None
        else:
            ok = identifiers.normalize_udi_di(value) is not None
        return [] if ok else [self.fail(field_name=self.p["field"], value=value)]


@register
class BasicUdiDi(Check):
    """EU Basic UDI-DI issued by GS1 (a Global Model Number) with its check character pair."""

    kind = "basic_udi_di"
    params_schema = _schema(["field"], field=_FIELD)

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        return [] if gs1.is_valid_gmn(str(value)) else [self.fail(field_name=self.p["field"], value=value)]


@register
class UdiPi(Check):
    """The GS1 element string parses, and its GTIN, lot and dates agree with the record's own fields."""

    kind = "udi_pi"
    params_schema = _schema(["field"], field=_FIELD, gtin=_FIELD, lot=_FIELD, expiry=_FIELD, production=_FIELD)
    field_params = ("field", "gtin", "lot", "expiry", "production")
    PARTS: ClassVar[dict[str, str]] = {"gtin": "gtin", "lot": "lot", "expiry": "expiry_date", "production": "production_date"}

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = payload.get(self.p["field"])
        if value is None:
            return None
        try:
            parsed = gs1.parse_element_string(str(value), today=ctx.today)
        except gs1.GS1ParseError as exc:
            return [self.fail(f"{self.p['field']}: {exc}", self.p["field"], value)]
        failures = []
        for param, part in self.PARTS.items():
            own = self.p.get(param)
            if own and part in parsed and payload.get(own) is not None and str(payload[own]) != parsed[part]:
                failures.append(self.fail(
                    f"{self.rule.message}: the UDI says {part.replace('_', ' ')} {parsed[part]}, "
                    f"the record's {own} is {payload[own]}", own, payload[own]))
        return failures


@register
class NotExpired(Check):
    """A date that must not lie in the past (an ISO 13485 certificate's expiry)."""

    kind = "not_expired"
    params_schema = _schema(["field"], field=_FIELD)

    def evaluate(self, payload: dict[str, Any], ctx: Context) -> list[Failure] | None:
        value = _date(payload.get(self.p["field"]))
        if value is None:
            return None
        today = ctx.today or dt.date.today()
        return [] if value >= today else [self.fail(field_name=self.p["field"], value=payload[self.p["field"]])]
