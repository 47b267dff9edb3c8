"""Field transforms declared in mappings, keyed by name.

A mapping lists transforms as names (`trim`) or one-key objects (`{date: "%Y%m%d"}`); they apply
in order to a source value. Each transform also knows its inverse, which the demo generator uses
to write canonical values back in a system's own format.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TRUE_WORDS = ("true", "yes", "y", "1", "x", "t", "ja", "oui")
FALSE_WORDS = ("false", "no", "n", "0", "", "f", "nein", "non")


class TransformError(ValueError):
    """A source value cannot be converted; the message tells the steward what was expected."""


@dataclass(frozen=True)
class Transform:
    name: str
    apply: Callable[[Any, Any], Any]
    invert: Callable[[Any, Any], Any]


TRANSFORMS: dict[str, Transform] = {}


def register(name: str, invert: Callable[[Any, Any], Any] | None = None) -> Callable:
    def deco(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        TRANSFORMS[name] = Transform(name, fn, invert or (lambda v, arg: v))
        return fn

    return deco


def _text(fn: Callable[[str], Any]) -> Callable[[Any, Any], Any]:
    """Text transforms leave non-strings (numbers from JSON sources) alone."""
    return lambda v, arg: fn(v) if isinstance(v, str) else v


register("trim")(_text(str.strip))
register("upper")(_text(str.upper))
register("lower")(_text(str.lower))
register("title")(_text(str.title))
register("collapse_spaces")(_text(lambda s: " ".join(s.split())))
register("null_if_blank")(lambda v, arg: None if isinstance(v, str) and not v.strip() else v)


@register("digits_only")
def _digits_only(value: Any, arg: Any) -> Any:
    return re.sub(r"\D", "", str(value))


@register("gtin14")
def _gtin14(value: Any, arg: Any) -> Any:
    digits = str(value).strip()
    # Short GTINs keep their meaning when left-padded; anything else is left for validation to reject.
    return digits.zfill(14) if digits.isdigit() and len(digits) in (8, 12, 13) else digits


def _to_int(value: Any, arg: Any) -> int:
    if isinstance(value, bool):
        raise TransformError(f"expected a whole number, got {value!r}")
    try:
        number = float(str(value).strip().replace(",", "")) if not isinstance(value, (int, float)) else value
    except ValueError:
        raise TransformError(f"expected a whole number, got {value!r}") from None
    if number != int(number):
        raise TransformError(f"expected a whole number, got {value!r}")
    return int(number)


def _to_number(value: Any, arg: Any) -> float | int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise TransformError(f"expected a number, got {value!r}") from None
    return int(number) if number.is_integer() else number


register("integer")(_to_int)
register("number")(_to_number)


def _to_bool(value: Any, arg: Any) -> bool:
    if isinstance(value, bool):
        return value
    trues, falses = (arg["true"], arg["false"]) if arg else (TRUE_WORDS, FALSE_WORDS)
    word = str(value).strip()
    folded = {w.lower() for w in trues}, {w.lower() for w in falses}
    if word.lower() in folded[0]:
        return True
    if word.lower() in folded[1]:
        return False
    raise TransformError(f"expected one of {sorted(trues) + sorted(falses)}, got {value!r}")


def _from_bool(value: Any, arg: Any) -> Any:
    if arg:
        return arg["true"][0] if value else arg["false"][0]
    return value


register("boolean", invert=_from_bool)(_to_bool)


def _parse_date(value: Any, fmt: str) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    text = str(value).strip()
    # strptime is slow and these two formats are most of what sources send
    if fmt == "%Y%m%d" and len(text) == 8 and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            raise TransformError(f"expected a date as {fmt}, got {value!r}") from None
    if fmt == "%Y-%m-%d" and len(text) == 10:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    try:
        return dt.datetime.strptime(text, fmt).date().isoformat()
    except ValueError:
        pass
    try:
        # Already ISO (a source that sometimes sends canonical dates) is accepted too.
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise TransformError(f"expected a date as {fmt}, got {value!r}") from None


register("date", invert=lambda v, fmt: dt.date.fromisoformat(v).strftime(fmt))(_parse_date)


def _code(value: Any, table: dict[str, Any]) -> Any:
    # Unknown codes pass through unchanged so that validation names the unexpected value.
    key = str(value).strip() if not isinstance(value, str) else value.strip()
    return table.get(key, value)


def _uncode(value: Any, table: dict[str, Any]) -> Any:
    for source, canonical in table.items():
        if canonical == value:
            return source
    return value


register("code", invert=_uncode)(_code)


def _multiply(value: Any, factor: float) -> Any:
    number = _to_number(value, None) * factor
    return int(number) if float(number).is_integer() else number


def _divide(value: Any, factor: float) -> Any:
    number = value / factor
    return int(number) if float(number).is_integer() else number


register("multiply", invert=_divide)(_multiply)


@register("prefix", invert=lambda v, p: f"{p}{v}")
def _strip_prefix(value: Any, prefix: str) -> Any:
    return value[len(prefix):] if isinstance(value, str) and value.startswith(prefix) else value


def split(spec: Any) -> tuple[Transform, Any]:
    """Resolve one declared transform into (transform, argument)."""
    if isinstance(spec, str):
        return TRANSFORMS[spec], None
    (name, arg), = spec.items()
    return TRANSFORMS[name], arg


def compile_chain(specs: list[Any]) -> Callable[[Any], Any]:
    """One function applying `specs` in order; None and empty strings stop the chain as missing values."""
    steps = [split(s) for s in specs]

    def run(value: Any) -> Any:
        for transform, arg in steps:
            if value is None:
                return None
            value = transform.apply(value, arg)
        return None if value == "" else value

    return run


def invert_chain(specs: list[Any], value: Any) -> Any:
    """Canonical value back to the source's representation (for generated demo data)."""
    for transform, arg in reversed([split(s) for s in specs]):
        if value is None:
            return None
        value = transform.invert(value, arg)
    return value
