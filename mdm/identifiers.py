"""Identifier checks: GS1 GTIN and GLN (mod-10), DUNS, HIBCC (mod-43), national ids.

Pure functions, no I/O. `normalize(kind, value)` returns the canonical form of an identifier or
None when it is not valid, so matching never links on a value that fails its own check.
"""

from __future__ import annotations

import re

from stdnum import ean, luhn

_DIGITS = re.compile(r"^\d+$")
HIBCC_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"


def gs1_check_digit(body: str) -> str:
    """Mod-10 check digit of a GS1 key without its check digit (GTIN, GLN, SSCC)."""
    return ean.calc_check_digit(body)


def is_gs1_valid(value: str, lengths: tuple[int, ...]) -> bool:
    """True when `value` is all digits, of one of `lengths`, with a correct mod-10 check digit."""
    if len(value) not in lengths or not _DIGITS.match(value):
        return False
    # Inline mod-10 (weights 3,1 from the right): this runs for every identifier of every record;
    # python-stdnum's ean.calc_check_digit is the reference the tests compare against.
    digits = value[:-1]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10) == value[-1]


def normalize_gtin(value: str) -> str | None:
    """GTIN-8/12/13/14 as a 14-digit GTIN, or None when the check digit is wrong."""
    value = value.strip()
    if not is_gs1_valid(value, (8, 12, 13, 14)):
        return None
    return value.zfill(14)


def normalize_gln(value: str) -> str | None:
    value = value.strip()
    return value if is_gs1_valid(value, (13,)) else None


def normalize_duns(value: str) -> str | None:
    """DUNS numbers carry no check digit; nine digits, and not all zeros."""
    digits = value.strip().replace("-", "")
    if len(digits) != 9 or not _DIGITS.match(digits) or digits == "000000000":
        return None
    return digits


def hibcc_check_character(data: str) -> str:
    """HIBCC mod-43 check character of the data that precedes it (including the leading '+')."""
    total = sum(HIBCC_CHARSET.index(ch) for ch in data)
    return HIBCC_CHARSET[total % 43]


def normalize_hibcc(value: str) -> str | None:
    """HIBCC UDI-DI: '+', labeler id (4 alphanumerics starting with a letter), product, unit of measure digit, check char."""
    value = value.strip().upper()
    if not re.match(r"^\+[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9][A-Z0-9\-. $/+%]$", value):
        return None
    if any(ch not in HIBCC_CHARSET for ch in value):
        return None
    return value if hibcc_check_character(value[:-1]) == value[-1] else None


def normalize_udi_di(value: str) -> str | None:
    """A UDI-DI from any FDA-accredited issuing agency: GS1 (a GTIN), HIBCC (mod-43) or ICCBBA (ISBT 128)."""
    value = value.strip()
    if _DIGITS.match(value):
        return normalize_gtin(value)
    if value.startswith("+"):
        return normalize_hibcc(value)
    if value.startswith("="):
        return value if re.match(r"^=[A-Z0-9/]{6,23}$", value.upper()) else None
    return None


def normalize_npi(value: str) -> str | None:
    """US National Provider Identifier: 10 digits, Luhn over the '80840' prefix plus the first nine digits."""
    value = value.strip()
    if len(value) != 10 or not _DIGITS.match(value):
        return None
    return value if luhn.is_valid("80840" + value) else None


def normalize_plain(value: str) -> str | None:
    """Identifiers without a check scheme (asset ids, lot numbers): trimmed, case kept, never empty."""
    value = " ".join(str(value).split())
    return value or None


def normalize_national_id(value: str) -> str | None:
    """National ids of healthcare professionals: an NPI is checked; other schemes are kept as given."""
    value = value.strip()
    if len(value) == 10 and _DIGITS.match(value):
        return normalize_npi(value)
    return normalize_plain(value)


NORMALIZERS = {
    "gtin": normalize_gtin,
    "udi_di": normalize_udi_di,
    "gln": normalize_gln,
    "duns": normalize_duns,
    "national_id": normalize_national_id,
    "asset_id": normalize_plain,
    "lot_number": normalize_plain,
}


def normalize(kind: str, value: object) -> str | None:
    """Canonical form of identifier `value` of `kind`, or None when invalid or empty."""
    if value is None or value == "":
        return None
    return NORMALIZERS[kind](str(value))
