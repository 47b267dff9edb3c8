"""Blocking keys: short strings that records likely to match share.

A key method turns one field value into one part of a key; ``build_key`` joins the parts of a
blocking rule. Methods are pure and return ``None`` when the value yields no key (``None``, empty, no
digits, not a date ...), so a record with a missing field is left out of that block rather than put
in a huge block of blanks. Keys are capped at ``MAX_KEY_LENGTH`` characters so they fit an indexed
column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jellyfish

from . import normalise

MAX_KEY_LENGTH = 200
SEPARATOR = "|"

KeyMethod = Callable[..., "str | None"]
KEY_METHODS: dict[str, KeyMethod] = {}

PHONETIC = {"nysiis": jellyfish.nysiis, "soundex": jellyfish.soundex, "metaphone": jellyfish.metaphone}


def register(name: str) -> Callable[[KeyMethod], KeyMethod]:
    """Decorator adding a key method to ``KEY_METHODS`` under ``name``.

    Raises:
        ValueError: For a name registered twice.
    """
    def decorate(fn: KeyMethod) -> KeyMethod:
        if name in KEY_METHODS:
            raise ValueError(f"key method {name!r} registered twice")
        KEY_METHODS[name] = fn
        return fn

    return decorate


def key_part(method: str, value: Any, **params: Any) -> str | None:
    """One part of a blocking key.

    Args:
        method: A name in ``KEY_METHODS``.
        value: The field value: a string, a number or a date.
        **params: The method's parameters (``length`` for ``prefix`` and ``digits``, ``algorithm`` for
            ``phonetic``).

    Returns:
        The part, at most ``MAX_KEY_LENGTH`` characters, or ``None`` when the value yields no key.

    Raises:
        ValueError: For an unknown method or a bad parameter.
    """
    try:
        fn = KEY_METHODS[method]
    except KeyError:
        raise ValueError(f"unknown key method {method!r}: use one of {', '.join(sorted(KEY_METHODS))}") from None
    if value is None:
        return None
    part = fn(value, **params)
    return part[:MAX_KEY_LENGTH] if part else None


def build_key(parts: list[tuple[str, Any, dict[str, Any]]]) -> str | None:
    """A whole blocking key from ``(method, value, params)`` triples, parts joined by ``|``.

    Returns:
        The key, at most ``MAX_KEY_LENGTH`` characters, or ``None`` when any part is ``None`` (a
        record missing one field of a rule is not blocked by that rule) or there are no parts.
    """
    values = []
    for method, value, params in parts:
        part = key_part(method, value, **params)
        if part is None:
            return None
        values.append(part)
    return SEPARATOR.join(values)[:MAX_KEY_LENGTH] or None


def _length(length: Any) -> int:
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, not {length!r}")
    return length


@register("exact")
def exact(value: Any) -> str | None:
    """The value as given, surrounding whitespace stripped."""
    return str(value).strip() or None


@register("normalised")
def normalised(value: Any) -> str | None:
    """``normalise.text`` of the value: no accents, case or punctuation."""
    return normalise.text(value) or None


@register("prefix")
def prefix(value: Any, length: int = 4) -> str | None:
    """The first ``length`` characters of the normalised text, spaces removed first."""
    return normalise.text(value).replace(" ", "")[:_length(length)] or None


@register("sorted_tokens")
def sorted_tokens(value: Any) -> str | None:
    """The normalised words in sorted order, so word order does not split a block."""
    return " ".join(sorted(normalise.tokens(value))) or None


@register("first_token")
def first_token(value: Any) -> str | None:
    """The first normalised word."""
    toks = normalise.tokens(value)
    return toks[0] if toks else None


@register("last_token")
def last_token(value: Any) -> str | None:
    """The last normalised word."""
    toks = normalise.tokens(value)
    return toks[-1] if toks else None


@register("phonetic")
def phonetic(value: Any, algorithm: str = "nysiis") -> str | None:
    """The phonetic code of the first word that has letters, so "Smith" and "Smyth" share a block.

    Only the word's ASCII letters are encoded: the algorithms are defined for English spelling, and
    digits ("3M") would otherwise leak into the code.

    Args:
        value: The value to encode.
        algorithm: ``"nysiis"``, ``"soundex"`` or ``"metaphone"``.

    Raises:
        ValueError: For an unknown algorithm.
    """
    try:
        encode = PHONETIC[algorithm]
    except KeyError:
        raise ValueError(f"unknown phonetic algorithm {algorithm!r}: use one of {', '.join(PHONETIC)}") from None
    for token in normalise.tokens(value):
        letters = "".join(ch for ch in token if "a" <= ch <= "z")
        if letters:
            return encode(letters) or None
    return None


@register("digits")
def digits(value: Any, length: int | None = None) -> str | None:
    """The digits of the value; with ``length``, only the last ``length`` of them.

    The last digits are kept because they vary most (phone numbers share country and area codes).
    """
    found = normalise.digits(value)
    if length is not None:
        found = found[-_length(length):]
    return found or None


@register("year")
def year(value: Any) -> str | None:
    """'YYYY' of a date (see ``normalise.date`` for the formats read)."""
    d = normalise.date(value)
    return f"{d.year:04d}" if d else None


@register("year_month")
def year_month(value: Any) -> str | None:
    """'YYYY-MM' of a date."""
    d = normalise.date(value)
    return f"{d.year:04d}-{d.month:02d}" if d else None


@register("month_day")
def month_day(value: Any) -> str | None:
    """'MM-DD' of a date: blocks birthdays whose year was mistyped."""
    d = normalise.date(value)
    return f"{d.month:02d}-{d.day:02d}" if d else None
