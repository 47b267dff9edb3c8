"""Comparators: pure functions scoring how close two values are.

The contract every comparator keeps:

* pure: a function of its two arguments only, no I/O, no state, safe to call from any thread;
* never given a null: the caller turns ``None`` or empty values into its own "null" comparison
  level before asking a comparator, so comparators need not guess what missing data means;
* of one ``kind``: ``"similarity"`` scores lie in [0, 1] with 1.0 for identical values, ``"distance"``
  scores are >= 0 with 0 for identical values and ``math.inf`` when a value cannot be read (an
  unparseable date or number is as far from anything as possible, never an error);
* ``multi`` comparators take tuples holding several fields' values (an address split over street,
  number, city and postcode columns) and may find ``None`` inside those tuples.

String comparators work on ``normalise.text`` of both values, so accents, case and punctuation never
count as differences. Comparison levels refer to comparators by name through ``COMPARATORS``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from . import normalise

KINDS = ("similarity", "distance")


@dataclass(frozen=True)
class Comparator:
    """A named comparator.

    Attributes:
        name: The name levels refer to it by.
        kind: ``"similarity"`` (1.0 = identical, higher is closer) or ``"distance"`` (0 = identical,
            lower is closer).
        fn: The scoring function of two non-null values.
        multi: Whether the values are tuples of several fields' values.
    """

    name: str
    kind: str
    fn: Callable[[Any, Any], float]
    multi: bool = False


COMPARATORS: dict[str, Comparator] = {}


def register(name: str, kind: str, multi: bool = False) -> Callable[[Callable[[Any, Any], float]],
                                                                    Callable[[Any, Any], float]]:
    """Decorator adding a scoring function to ``COMPARATORS`` under ``name``.

    Args:
        name: The comparator's name; must not be taken yet.
        kind: ``"similarity"`` or ``"distance"``.
        multi: Whether the function takes tuples of several fields' values.

    Returns:
        A decorator that registers the function and returns it unchanged.

    Raises:
        ValueError: For an unknown kind or a name registered twice.
    """
    if kind not in KINDS:
        raise ValueError(f"comparator {name!r}: kind must be one of {', '.join(KINDS)}, not {kind!r}")

    def decorate(fn: Callable[[Any, Any], float]) -> Callable[[Any, Any], float]:
        if name in COMPARATORS:
            raise ValueError(f"comparator {name!r} registered twice")
        COMPARATORS[name] = Comparator(name, kind, fn, multi)
        return fn

    return decorate


def compare(name: str, a: Any, b: Any) -> float:
    """Score two non-null values with the comparator called ``name``.

    Raises:
        ValueError: When no comparator has that name; the message lists the ones there are.
    """
    try:
        comparator = COMPARATORS[name]
    except KeyError:
        raise ValueError(f"unknown comparator {name!r}: use one of {', '.join(sorted(COMPARATORS))}") from None
    return comparator.fn(a, b)


@register("exact", "similarity")
def exact(a: Any, b: Any) -> float:
    """1.0 when the normalised texts are equal, else 0.0."""
    return 1.0 if normalise.text(a) == normalise.text(b) else 0.0


@register("ratio", "similarity")
def ratio(a: Any, b: Any) -> float:
    """Indel similarity of the whole normalised texts."""
    return fuzz.ratio(normalise.text(a), normalise.text(b)) / 100


@register("token_set", "similarity")
def token_set(a: Any, b: Any) -> float:
    """Similarity ignoring word order and words present on one side only ("Acme" vs "Acme Medical")."""
    return fuzz.token_set_ratio(normalise.text(a), normalise.text(b)) / 100


@register("token_sort", "similarity")
def token_sort(a: Any, b: Any) -> float:
    """Similarity ignoring word order only ("Smith John" vs "John Smith")."""
    return fuzz.token_sort_ratio(normalise.text(a), normalise.text(b)) / 100


@register("partial", "similarity")
def partial(a: Any, b: Any) -> float:
    """Similarity of the shorter text with the best-matching part of the longer one."""
    return fuzz.partial_ratio(normalise.text(a), normalise.text(b)) / 100


@register("jaro_winkler", "similarity")
def jaro_winkler(a: Any, b: Any) -> float:
    """Jaro-Winkler similarity, which favours a shared beginning: suited to names."""
    return float(JaroWinkler.similarity(normalise.text(a), normalise.text(b)))


@register("levenshtein", "distance")
def levenshtein(a: Any, b: Any) -> float:
    """Number of single-character edits between the normalised texts."""
    return float(Levenshtein.distance(normalise.text(a), normalise.text(b)))


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    # NaN and infinities would make the distance NaN or meaningless rather than "far".
    return number if math.isfinite(number) else None


@register("numeric", "distance")
def numeric(a: Any, b: Any) -> float:
    """Absolute difference of two numbers; ``math.inf`` when either is not a finite number."""
    x, y = _number(a), _number(b)
    return math.inf if x is None or y is None else abs(x - y)


@register("date", "distance")
def date(a: Any, b: Any) -> float:
    """Absolute difference in days; ``math.inf`` when either is not a date ``normalise.date`` can read."""
    x, y = normalise.date(a), normalise.date(b)
    return math.inf if x is None or y is None else float(abs((x - y).days))


# Street-type abbreviations; single compass letters (n, s, e, w) stay as they are because "s" is as
# likely an initial as "south".
ABBREVIATIONS = {
    "st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "dr": "drive", "pl": "place",
    "cres": "crescent", "ct": "court", "hwy": "highway", "ln": "lane", "blvd": "boulevard",
    "str": "strasse",
}


def _expand(token: str) -> str:
    if token in ABBREVIATIONS:
        return ABBREVIATIONS[token]
    # German writes the street type into the name ("Hauptstr." for "Hauptstraße").
    if len(token) > 3 and token.endswith("str") and token.isalpha():
        return token + "asse"
    return token


def _address_tokens(fields: Any) -> list[str]:
    if isinstance(fields, (str, bytes)) or not isinstance(fields, (tuple, list)):
        fields = (fields,)
    joined = " ".join(str(f) for f in fields if f is not None and str(f).strip())
    return [_expand(t) for t in normalise.tokens(joined)]


def _house_numbers(toks: list[str]) -> set[str]:
    return {t for t in toks if t.isascii() and t.isdigit()}


@lru_cache(maxsize=65536)
def _address_cached(fields: tuple[str | None, ...]) -> tuple[str, frozenset[str]]:
    toks = _address_tokens(fields)
    return " ".join(toks), frozenset(_house_numbers(toks))


def _address_form(fields: Any) -> tuple[str, frozenset[str]]:
    """An address's expanded tokens, joined, and its house numbers: the incoming record's address
    meets every candidate's, so each is worked out once. Cached by the values' text, which is all
    the tokens depend on (12 and 12.0 are equal keys but different texts)."""
    if isinstance(fields, (str, bytes)) or not isinstance(fields, (tuple, list)):
        fields = (fields,)
    return _address_cached(tuple(None if f is None else str(f) for f in fields))


@register("address", "similarity", multi=True)
def address(a: Any, b: Any) -> float:
    """Similarity of two addresses given as tuples of field values, in any order, ``None`` allowed.

    Abbreviations are expanded before a token-set comparison, which ignores the order of fields and
    tolerates a field missing on one side. Two addresses whose numbers have nothing in common score
    only 60% of that: "12 High St" and "14 High St" share almost all their text but are different
    buildings.
    """
    (ta, na), (tb, nb) = _address_form(a), _address_form(b)
    score = fuzz.token_set_ratio(ta, tb) / 100
    if na and nb and na.isdisjoint(nb):
        score *= 0.6
    return score
