"""Comparators: tables of value pairs and the scores they must get, plus the registry's contract."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from rapidfuzz import fuzz

from mdm.matching import normalise
from mdm.matching.comparators import COMPARATORS, compare, register

EXPECTED = {"exact", "ratio", "token_set", "token_sort", "partial", "jaro_winkler", "levenshtein",
            "numeric", "date", "address"}


@pytest.mark.parametrize("value, expected", [
    ("Müller", "muller"),
    ("  ACME,  Inc. ", "acme inc"),
    ("Straße", "strasse"),
    ("O'Neil-Smith", "o neil smith"),
    ("İstanbul", "istanbul"),
    ("ﬁsh", "fish"),
    ("a__b", "a b"),
    (12.5, "12 5"),
    ("---", ""),
    (None, ""),
])
def test_text(value, expected) -> None:
    assert normalise.text(value) == expected


def test_text_of_ascii_takes_a_shortcut_to_the_same_result() -> None:
    import string

    from mdm.matching.normalise import _NON_ALNUM, _strip_marks

    for value in [string.printable, "Saint MARY's Hospital", "  A_b-C  ", "x\tY\nz", "".join(map(chr, range(128)))]:
        assert normalise.text(value) == _NON_ALNUM.sub(" ", _strip_marks(value.casefold())).strip()


@pytest.mark.parametrize("value, expected", [
    ("Acme  Medical, GmbH", ["acme", "medical", "gmbh"]),
    ("", []),
    (None, []),
])
def test_tokens(value, expected) -> None:
    assert normalise.tokens(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("+49 (30) 123-45", "493012345"),
    ("１２３", "123"),
    (4711, "4711"),
    ("abc", ""),
    (None, ""),
])
def test_digits(value, expected) -> None:
    assert normalise.digits(value) == expected


@pytest.mark.parametrize("value, expected", [
    (dt.date(2024, 3, 1), dt.date(2024, 3, 1)),
    (dt.datetime(2024, 3, 1, 23, 59), dt.date(2024, 3, 1)),
    ("2024-03-01", dt.date(2024, 3, 1)),
    (" 2024-03-01T10:00:00Z ", dt.date(2024, 3, 1)),
    ("20240301", dt.date(2024, 3, 1)),
    (20240301, dt.date(2024, 3, 1)),
    ("2024-02-30", None),
    ("01/03/2024", None),
    ("2024-3-1", None),
    ("2024", None),
    (None, None),
])
def test_date(value, expected) -> None:
    assert normalise.date(value) == expected


def test_every_comparator_is_expected() -> None:
    # A renamed or removed comparator would break match settings that refer to it by name.
    assert set(COMPARATORS) == EXPECTED


def test_kinds_and_multi() -> None:
    assert {n for n, c in COMPARATORS.items() if c.kind == "distance"} == {"levenshtein", "numeric", "date"}
    assert {n for n, c in COMPARATORS.items() if c.multi} == {"address"}


@pytest.mark.parametrize("name, a, b, expected", [
    ("exact", "Müller GmbH", "MULLER gmbh.", 1.0),
    ("exact", "Muller", "Mueller", 0.0),
    ("exact", 123, "123", 1.0),
    ("ratio", "Acme Medical", "acme  medical!", 1.0),
    ("ratio", "abcd", "wxyz", 0.0),
    ("token_set", "Acme Medical Devices", "Medical Acme", 1.0),
    ("token_sort", "Smith, John", "john smith", 1.0),
    ("partial", "Acme", "Acme Medical Devices", 1.0),
    ("jaro_winkler", "Zoë", "zoe", 1.0),
    ("jaro_winkler", "abc", "xyz", 0.0),
    ("levenshtein", "Kitten", "sitting", 3.0),
    ("levenshtein", "Café", "CAFE", 0.0),
    ("numeric", 10, "12.5", 2.5),
    ("numeric", "-1", 1.0, 2.0),
    ("date", "2024-03-01", dt.date(2024, 2, 28), 2.0),
    ("date", "20240301", dt.datetime(2024, 3, 1, 12, 0), 0.0),
    ("date", "2023-03-01", "2024-03-01", 366.0),
])
def test_exact_scores(name, a, b, expected) -> None:
    assert compare(name, a, b) == pytest.approx(expected)


@pytest.mark.parametrize("name, a, b, low, high", [
    ("ratio", "Jonathan", "Jonathon", 0.85, 0.99),
    ("ratio", "Smith John", "John Smith", 0.0, 0.6),  # order matters to ratio ...
    ("token_sort", "Acme Medical", "Acme Medicl", 0.9, 0.99),
    ("token_set", "Acme Medical", "Acme Surgical", 0.5, 0.9),
    ("partial", "Acme", "Zeta Holdings", 0.0, 0.5),
    ("jaro_winkler", "Martha", "Marhta", 0.95, 0.99),
    ("jaro_winkler", "Dixon", "Dicksonx", 0.8, 0.9),
])
def test_fuzzy_scores(name, a, b, low, high) -> None:
    assert low <= compare(name, a, b) <= high


def test_token_comparators_ignore_word_order_where_ratio_does_not() -> None:
    assert compare("token_sort", "Smith John", "John Smith") == 1.0
    assert compare("ratio", "Smith John", "John Smith") < 1.0


@pytest.mark.parametrize("name, a, b", [
    ("numeric", "abc", 1),
    ("numeric", 1, "1,000"),
    ("numeric", "nan", 1),
    ("numeric", float("inf"), float("inf")),
    ("numeric", [1], 1),
    ("date", "2024-02-30", "2024-03-01"),
    ("date", "01/03/2024", "2024-03-01"),
    ("date", "2024-03-01", "soon"),
    ("date", 3.5, dt.date(2024, 3, 1)),
])
def test_unreadable_values_are_infinitely_far(name, a, b) -> None:
    assert compare(name, a, b) == math.inf


@pytest.mark.parametrize("a, b, low, high", [
    (("12", "High St", "London", "N1 2AB"), ("London", "12 High Street", None, "N1 2AB"), 1.0, 1.0),
    (("12 High St", None, ""), ("12 high street",), 1.0, 1.0),
    (("Hauptstr. 5", "Berlin"), ("Hauptstraße 5", "Berlin"), 1.0, 1.0),
    (("5 Elm Ave",), ("5 Elm Av",), 1.0, 1.0),
    (("3 Oak Rd",), ("3 Oak Road",), 1.0, 1.0),
    (("12 High St",), ("14 High St",), 0.5, 0.6),  # same street, other building
    (("12 High St", "London"), ("12 High Street", "Manchester"), 0.5, 0.9),
    (("12 High St", "Flat 3"), ("12 High St",), 1.0, 1.0),  # numbers overlap: no penalty
    (("High St",), ("14 High St",), 1.0, 1.0),  # one side has no number: no penalty
    (("1 N Main St",), ("1 North Main St",), 0.7, 0.99),  # compass letters are not expanded
])
def test_address(a, b, low, high) -> None:
    assert low <= compare("address", a, b) <= high


@pytest.mark.parametrize("seen_first, a, b, expected", [
    ((12.0, "High St"), (12, "High St"), (0, "High St"), 0.6 * fuzz.token_set_ratio("12 high street", "0 high street") / 100),
    (("12.0 High St",), (12, "High St"), (12, "High Street"), 1.0),
    ((True,), (1,), ("1",), 1.0),
    ((1.0,), 1, "1", 1.0),
    ((["12", "High St"],), ["12", "High St"], ("12 High St",), 1.0),  # lists as well as tuples
    ((None,), ({"street": "High St"},), ({"street": "High St"},), 1.0),  # a value that cannot be hashed
])
def test_address_does_not_depend_on_what_was_compared_before(seen_first, a, b, expected) -> None:
    # addresses are cached by their text: 12 and 12.0 are equal keys with different texts
    compare("address", seen_first, seen_first)
    assert compare("address", a, b) == pytest.approx(expected)


def test_address_penalty_is_a_factor_of_the_token_score() -> None:
    same_number = compare("address", ("12 High St", "Londn"), ("12 High Street", "London"))
    other_number = compare("address", ("12 High St", "Londn"), ("14 High Street", "London"))
    assert other_number < same_number


@pytest.mark.parametrize("name", sorted(n for n, c in COMPARATORS.items() if c.kind == "similarity"))
@pytest.mark.parametrize("a, b", [
    ("Acme", "Acme"), ("Acme", "Zeta"), ("Müller", "Muller"), ("a", "abcdefghij"), ("12 High St", "14 High"),
])
def test_similarities_lie_in_the_unit_interval(name, a, b) -> None:
    multi = COMPARATORS[name].multi
    score = compare(name, (a,) if multi else a, (b,) if multi else b)
    assert 0.0 <= score <= 1.0
    assert compare(name, (a,) if multi else a, (a,) if multi else a) == 1.0


@pytest.mark.parametrize("name", sorted(n for n, c in COMPARATORS.items() if c.kind == "distance"))
def test_distances_are_zero_for_identical_values(name) -> None:
    assert compare(name, "2024-03-01" if name == "date" else "42", "2024-03-01" if name == "date" else "42") == 0


def test_unknown_comparator_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown comparator 'fuzzy'.*jaro_winkler"):
        compare("fuzzy", "a", "b")


@pytest.mark.parametrize("name, kind, message", [
    ("exact", "similarity", "registered twice"),
    ("new_one", "closeness", "kind must be one of"),
])
def test_register_refuses_mistakes(name, kind, message) -> None:
    with pytest.raises(ValueError, match=message):
        register(name, kind)(lambda a, b: 0.0)
    assert "new_one" not in COMPARATORS
