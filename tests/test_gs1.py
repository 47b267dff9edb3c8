"""GS1 element strings, the 7.12 century rule and GMN (Basic UDI-DI) check character pairs.

GMN vectors are the worked example of GS1 General Specifications 7.9.5 and the unit-test vectors that
GS1 publishes with its GMN helper libraries (github.com/gs1/gmn-helpers) and the GS1 Barcode Syntax
Engine's csumalpha linter (github.com/gs1/gs1-syntax-engine).
"""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum import ean

from mdm.quality import gs1
from mdm.quality.gs1 import GS1ParseError, gmn_check_pair, is_valid_gmn, parse_element_string, yymmdd_to_date

GS = "\x1d"
TODAY = dt.date(2026, 6, 15)
GTIN = "09506000134352"  # GS1's own example GTIN

FULL = {"gtin": GTIN, "expiry_date": "2026-01-31", "lot": "ABC123", "serial": "X1"}


# --- Element strings ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("bracketed", "raw", "expected"), [
    (f"(01){GTIN}(17)260131(10)ABC123(21)X1", f"01{GTIN}1726013110ABC123{GS}21X1", FULL),
    (f"(01){GTIN}(21)X1(10)ABC123(17)260131", f"01{GTIN}21X1{GS}10ABC123{GS}17260131", FULL),
    (f"(01){GTIN}(11)250700(17)270100", f"01{GTIN}1125070017270100",
     {"gtin": GTIN, "production_date": "2025-07-31", "expiry_date": "2027-01-31"}),
    ("(10)L-1/2(21)a!b%c", f"10L-1/2{GS}21a!b%c", {"lot": "L-1/2", "serial": "a!b%c"}),
])
def test_bracketed_and_raw_forms_parse_equal(bracketed, raw, expected):
    assert parse_element_string(bracketed, today=TODAY) == expected
    assert parse_element_string(raw, today=TODAY) == expected


RAW = f"01{GTIN}1726013110ABC123{GS}21X1"


@pytest.mark.parametrize("text", [
    f"]C1{RAW}", f"]d2{RAW}", f"]Q3{RAW}", f"]e0{RAW}",  # GS1-128, DataMatrix, QR Code, DataBar
    f"{GS}{RAW}",  # FNC1 in first position sent as GS
    f"]d2{GS}{RAW}",
    f"]d2{RAW}\r\n",  # keyboard-wedge scanners append CR/LF
    f"01{GTIN}{GS}17260131{GS}10ABC123{GS}21X1{GS}",  # redundant separators after fixed fields, trailing GS
])
def test_symbology_identifiers_and_leading_gs(text):
    assert parse_element_string(text, today=TODAY) == FULL


@pytest.mark.parametrize("gtin", [
    "00036000291452",  # UPC-A 036000291452 as GTIN-14
    "00012345678905",  # UPC-A 012345678905
    "00000000000017",  # nearly all zeros: the check digit still has to hold
    "04012345123456",
])
def test_gtin14_with_leading_zeros(gtin):
    assert ean.is_valid(gtin)  # the reference implementation agrees these are valid
    assert parse_element_string(f"(01){gtin}") == {"gtin": gtin}
    bad = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    with pytest.raises(GS1ParseError, match="check digit"):
        parse_element_string(f"(01){bad}")


def test_lot_without_expiry():
    assert parse_element_string(f"(01){GTIN}(10)LOT42", today=TODAY) == {"gtin": GTIN, "lot": "LOT42"}
    assert parse_element_string(f"01{GTIN}10LOT42") == {"gtin": GTIN, "lot": "LOT42"}


def test_variable_field_at_maximum_length_is_accepted():
    assert parse_element_string("(10)" + "A" * 20 + "(21)" + "9" * 20) == {"lot": "A" * 20, "serial": "9" * 20}


def test_bracket_characters_inside_a_value_are_data():
    # "(" and ")" are CSET 82 characters; only "(" + digits + ")" is an AI.
    assert parse_element_string("(10)A(B)C(21)X(1")["lot"] == "A(B)C"


