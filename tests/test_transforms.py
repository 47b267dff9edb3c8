"""Mapping transforms, table-driven: each declared transform, its errors and its inverse."""

from __future__ import annotations

import pytest

from mdm.governance.transforms import TransformError, compile_chain, invert_chain


@pytest.mark.parametrize("specs, value, expected", [
    (["trim"], "  Alpha  ", "Alpha"),
    (["trim", "upper"], " ab ", "AB"),
    (["lower"], "AbC", "abc"),
    (["title"], "st. james hospital", "St. James Hospital"),
    (["collapse_spaces"], "a   b \t c", "a b c"),
    (["digits_only"], "15-048-3782", "150483782"),
    (["gtin14"], "4012345123456", "04012345123456"),
    (["gtin14"], "04012345123456", "04012345123456"),
    (["integer"], "1,200", 1200),
    (["integer"], 12.0, 12),
    (["number"], "2.5", 2.5),
    (["boolean"], "Y", True),
    (["boolean"], "no", False),
    ([{"boolean": {"true": ["X"], "false": [""]}}], "X", True),
    ([{"date": "%Y%m%d"}], "20240131", "2024-01-31"),
    ([{"date": "%d.%m.%Y"}], "31.01.2024", "2024-01-31"),
    ([{"date": "%d.%m.%Y"}], "2024-01-31", "2024-01-31"),
    ([{"code": {"ST": "EA", "KAR": "CS"}}], "KAR", "CS"),
    ([{"code": {"ST": "EA"}}], "XX", "XX"),
    ([{"multiply": 30}], "6", 180),
    ([{"prefix": "SAP-"}], "SAP-100", "100"),
    (["null_if_blank", "trim"], "   ", None),
    (["trim"], "   ", None),
    (["trim"], None, None),
])
def test_apply(specs, value, expected) -> None:
    assert compile_chain(specs)(value) == expected


@pytest.mark.parametrize("specs, value", [
    (["integer"], "twelve"),
    (["integer"], "1.5"),
    (["number"], "n/a"),
    (["boolean"], "maybe"),
    ([{"date": "%Y%m%d"}], "2024-13-45"),
])
def test_apply_errors(specs, value) -> None:
    with pytest.raises(TransformError):
        compile_chain(specs)(value)


@pytest.mark.parametrize("specs, canonical", [
    ([{"date": "%Y%m%d"}], "2024-01-31"),
    ([{"code": {"ST": "EA", "KAR": "CS"}}], "CS"),
    ([{"multiply": 30}], 180),
    ([{"boolean": {"true": ["X"], "false": [""]}}], True),
    (["trim", "gtin14"], "04012345123456"),
    ([{"prefix": "SAP-"}], "100"),
])
def test_inverse_round_trip(specs, canonical) -> None:
    assert compile_chain(specs)(invert_chain(specs, canonical)) == canonical
