"""Survivorship strategies, pure and table-driven; the result never depends on member order."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from mdm.governance.model import Strategy
from mdm.services.survivorship import Member, pick, survive

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def member(system: str, key: str, minutes: int, **payload) -> Member:
    return Member(system, key, 1, T0 + dt.timedelta(minutes=minutes), payload)


MEMBERS = [
    member("plm", "P1", 0, brand="Arteria", shelf=720, desc=None),
    member("sap-erp", "M1", 5, brand="ARTERIA", shelf=730, desc="stent", extra="x"),
    member("csv-import", "C1", 10, brand="ARTERIA", shelf=700),
]


@pytest.mark.parametrize("strategy, field, winner", [
    (Strategy("source_priority", ("plm", "sap-erp")), "brand", "P1"),
    (Strategy("source_priority", ("sap-erp", "plm")), "brand", "M1"),
    (Strategy("source_priority", ("mes",)), "brand", "C1"),      # unlisted systems: by (system, key)
    (Strategy("source_priority", ("plm",)), "desc", "M1"),       # a null never wins
    (Strategy("most_recent"), "brand", "C1"),
    (Strategy("most_complete"), "brand", "M1"),
    (Strategy("most_frequent", ("plm",)), "brand", "C1"),       # ARTERIA twice; tie -> priority, then key
    (Strategy("max"), "shelf", "M1"),
    (Strategy("min"), "shelf", "C1"),
])
def test_pick(strategy, field, winner) -> None:
    for order in itertools.permutations(MEMBERS):
        assert pick(strategy, field, list(order)).source_key == winner


def test_no_value_anywhere() -> None:
    assert pick(Strategy("most_recent"), "missing", MEMBERS) is None


def test_survive_provenance(governance) -> None:
    rules = governance.rules["product"]
    members = [
        Member("plm", "PN-1", 3, T0, {"brand_name": "Arteria", "gtin": "04012345123456"}),
        Member("sap-erp", "M-1", 2, T0, {"brand_name": "ARTERIA", "erp_material_number": "100023"}),
    ]
    data, prov = survive(governance.domains["product"], rules, members)
    assert data == {"gtin": "04012345123456", "brand_name": "Arteria", "erp_material_number": "100023"}
    assert prov["brand_name"] == {"system": "plm", "source_key": "PN-1", "version": 3, "rule": "source_priority"}
    assert prov["erp_material_number"]["system"] == "sap-erp"


def test_single_member_fast_path_equals_general_path(governance) -> None:
    rules = governance.rules["lot"]
    one = Member("mes", "B-1", 1, T0, {"lot_number": "24A1", "status": "released", "quantity": 5})
    fast = survive(governance.domains["lot"], rules, [one])
    # the general path, forced by a member without values
    empty = Member("zzz", "none", 1, T0, {})
    general = survive(governance.domains["lot"], rules, [one, empty])
    assert fast == general


def test_naive_datetimes_are_utc() -> None:
    naive = Member("a", "1", 1, dt.datetime(2026, 1, 1, 0, 5), {"v": 1})
    aware = Member("b", "2", 1, T0, {"v": 2})
    assert pick(Strategy("most_recent"), "v", [aware, naive]).source_key == "1"