@pytest.mark.parametrize(("text", "message"), [
    # empty input
    ("", "empty"),
    ("  \r\n", "empty"),
    ("]d2", "no data"),
    (GS, "no data"),
    # symbology identifier that does not announce GS1 data
    (f"]d1{RAW}", "symbology identifier"),
    # unknown / unsupported AI
    (f"(02){GTIN}", r"unknown or unsupported AI \(02\)"),
    ("(240)ABC", r"unknown or unsupported AI \(240\)"),
    (f"(01){GTIN}(8013)1987654Ad4X4bL5ttr2310c2K", r"unknown or unsupported AI \(8013\)"),
    (f"01{GTIN}9212345", "unknown or unsupported AI"),
    (f"10ABC{GS}ABC", "expected a two-digit AI"),
    ("ABC", "expected a two-digit AI"),
    ("01", "must be exactly 14 digits, got 0"),
    ("GTIN(01)09506000134352", "expected a two-digit AI at position 0"),
    ("(1)2(10)A", "must start with an AI"),
    # wrong fixed length
    ("(01)0950600013435", r"AI \(01\) GTIN must be exactly 14 digits, got 13"),
    ("(01)095060001343520", r"must be exactly 14 digits, got 15"),
    ("(17)26013", r"AI \(17\) expiration date must be exactly 6 digits, got 5"),
    ("(11)2601311", r"AI \(11\) production date must be exactly 6 digits, got 7"),
    ("010950600013", "must be exactly 14 digits, got 10"),
    (f"0109506000{GS}10ABC", "must be exactly 14 digits, got 8"),
    ("1726013", "must be exactly 6 digits, got 5"),
    # non-digit in a numeric field
    ("(01)0950600013435X", r"AI \(01\) GTIN must be numeric"),
    ("(11)26A131", r"AI \(11\) production date must be numeric"),
    ("(17)26 131", "must be numeric"),
    ("(01)095060001343５2", "must be numeric"),  # a full-width digit is not an ASCII digit
    # bad GTIN check digit
    ("(01)09506000134353", r"bad check digit \(expected 2\)"),
    ("(01)04012345123457", "bad check digit"),
    # invalid date
    ("(17)261301", "invalid month 13"),
    ("(17)260001", "invalid month 00"),
    ("(17)260230", "invalid day 30"),
    ("(11)230229", "invalid day 29"),
    ("(17)260432", "invalid day 32"),
    # variable field over its maximum length, or empty
    ("(10)" + "A" * 21, r"AI \(10\) batch/lot is 21 characters, more than the maximum 20"),
    ("(21)" + "1" * 21, r"AI \(21\) serial number is 21 characters"),
    ("10" + "A" * 21, "more than the maximum 20"),
    ("(10)(21)X", r"AI \(10\) batch/lot is empty"),
    (f"10{GS}21X", "is empty"),
    # characters outside CSET 82
    ("(10)AB C", "outside GS1 AI encodable character set 82: ' '"),
    ("(10)AB#1", "character set 82: '#'"),
    ("(21)Lot@1", "character set 82: '@'"),
    ("(21)Lötz", "character set 82: 'ö'"),
    (f"10AB{GS}{GS}21X", "expected a two-digit AI"),
    # repeated AI (even with the same value)
    ("(10)A(10)B", r"AI \(10\) batch/lot appears more than once"),
    ("(10)A(10)A", "appears more than once"),
    (f"01{GTIN}01{GTIN}", r"AI \(01\) GTIN appears more than once"),
    (f"21X{GS}21Y", "appears more than once"),
])
def test_errors(text, message):
    with pytest.raises(GS1ParseError, match=message):
        parse_element_string(text, today=TODAY)


def test_parse_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_element_string("(99)X")
    with pytest.raises(GS1ParseError, match="must be a str"):
        parse_element_string(None)  # type: ignore[arg-type]


