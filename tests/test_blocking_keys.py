"""Blocking key methods and whole keys: tables of values and the key parts they must give."""

from __future__ import annotations

import datetime as dt

import pytest

from mdm.matching.keys import KEY_METHODS, MAX_KEY_LENGTH, build_key, key_part

EXPECTED = {"exact", "normalised", "prefix", "sorted_tokens", "first_token", "last_token", "phonetic",
            "digits", "year", "year_month", "month_day"}


def test_every_key_method_is_expected() -> None:
    assert set(KEY_METHODS) == EXPECTED


@pytest.mark.parametrize("method, value, params, expected", [
    ("exact", "  ABC-1 ", {}, "ABC-1"),
    ("exact", 42, {}, "42"),
    ("exact", dt.date(2024, 3, 1), {}, "2024-03-01"),
    ("exact", "   ", {}, None),
    ("exact", None, {}, None),
    ("normalised", "Müller & Söhne GmbH", {}, "muller sohne gmbh"),
    ("normalised", "?!", {}, None),
    ("prefix", "Acme Medical", {}, "acme"),
    ("prefix", "A. C. Me", {}, "acme"),
    ("prefix", "Zoë Ltd", {"length": 6}, "zoeltd"),
    ("prefix", "Ab", {"length": 4}, "ab"),
    ("prefix", "", {}, None),
    ("sorted_tokens", "Smith, John", {}, "john smith"),
    ("sorted_tokens", "john SMITH", {}, "john smith"),
    ("sorted_tokens", "--", {}, None),
    ("first_token", "  Acme, Medical ", {}, "acme"),
    ("first_token", "", {}, None),
    ("last_token", "Acme Medical GmbH.", {}, "gmbh"),
    ("last_token", None, {}, None),
    ("digits", "+49 (30) 123-456", {}, "4930123456"),
    ("digits", "+49 (30) 123-456", {"length": 4}, "3456"),
    ("digits", "12", {"length": 4}, "12"),
    ("digits", 4711, {}, "4711"),
    ("digits", "n/a", {}, None),
    ("digits", "n/a", {"length": 3}, None),
    ("year", "2024-03-01", {}, "2024"),
    ("year", 20240301, {}, "2024"),
    ("year", dt.datetime(1999, 12, 31, 23, 0), {}, "1999"),
    ("year", "2024-13-01", {}, None),
    ("year", "not a date", {}, None),
    ("year_month", "20240301", {}, "2024-03"),
    ("year_month", dt.date(2024, 11, 5), {}, "2024-11"),
    ("year_month", "03/01/2024", {}, None),
    ("month_day", "1980-02-29", {}, "02-29"),
    ("month_day", "19810229", {}, None),
    ("month_day", "", {}, None),
])
def test_key_part(method, value, params, expected) -> None:
    assert key_part(method, value, **params) == expected


@pytest.mark.parametrize("algorithm, a, b", [
    ("nysiis", "Mueller", "Müller"),
    ("nysiis", "Catherine", "Katherine"),
    ("nysiis", "Stephen", "Steven"),
    ("nysiis", "Jon", "John"),
    ("soundex", "Smith", "Smyth"),
    ("soundex", "Robert", "Rupert"),
    ("metaphone", "Smith", "Smyth"),
    ("metaphone", "Knight", "Night"),
    ("nysiis", "Smith John", "smith-jones"),  # only the first word counts
    ("nysiis", "12 Smith", "Smith 12"),  # a leading number is skipped, not encoded
])
def test_phonetic_equal(algorithm, a, b) -> None:
    assert key_part("phonetic", a, algorithm=algorithm) == key_part("phonetic", b, algorithm=algorithm)
    assert key_part("phonetic", a, algorithm=algorithm) is not None


@pytest.mark.parametrize("algorithm, a, b", [
    ("nysiis", "Smith", "Jones"),
    ("nysiis", "Meyer", "Maier"),  # NYSIIS keeps a medial Y where Soundex does not
    ("nysiis", "Smith", "Smyth"),  # ... so it splits this pair: use soundex or metaphone for it
    ("soundex", "Smith", "Jones"),
    ("metaphone", "Miller", "Walker"),
])
def test_phonetic_different(algorithm, a, b) -> None:
    assert key_part("phonetic", a, algorithm=algorithm) != key_part("phonetic", b, algorithm=algorithm)


@pytest.mark.parametrize("value", ["", "  ", "123 456", "---", None])
def test_phonetic_needs_letters(value) -> None:
    assert key_part("phonetic", value) is None


@pytest.mark.parametrize("method, params, message", [
    ("soundalike", {}, "unknown key method 'soundalike'.*phonetic"),
    ("phonetic", {"algorithm": "caverphone"}, "unknown phonetic algorithm.*nysiis"),
    ("prefix", {"length": 0}, "positive integer"),
    ("digits", {"length": "4"}, "positive integer"),
    ("prefix", {"lenght": 4}, "lenght"),
])
def test_bad_methods_and_params_are_refused(method, params, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        key_part(method, "Smith 1234", **params)


@pytest.mark.parametrize("parts, expected", [
    ([("prefix", "Acme Medical", {"length": 3}), ("digits", "D-10115", {})], "acm|10115"),
    ([("phonetic", "Smyth", {"algorithm": "soundex"}), ("year", "1980-02-29", {})], "S530|1980"),
    ([("normalised", "Acme", {}), ("year", "unknown", {})], None),
    ([("normalised", None, {})], None),
    ([], None),
])
def test_build_key(parts, expected) -> None:
    assert build_key(parts) == expected


@pytest.mark.parametrize("parts", [
    [("normalised", "x" * 500, {})],
    [("exact", "a" * 150, {}), ("exact", "b" * 150, {})],
])
def test_keys_are_capped(parts) -> None:
    key = build_key(parts)
    assert key is not None and len(key) == MAX_KEY_LENGTH
    assert len(key_part(*parts[0][:2]) or "") <= MAX_KEY_LENGTH
