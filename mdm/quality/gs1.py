"""GS1 element strings (UDI production identifiers) and Global Model Number check characters.

Contract:

* Pure functions: no I/O, no global state, only the standard library and python-stdnum.
* ``parse_element_string`` reads the UDI subset of GS1 Application Identifiers -- (01) GTIN,
  (10) batch/lot, (11) production date, (17) expiration date, (21) serial number -- in the
  bracketed human-readable form or as raw scanner data (FNC1 transmitted as ASCII GS, 0x1D),
  and returns ``{"gtin", "lot", "serial", "expiry_date", "production_date"}`` (only the keys
  present). Dates are ISO ``YYYY-MM-DD``. Any problem raises ``GS1ParseError`` (a ``ValueError``)
  whose message names the AI and the fault; there is never a partial result.
* Any other AI is an error, never skipped: dropping part of a UDI would let a record look complete.
* GS1 "requisite AI" rules (AI 10 needs AI 01, ...) are deliberately not enforced, because a
  UDI-PI (lot, serial, dates) is routinely stored apart from its UDI-DI (the GTIN).
* ``yymmdd_to_date`` applies GS1 General Specifications 7.12 "Determination of century in dates"
  and "DD = 00 means the last day of the month" (AIs 11 and 17 are ``N6,yymmd0`` in the GS1
  Barcode Syntax Dictionary).
* ``gmn_check_pair`` / ``is_valid_gmn`` implement the GS1 General Specifications 7.9.5 check
  character pair of a Global Model Number (AI 8013), the EU Basic UDI-DI issued by GS1, with the
  same format rules as GS1's official GMN helper libraries (github.com/gs1/gmn-helpers).
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from stdnum import ean

GS = "\x1d"
"""ASCII group separator: how scanners transmit FNC1 used as a field separator."""

# Symbology identifiers (ISO/IEC 15424) that announce GS1 data: GS1-128, GS1 DataMatrix, GS1 QR Code,
# GS1 DataBar. Any other identifier (e.g. "]d1", plain DataMatrix) means the data is not GS1 AI syntax.
GS1_SYMBOLOGY_IDS = ("]C1", "]d2", "]Q3", "]e0")

# GS1 AI encodable character set 82, in GS1's value order: the position of a character is its value
# in the GMN check calculation, so the order matters and must not be "tidied".
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
# The 32-character subset used for check characters: no 0/1/I/O, which are easily misread.
CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CSET82_VALUE = {ch: i for i, ch in enumerate(CSET82)}
_DIGITS = frozenset("0123456789")  # not str.isdigit(): that accepts '²' and other Unicode digits

# Descending primes; the rightmost data character is weighted 2, the one before it 3, and so on.
_GMN_WEIGHTS = (83, 79, 73, 71, 67, 61, 59, 53, 47, 43, 41, 37, 31, 29, 23, 19, 17, 13, 11, 7, 5, 3, 2)
_GMN_MODULUS = 1021  # prime just under 32 * 32, so the remainder splits into two CSET32 characters
_GCP_MIN_DIGITS = 5  # a GMN starts with a GS1 Company Prefix; the GS1 helpers insist on >= 5 digits
GMN_MAX_LENGTH = len(_GMN_WEIGHTS) + 2  # 25, the AI 8013 format X..25
GMN_MIN_LENGTH = _GCP_MIN_DIGITS + 1 + 2  # prefix, at least one model character, check pair


class GS1ParseError(ValueError):
    """A GS1 element string, date or GMN that does not follow the GS1 General Specifications."""


@dataclass(frozen=True)
class _AISpec:
    key: str  # key in the parse result
    title: str  # for error messages
    length: int  # the fixed length, or the maximum length of a variable-length field
    fixed: bool
    kind: str  # "gtin", "date" or "cset82"


_AIS: dict[str, _AISpec] = {
    "01": _AISpec("gtin", "GTIN", 14, True, "gtin"),
    "10": _AISpec("lot", "batch/lot", 20, False, "cset82"),
    "11": _AISpec("production_date", "production date", 6, True, "date"),
    "17": _AISpec("expiry_date", "expiration date", 6, True, "date"),
    "21": _AISpec("serial", "serial number", 20, False, "cset82"),
}

# "(" and ")" are themselves CSET 82 data characters, so only "(" + 2-4 digits + ")" counts as an AI.
_BRACKETED_AI = re.compile(r"\((\d{2,4})\)")


def parse_element_string(text: str, today: datetime.date | None = None) -> dict[str, str]:
    """Parse a GS1 element string carrying a UDI (AIs 01, 10, 11, 17, 21).

    Accepts the bracketed form ``"(01)04012345123456(17)260131(10)ABC123(21)X1"`` and raw scanner
    data in which FNC1 after a variable-length field is the ASCII group separator ``\\x1d``,
    optionally led by a GS1 symbology identifier (``]C1``, ``]d2``, ``]Q3``, ``]e0``) and/or a GS
    (FNC1 in first position). A GS after a fixed-length field is tolerated. Surrounding whitespace
    (the CR/LF a keyboard-wedge scanner appends) is ignored.

    Args:
        text: The element string.
        today: Reference date for the two-digit-year century rule; defaults to ``date.today()``.

    Returns:
        Keys among ``gtin`` (14 digits), ``lot``, ``serial``, ``expiry_date`` and
        ``production_date`` (ISO ``YYYY-MM-DD``).

    Raises:
        GS1ParseError: On empty input, an unknown or unsupported AI, a repeated AI, a wrong fixed
            length, a non-digit in a numeric field, a bad GTIN check digit, an invalid date, a lot or
            serial that is empty, longer than 20 or outside GS1 AI encodable character set 82.
    """
    if not isinstance(text, str):
        raise GS1ParseError(f"element string must be a str, not {type(text).__name__}")
    data = text.strip(" \t\r\n")
    if not data:
        raise GS1ParseError("empty element string")
    if data.startswith("]"):
        if data[:3] not in GS1_SYMBOLOGY_IDS:
            raise GS1ParseError(f"symbology identifier {data[:3]!r} does not announce GS1 data "
                                f"(expected one of {', '.join(GS1_SYMBOLOGY_IDS)})")
        data = data[3:]
    if data.startswith(GS):
        data = data[1:]
    if not data:
        raise GS1ParseError("element string holds no data after its symbology identifier or FNC1")

    elements = _split_bracketed(data) if data.startswith("(") else _split_raw(data)
    result: dict[str, str] = {}
    for ai, value, position in elements:
        spec = _AIS.get(ai)
        if spec is None:
            raise GS1ParseError(f"unknown or unsupported AI ({ai}) at position {position}; "
                                f"supported: {', '.join(f'({a})' for a in _AIS)}")
        if spec.key in result:
            raise GS1ParseError(f"AI ({ai}) {spec.title} appears more than once")
        result[spec.key] = _validate(ai, spec, value, today)
    return result


def _split_bracketed(data: str) -> list[tuple[str, str, int]]:
    """(AI, value, position) triples of the bracketed form; a value runs to the next "(AI)"."""
    markers = list(_BRACKETED_AI.finditer(data))
    if not markers or markers[0].start() != 0:
        raise GS1ParseError("bracketed element string must start with an AI such as '(01)'")
    out = []
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(data)
        out.append((marker.group(1), data[marker.end():end], marker.start()))
    return out


def _split_raw(data: str) -> list[tuple[str, str, int]]:
    """(AI, value, position) triples of raw data, where only GS ends a variable-length field."""
    out = []
    pos = 0
    while pos < len(data):
        ai = data[pos:pos + 2]
        if len(ai) < 2 or not set(ai) <= _DIGITS:
            raise GS1ParseError(f"expected a two-digit AI at position {pos}, found {data[pos:pos + 4]!r}")
        spec = _AIS.get(ai)
        if spec is None:
            # All supported AIs have two digits, so the AI is unknown whatever its true length is;
            # show a little more of the data so the message is recognisable (e.g. "240", "8013").
            raise GS1ParseError(f"unknown or unsupported AI at position {pos} (data starts "
                                f"{data[pos:pos + 4]!r}); supported: {', '.join(f'({a})' for a in _AIS)}")
        start = pos + 2
        if spec.fixed:
            value = data[start:start + spec.length]
            if GS in value:
                value = value[:value.index(GS)]  # a separator inside a fixed field: the field is short
            pos = start + len(value)
            if len(value) == spec.length and data.startswith(GS, pos):
                pos += 1  # redundant FNC1 after a predefined-length field: some encoders emit one
        else:
            end = data.find(GS, start)
            end = len(data) if end == -1 else end
            value = data[start:end]
            pos = end + 1
        out.append((ai, value, start))
        if spec.fixed and len(value) < spec.length:
            break  # the length check in _validate reports it; parsing further would only mislead
    return out


def _validate(ai: str, spec: _AISpec, value: str, today: datetime.date | None) -> str:
    """The normalised value of one element, or GS1ParseError naming the AI and the fault."""
    label = f"AI ({ai}) {spec.title}"
    if spec.fixed:
        if len(value) != spec.length:
            raise GS1ParseError(f"{label} must be exactly {spec.length} digits, got {len(value)}")
        if not set(value) <= _DIGITS:
            raise GS1ParseError(f"{label} must be numeric, got {value!r}")
        if spec.kind == "gtin":
            expected = ean.calc_check_digit(value[:-1])
            if value[-1] != expected:
                raise GS1ParseError(f"{label} {value} has a bad check digit (expected {expected})")
            return value
        try:
            return yymmdd_to_date(value, today).isoformat()
        except GS1ParseError as exc:
            raise GS1ParseError(f"{label}: {exc}") from None
    if not value:
        raise GS1ParseError(f"{label} is empty")
    if len(value) > spec.length:
        raise GS1ParseError(f"{label} is {len(value)} characters, more than the maximum {spec.length}")
    bad = sorted({ch for ch in value if ch not in _CSET82_VALUE})
    if bad:
        raise GS1ParseError(f"{label} {value!r} has characters outside GS1 AI encodable character "
                            f"set 82: {', '.join(repr(ch) for ch in bad)}")
    return value


def yymmdd_to_date(yymmdd: str, today: datetime.date | None = None) -> datetime.date:
    """A GS1 ``YYMMDD`` date, with the century rule of GS1 General Specifications 7.12.

    With ``diff = YY - (today.year mod 100)``: ``diff >= 51`` means the previous century,
    ``diff <= -50`` the next century, anything else the current century. So with today in 2026,
    "76" is 2076 (diff 50) and "77" is 1977 (diff 51); with today in 2060, "10" is 2110 (diff -50)
    and "11" is 2011 (diff -49). ``DD = 00`` means the last day of the month.

    Args:
        yymmdd: Six digits.
        today: The reference date; defaults to ``date.today()``.

    Returns:
        The date.

    Raises:
        GS1ParseError: If the input is not six digits or the month or day does not exist.
    """
    if not isinstance(yymmdd, str) or len(yymmdd) != 6 or not set(yymmdd) <= _DIGITS:
        raise GS1ParseError(f"date must be six digits YYMMDD, got {yymmdd!r}")
    today = today or datetime.date.today()
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = today.year - today.year % 100
    diff = yy - today.year % 100
    if diff >= 51:
        century -= 100
    elif diff <= -50:
        century += 100
    year = century + yy
    if not 1 <= month <= 12:
        raise GS1ParseError(f"invalid month {month:02d} in {yymmdd}")
    last_day = calendar.monthrange(year, month)[1]
    if day == 0:
        # Fixed after the century is chosen: "000200" may be 2000-02-29 or 2100-02-28.
        day = last_day
    elif day > last_day:
        raise GS1ParseError(f"invalid day {day:02d} in {yymmdd}: {year}-{month:02d} has {last_day} days")
    return datetime.date(year, month, day)


def _check_gmn_body(body: str) -> None:
    """GS1ParseError unless ``body`` is a GMN without check pair the GS1 helpers would accept."""
    if not isinstance(body, str):
        raise GS1ParseError(f"GMN must be a str, not {type(body).__name__}")
    if not GMN_MIN_LENGTH - 2 <= len(body) <= GMN_MAX_LENGTH - 2:
        raise GS1ParseError(f"GMN without its check pair must be {GMN_MIN_LENGTH - 2} to "
                            f"{GMN_MAX_LENGTH - 2} characters, got {len(body)}")
    if not set(body[:_GCP_MIN_DIGITS]) <= _DIGITS:
        raise GS1ParseError(f"GMN starts with a GS1 Company Prefix: the first {_GCP_MIN_DIGITS} "
                            f"characters must be digits, got {body[:_GCP_MIN_DIGITS]!r}")
    for i, ch in enumerate(body):
        if ch not in _CSET82_VALUE:
            raise GS1ParseError(f"GMN character {ch!r} at position {i + 1} is outside GS1 AI "
                                "encodable character set 82")


def gmn_check_pair(gmn_without_check: str) -> str:
    """The check character pair of a GS1 Global Model Number (GS1 General Specifications 7.9.5).

    Each character's value is its position in CSET 82; the values are weighted by descending primes
    so that the rightmost character gets 2, summed modulo 1021, and the 10-bit result is split into
    two 5-bit values written as CSET 32 characters. "1987654Ad4X4bL5ttr2310c" gives "2K".

    Args:
        gmn_without_check: GS1 Company Prefix (at least 5 digits) and model reference, 6 to 23
            characters of CSET 82.

    Returns:
        The two check characters.

    Raises:
        GS1ParseError: If the input is not of that form.
    """
    _check_gmn_body(gmn_without_check)
    weights = _GMN_WEIGHTS[-len(gmn_without_check):]
    total = sum(_CSET82_VALUE[ch] * w for ch, w in zip(gmn_without_check, weights)) % _GMN_MODULUS
    return CSET32[total // 32] + CSET32[total % 32]


def is_valid_gmn(value: str) -> bool:
    """True for a GMN / GS1 Basic UDI-DI with a correct check character pair.

    Format as GS1's GMN helpers check it: 8 to 25 characters, the first five digits, CSET 82
    throughout, the last two from CSET 32. Never raises: anything malformed is simply not valid.

    Args:
        value: The complete GMN, check pair included.

    Returns:
        Whether it is a well-formed GMN whose check pair is correct.
    """
    if not isinstance(value, str) or not GMN_MIN_LENGTH <= len(value) <= GMN_MAX_LENGTH:
        return False
    try:
        return gmn_check_pair(value[:-2]) == value[-2:]
    except GS1ParseError:
        return False