def test_dates_in_element_string_follow_the_century_rule():
    parsed = parse_element_string("(11)770101(17)760101", today=TODAY)
    assert parsed == {"production_date": "1977-01-01", "expiry_date": "2076-01-01"}


# --- YYMMDD and the 7.12 century rule ---------------------------------------------------------------

@pytest.mark.parametrize(("yymmdd", "today", "expected"), [
    # DD = 00: last day of the month
    ("240200", dt.date(2024, 1, 1), dt.date(2024, 2, 29)),  # leap year
    ("230200", dt.date(2023, 1, 1), dt.date(2023, 2, 28)),
    ("260100", TODAY, dt.date(2026, 1, 31)),  # 31-day month
    ("260400", TODAY, dt.date(2026, 4, 30)),  # 30-day month
    ("261200", TODAY, dt.date(2026, 12, 31)),
    ("000200", dt.date(2026, 1, 1), dt.date(2000, 2, 29)),  # 2000 is a leap year ...
    ("000200", dt.date(2060, 1, 1), dt.date(2100, 2, 28)),  # ... 2100, chosen by the century rule, is not
    ("240229", dt.date(2024, 1, 1), dt.date(2024, 2, 29)),
    # century rule, today = 2026: diff = YY - 26
    ("260615", TODAY, dt.date(2026, 6, 15)),  # diff 0
    ("750101", TODAY, dt.date(2075, 1, 1)),  # diff 49
    ("760101", TODAY, dt.date(2076, 1, 1)),  # diff 50: still the current century
    ("770101", TODAY, dt.date(1977, 1, 1)),  # diff 51: previous century
    ("991231", TODAY, dt.date(1999, 12, 31)),  # diff 73
    ("000101", TODAY, dt.date(2000, 1, 1)),  # diff -26
    # today = 2060: diff <= -50 is the next century
    ("000101", dt.date(2060, 6, 15), dt.date(2100, 1, 1)),  # diff -60
    ("100101", dt.date(2060, 6, 15), dt.date(2110, 1, 1)),  # diff -50: next century
    ("110101", dt.date(2060, 6, 15), dt.date(2011, 1, 1)),  # diff -49: current century
    ("990101", dt.date(2060, 6, 15), dt.date(2099, 1, 1)),  # diff 39
    # around the turn of the century
    ("990101", dt.date(2048, 1, 1), dt.date(1999, 1, 1)),  # diff 51
    ("990101", dt.date(2049, 1, 1), dt.date(2099, 1, 1)),  # diff 50
    ("000101", dt.date(2049, 1, 1), dt.date(2000, 1, 1)),  # diff -49
    ("000101", dt.date(2050, 1, 1), dt.date(2100, 1, 1)),  # diff -50
    ("500101", dt.date(1999, 12, 31), dt.date(1950, 1, 1)),  # diff -49: current century
    ("490101", dt.date(1999, 12, 31), dt.date(2049, 1, 1)),  # diff -50: next century
    ("510101", dt.date(2000, 1, 1), dt.date(1951, 1, 1)),  # diff 51
    ("500101", dt.date(2000, 1, 1), dt.date(2050, 1, 1)),  # diff 50
])
def test_yymmdd_to_date(yymmdd, today, expected):
    assert yymmdd_to_date(yymmdd, today=today) == expected


def test_yymmdd_defaults_to_today():
    assert yymmdd_to_date(dt.date.today().strftime("%y%m%d")) == dt.date.today()


@pytest.mark.parametrize(("yymmdd", "message"), [
    ("261301", "invalid month 13"),
    ("260015", "invalid month 00"),
    ("260231", "invalid day 31"),
    ("250229", "invalid day 29"),
    ("260631", "invalid day 31"),
    ("26061", "six digits"),
    ("2606155", "six digits"),
    ("26O615", "six digits"),
])
def test_yymmdd_errors(yymmdd, message):
    with pytest.raises(GS1ParseError, match=message):
        yymmdd_to_date(yymmdd, today=TODAY)


