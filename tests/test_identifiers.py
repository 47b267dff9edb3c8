"""Identifier checks, table-driven, with published GS1 examples."""

from __future__ import annotations

import pytest

from mdm import identifiers as ids


@pytest.mark.parametrize("value, expected", [
    ("04012345123456", "04012345123456"),   # GTIN-14 with correct check digit
    ("4012345123456", "04012345123456"),    # GTIN-13 (EAN-13) padded to 14
    ("012345678905", "00012345678905"),     # GTIN-12 (UPC-A), GS1 General Specifications example
    ("96385074", "00000096385074"),         # GTIN-8 (EAN-8)
    ("04012345123457", None),               # wrong check digit
    ("0401234512345", None),                # 13 digits with wrong check digit
    ("040123451234", None),                 # 12 digits, wrong check digit
    ("12345", None),                        # no GTIN length
    ("0401234512345A", None),               # not digits
    ("", None),
])
def test_gtin(value: str, expected: str | None) -> None:
    assert ids.normalize("gtin", value) == expected


@pytest.mark.parametrize("value, expected", [
    ("4012345000009", "4012345000009"),
    ("0614141000012", "0614141000012"),  # GS1 example GLN
    ("0614141000013", None),     # same with a wrong check digit
    ("0614141000036", "0614141000036"),
    ("401234500000", None),      # 12 digits
])
def test_gln(value: str, expected: str | None) -> None:
    assert ids.normalize("gln", value) == expected


@pytest.mark.parametrize("value, expected", [
    ("150483782", "150483782"),
    ("15-048-3782", "150483782"),
    ("000000000", None),
    ("12345678", None),
])
def test_duns(value: str, expected: str | None) -> None:
    assert ids.normalize("duns", value) == expected


@pytest.mark.parametrize("data", ["+H123PROD011", "+A99912345671", "+JJ01ABC9"])
def test_hibcc_round_trip(data: str) -> None:
    full = data + ids.hibcc_check_character(data)
    assert ids.normalize("udi_di", full) == full
    wrong = data + ("0" if full[-1] != "0" else "1")
    assert ids.normalize("udi_di", wrong) is None


@pytest.mark.parametrize("value, expected", [
    ("1234567893", "1234567893"),   # the NPI example of the CMS standard
    ("1234567890", None),
    ("ABC-123", "ABC-123"),          # other national schemes are kept as given
])
def test_national_id(value: str, expected: str | None) -> None:
    assert ids.normalize("national_id", value) == expected


@pytest.mark.parametrize("kind, value, expected", [
    ("udi_di", "04012345123456", "04012345123456"),
    ("udi_di", "=A99971312345600", "=A99971312345600"),
    ("udi_di", "not-an-udi", None),
    ("asset_id", "  EQ  0042 ", "EQ 0042"),
    ("lot_number", "", None),
    ("lot_number", None, None),
])
def test_other_kinds(kind: str, value: str | None, expected: str | None) -> None:
    assert ids.normalize(kind, value) == expected


def test_inline_mod10_agrees_with_python_stdnum() -> None:
    import random

    from stdnum import ean

    rng = random.Random(5)
    for _ in range(2000):
        n = rng.choice((8, 12, 13, 14))
        value = "".join(rng.choice("0123456789") for _ in range(n))
        assert ids.is_gs1_valid(value, (n,)) == ean.is_valid(value), value
