"""Text normalisation shared by comparators and blocking keys.

Pure functions of one value, no I/O. They only canonicalise spelling (accents, case, punctuation,
spacing, date formats); domain knowledge such as organisation-name noise words or address
abbreviations belongs to the callers that need it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

_NON_ALNUM = re.compile(r"[\W_]+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?")
_BASIC_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _strip_marks(value: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch))


def text(value: Any) -> str:
    """Canonical text for comparison: no accents, casefolded, runs of punctuation collapsed to a space.

    Casefolding comes before the decomposition so that characters whose folded form carries a mark
    (such as "İ") lose it too.

    Args:
        value: Anything; it is passed through ``str`` first.

    Returns:
        The normalised text, ``""`` for ``None`` or a value with no letters or digits.
    """
    if value is None:
        return ""
    return _text(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=65536)
def _text(value: str) -> str:
    # the same names, cities and codes come back for every candidate pair: normalise each once
    if value.isascii():  # most master data: no marks to strip, and casefold is lower
        return _NON_ALNUM.sub(" ", value.lower()).strip()
    return _NON_ALNUM.sub(" ", _strip_marks(value.casefold())).strip()


def tokens(value: Any) -> list[str]:
    """The words of ``text(value)``, in order; an empty list when there are none."""
    return text(value).split()


def digits(value: Any) -> str:
    """Only the ASCII digits of ``str(value)``, in order; ``""`` for ``None``.

    Compatibility decomposition first, so full-width digits count as digits too.
    """
    if value is None:
        return ""
    return "".join(ch for ch in unicodedata.normalize("NFKD", str(value)) if "0" <= ch <= "9")


def date(value: Any) -> dt.date | None:
    """A calendar date from a date, a datetime or a string in ISO ('YYYY-MM-DD') or basic ('YYYYMMDD') form.

    An ISO string may carry a time after the date ('2024-03-01T10:00:00Z'); the time is ignored, as
    it is for a datetime. Integers such as ``20240301`` are read through their string form.

    Args:
        value: The value to read.

    Returns:
        The date, or ``None`` when the value is ``None``, in another format, or not a real date.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        return None
    s = str(value).strip()
    m = _ISO_DATE.fullmatch(s) or _BASIC_DATE.fullmatch(s)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