# --- GMN / Basic UDI-DI -------------------------------------------------------------------------------

GMN_VALID = [
    "1987654Ad4X4bL5ttr2310c2K",  # GS1 General Specifications 7.9.5 worked example
    "12345ANJ",  # shortest
    "12345678901234567890123NT",  # longest
    "12345_ABCDEFGHIJKLMCP",  # every CSET 82 character ...
    "12345_NOPQRSTUVWXYZDN",
    "12345_abcdefghijklmN3",
    "12345_nopqrstuvwxyzP2",
    "12345_!\"%&'()*+,-./LC",
    "12345_0123456789:;<=>?62",
    "7907665Bm8v2AB",  # ... and every CSET 32 check character
    "97850l6KZm0yCD",
    "225803106GSpEF",
    "149512464PM+GH",
    "62577B8fRG7HJK",
    "515942070CYxLM",
    "390800494sP6NP",
    "386830132uO+QR",
    "53395376X1:nST",
    "957813138Sb6UV",
    "530790no0qOgWX",
    "62185314IvwmYZ",
    "23956qk1&dB!23",
    "794394895ic045",
    "57453Uq3qA<H67",
    "0881063PhHvY89",
    "00000!HV",  # minimum intermediate sum
    "99999zzzzzzzzzzzzzzzzzzT2",  # maximum intermediate sum
    "12345Ad4X4bL5ttr2310c66",
    "123456789012Ad4X4bL5ttr3R",
]


@pytest.mark.parametrize("gmn", GMN_VALID)
def test_published_gmns_are_valid(gmn):
    assert is_valid_gmn(gmn)
    assert gmn_check_pair(gmn[:-2]) == gmn[-2:]


def test_spec_example_check_pair():
    assert gmn_check_pair("1987654Ad4X4bL5ttr2310c") == "2K"


SPEC_GMN = GMN_VALID[0]


@pytest.mark.parametrize("position", range(len(SPEC_GMN)))
def test_every_one_character_change_is_invalid(position):
    # Prime weights below the prime modulus 1021 catch every single substitution; try them all.
    for ch in gs1.CSET82:
        if ch != SPEC_GMN[position]:
            changed = SPEC_GMN[:position] + ch + SPEC_GMN[position + 1:]
            assert not is_valid_gmn(changed), changed


@pytest.mark.parametrize("gmn", [
    "1987654Ad4X4bL5ttr2310cXK",  # GS1 helper test vectors: wrong check characters
    "1987654Ad4X4bL5ttr2310c2X",
    "1987654Ad4X4bL5ttr2310c2k",  # check characters are upper case only
    "1987654Ad4X4bL5ttr2310cK2",  # transposed pair
    "1987654dA4X4bL5ttr2310c2K",  # transposed model characters
    "X987654Ad4X4bL5ttr2310c2K",  # GS1 Company Prefix must start with five digits
    "1987X54Ad4X4bL5ttr2310c2K",
    "198765£Ad4X4bL5ttr2310c2K",  # outside CSET 82
    "1987654Ad4X4bL5ttr2310 2K",
    "12345XX",  # too short
    "123456789012345678901234XX",  # too long (26)
    " 1987654Ad4X4bL5ttr2310c2K",
    "",
    None,
    1987654,
])
def test_invalid_gmns(gmn):
    assert is_valid_gmn(gmn) is False


@pytest.mark.parametrize(("body", "message"), [
    ("12345", "6 to 23 characters, got 5"),
    ("123456789012345678901234", "6 to 23 characters, got 24"),
    ("1234A6", "first 5 characters must be digits"),
    ("12345 A", "outside GS1 AI encodable character set 82"),
    ("1987654Ad4X4bL5ttr2310£", "position 23"),
])
def test_gmn_check_pair_rejects_malformed_input(body, message):
    with pytest.raises(GS1ParseError, match=message):
        gmn_check_pair(body)
