"""Quality rule kinds, table-driven: each record-level kind on its own, rule configuration as
`load_governance` validates it, and the kinds that read the hub through the HTTP API."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import gtin, post, results
from jsonschema import Draft202012Validator

from mdm.errors import GovernanceError
from mdm.governance import default_content_dir, load_governance
from mdm.identifiers import hibcc_check_character
from mdm.quality import CHECKS, Context, RuleDef, gs1

TODAY = dt.date(2026, 6, 15)
YESTERDAY, TOMORROW = (TODAY - dt.timedelta(days=1)).isoformat(), (TODAY + dt.timedelta(days=1)).isoformat()
CTX = Context(system="plm", site="GAL", today=TODAY)

G = "09506000134352"  # GS1's example GTIN-14 (leading zero)
G_OTHER = gtin("0401234512345")
HIBCC_DATA = "+A123BJC5D6E71"  # '+', labeler A123, product BJC5D6E7, unit of measure 1
HIBCC_OK = HIBCC_DATA + hibcc_check_character(HIBCC_DATA)
HIBCC_BAD = HIBCC_DATA + ("A" if HIBCC_OK[-1] != "A" else "B")
GMN_OK = "1987654Ad4X4bL5ttr2310c2K"  # GS1 General Specifications 7.9.5 / gmn-helpers example


def _check(governance, kind: str, domain: str, params: dict[str, Any]):
    return CHECKS[kind](RuleDef(id="t", kind=kind, severity="error", message="m", message_zh=None, params=params),
                        governance.domains[domain])


def _outcome(failures) -> str:
    return "n/a" if failures is None else "fail" if failures else "pass"


def case(kind: str, domain: str, params: dict[str, Any], payload: dict[str, Any], expected: str, name: str):
    return pytest.param(kind, domain, params, payload, expected, id=f"{kind}:{name}")


# -- 1. record-level kinds ------------------------------------------------------------------------

BRAND = {"field": "brand_name"}
GMDN = {"field": "gmdn_code", "pattern": r"^\d{5}$"}
DOB = {"field": "date_of_birth", "min": "1900-01-01", "max": "today"}
SHELF = {"field": "shelf_life_days", "min": 0, "max": 3650}
LOT_DATES = {"before": "manufacture_date", "after": "expiry_date"}
STERILE = {"field": "sterilization_method", "when": {"sterilization_prior_to_use": [True]}}
QUALIFIED = {"field": "serial_number", "when": {"qualification_status": ["qualified", "pq_complete"], "site": ["GAL"]}}
PRODUCT_GTIN = {"field": "gtin", "key": "gtin"}
SUPPLIER_GLN = {"field": "gln", "key": "gln"}
UDI_DI = {"field": "udi_di", "agency_field": "issuing_agency"}

PURE_CASES = [
    # required
    case("required", "product", BRAND, {"brand_name": "Arteria"}, "pass", "present"),
    case("required", "product", BRAND, {}, "fail", "missing"),
    case("required", "product", BRAND, {"brand_name": None}, "fail", "null"),
    case("required", "product", BRAND, {"brand_name": ""}, "fail", "empty string"),
    case("required", "product", {"field": "shelf_life_days"}, {"shelf_life_days": 0}, "pass", "zero is a value"),
    case("required", "product", {"field": "is_sterile"}, {"is_sterile": False}, "pass", "false is a value"),
    # pattern (searched, so the anchors matter)
    case("pattern", "product", GMDN, {"gmdn_code": "35094"}, "pass", "matches"),
    case("pattern", "product", GMDN, {"gmdn_code": "3509"}, "fail", "too short"),
    case("pattern", "product", GMDN, {"gmdn_code": "35094a"}, "fail", "trailing letter"),
    case("pattern", "product", GMDN, {}, "n/a", "missing"),
    case("pattern", "product", {"field": "description", "pattern": "stent"}, {"description": "a stent system"},
         "pass", "unanchored pattern is searched"),
    case("pattern", "product", {"field": "description", "pattern": "stent"}, {"description": "a STENT system"},
         "fail", "case sensitive"),
    # code_list: the field's dictionary code list, or the listed codes
    case("code_list", "product", {"field": "device_class"}, {"device_class": "IIa"}, "pass", "dictionary code"),
    case("code_list", "product", {"field": "device_class"}, {"device_class": "IV"}, "fail", "unknown code"),
    case("code_list", "product", {"field": "device_class"}, {"device_class": "iia"}, "fail", "codes are exact"),
    case("code_list", "product", {"field": "device_class"}, {}, "n/a", "missing"),
    case("code_list", "lot", {"field": "status"}, {"status": "released"}, "pass", "domain code list"),
    case("code_list", "lot", {"field": "site"}, {"site": "PEN"}, "pass", "common code list"),
    case("code_list", "lot", {"field": "site"}, {"site": "XXX"}, "fail", "not in common code list"),
    case("code_list", "product", {"field": "device_class", "codes": ["III"]}, {"device_class": "III"}, "pass",
         "listed code"),
    case("code_list", "product", {"field": "device_class", "codes": ["III"]}, {"device_class": "I"}, "fail",
         "dictionary code not listed"),
    # range: ISO dates as strings with max today; numbers
    case("range", "customer", DOB, {"date_of_birth": "1980-05-01"}, "pass", "date inside"),
    case("range", "customer", DOB, {"date_of_birth": "1900-01-01"}, "pass", "date on min"),
    case("range", "customer", DOB, {"date_of_birth": "1899-12-31"}, "fail", "date below min"),
    case("range", "customer", DOB, {"date_of_birth": TODAY.isoformat()}, "pass", "today is not the future"),
    case("range", "customer", DOB, {"date_of_birth": TOMORROW}, "fail", "tomorrow is the future"),
    case("range", "customer", DOB, {}, "n/a", "missing"),
    case("range", "lot", {"field": "manufacture_date", "max": "today"}, {"manufacture_date": YESTERDAY}, "pass",
         "max today only"),
    case("range", "lot", {"field": "manufacture_date", "max": "today"}, {"manufacture_date": "2027-01-01"}, "fail",
         "max today only, next year"),
    case("range", "lot", {"field": "manufacture_date", "min": "2020-01-01", "max": "2020-12-31"},
         {"manufacture_date": "2020-12-31"}, "pass", "fixed date bounds inclusive"),
    case("range", "product", SHELF, {"shelf_life_days": 0}, "pass", "number on min"),
    case("range", "product", SHELF, {"shelf_life_days": 3650}, "pass", "number on max"),
    case("range", "product", SHELF, {"shelf_life_days": 730}, "pass", "number inside"),
    case("range", "product", SHELF, {"shelf_life_days": -1}, "fail", "number below min"),
    case("range", "product", SHELF, {"shelf_life_days": 3651}, "fail", "number above max"),
    case("range", "product", {"field": "shelf_life_days", "min": 1}, {"shelf_life_days": 0}, "fail", "min only"),
    case("range", "product", {"field": "shelf_life_days", "max": 10}, {"shelf_life_days": 10.0}, "pass",
         "float against integer max"),
    case("range", "product", SHELF, {"shelf_life_days": "730"}, "fail", "text against numeric bounds"),
    # length
    case("length", "product", {"field": "brand_name", "min": 2, "max": 5}, {"brand_name": "ab"}, "pass", "on min"),
    case("length", "product", {"field": "brand_name", "min": 2, "max": 5}, {"brand_name": "abcde"}, "pass", "on max"),
    case("length", "product", {"field": "brand_name", "min": 2, "max": 5}, {"brand_name": "a"}, "fail", "below min"),
    case("length", "product", {"field": "brand_name", "min": 2, "max": 5}, {"brand_name": "abcdef"}, "fail",
         "above max"),
    case("length", "product", {"field": "brand_name", "max": 3}, {"brand_name": "abcd"}, "fail", "max only"),
    case("length", "product", {"field": "brand_name", "min": 2}, {"brand_name": "x" * 500}, "pass", "min only"),
    case("length", "product", {"field": "brand_name", "max": 3}, {}, "n/a", "missing"),
    # date_order
    case("date_order", "lot", LOT_DATES, {"manufacture_date": "2024-01-10", "expiry_date": "2026-01-10"}, "pass",
         "before earlier"),
    case("date_order", "lot", LOT_DATES, {"manufacture_date": "2026-01-10", "expiry_date": "2024-01-10"}, "fail",
         "before later"),
    case("date_order", "lot", LOT_DATES, {"manufacture_date": "2024-01-10", "expiry_date": "2024-01-10"}, "fail",
         "equal without allow_equal"),
    case("date_order", "lot", {**LOT_DATES, "allow_equal": False},
         {"manufacture_date": "2024-01-10", "expiry_date": "2024-01-10"}, "fail", "equal with allow_equal false"),
    case("date_order", "lot", {**LOT_DATES, "allow_equal": True},
         {"manufacture_date": "2024-01-10", "expiry_date": "2024-01-10"}, "pass", "equal with allow_equal"),
    case("date_order", "lot", {**LOT_DATES, "allow_equal": True},
         {"manufacture_date": "2024-01-11", "expiry_date": "2024-01-10"}, "fail", "later with allow_equal"),
    case("date_order", "lot", LOT_DATES, {"manufacture_date": "2024-01-10"}, "n/a", "after missing"),
    case("date_order", "lot", LOT_DATES, {"expiry_date": "2024-01-10"}, "n/a", "before missing"),
    case("date_order", "lot", LOT_DATES, {"manufacture_date": "2024-02-30", "expiry_date": "2024-01-10"}, "n/a",
         "not a date"),
    case("date_order", "equipment", {"before": "last_calibrated", "after": "calibration_due"},
         {"last_calibrated": "2026-01-01", "calibration_due": "2025-12-31"}, "fail", "calibration due before"),
    # conditional_required
    case("conditional_required", "product", STERILE,
         {"sterilization_prior_to_use": True, "sterilization_method": "moist_heat_steam"}, "pass",
         "condition holds, present"),
    case("conditional_required", "product", STERILE, {"sterilization_prior_to_use": True}, "fail",
         "condition holds, missing"),
    case("conditional_required", "product", STERILE, {"sterilization_prior_to_use": True, "sterilization_method": ""},
         "fail", "condition holds, empty"),
    case("conditional_required", "product", STERILE, {"sterilization_prior_to_use": False}, "n/a",
         "condition false"),
    case("conditional_required", "product", STERILE, {}, "n/a", "condition field missing"),
    case("conditional_required", "customer", {"field": "family_name", "when": {"party_type": ["person"]}},
         {"party_type": "person", "given_name": "Aoife"}, "fail", "person without family name"),
    case("conditional_required", "customer", {"field": "family_name", "when": {"party_type": ["person"]}},
         {"party_type": "organization", "name": "St. James's Hospital"}, "n/a", "organisation"),
    case("conditional_required", "equipment", QUALIFIED, {"qualification_status": "qualified", "site": "GAL"},
         "fail", "all conditions hold"),
    case("conditional_required", "equipment", QUALIFIED,
         {"qualification_status": "pq_complete", "site": "GAL", "serial_number": "SN-1"}, "pass",
         "second listed value"),
    case("conditional_required", "equipment", QUALIFIED, {"qualification_status": "qualified", "site": "PEN"},
         "n/a", "one condition fails"),
    # gs1_check_digit
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": G}, "pass", "gtin14 leading zero"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "00000096385074"}, "pass", "gtin8 padded to 14"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "96385074"}, "pass", "gtin8"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "036000291452"}, "pass", "gtin12"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "9506000134352"}, "pass", "gtin13"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "09506000134353"}, "fail", "wrong check digit"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "00000096385075"}, "fail",
         "padded gtin8 wrong check digit"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "0950600013435"}, "fail",
         "gtin14 without its last digit"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {"gtin": "0950600013435A"}, "fail", "not digits"),
    case("gs1_check_digit", "product", PRODUCT_GTIN, {}, "n/a", "missing"),
    case("gs1_check_digit", "supplier", SUPPLIER_GLN, {"gln": "5412345000013"}, "pass", "gln"),
    case("gs1_check_digit", "supplier", SUPPLIER_GLN, {"gln": "5412345000014"}, "fail", "gln wrong check digit"),
    case("gs1_check_digit", "supplier", SUPPLIER_GLN, {"gln": G}, "fail", "gtin14 is not a gln"),
    case("gs1_check_digit", "supplier", SUPPLIER_GLN, {"gln": "541234500001"}, "fail", "gln too short"),
    # udi_di per issuing agency
    case("udi_di", "product", UDI_DI, {"udi_di": G, "issuing_agency": "GS1"}, "pass", "GS1 gtin"),
    case("udi_di", "product", UDI_DI, {"udi_di": "09506000134353", "issuing_agency": "GS1"}, "fail",
         "GS1 wrong check digit"),
    case("udi_di", "product", UDI_DI, {"udi_di": HIBCC_OK, "issuing_agency": "GS1"}, "fail", "GS1 given HIBCC"),
    case("udi_di", "product", UDI_DI, {"udi_di": HIBCC_OK, "issuing_agency": "HIBCC"}, "pass",
         "HIBCC correct check character"),
    case("udi_di", "product", UDI_DI, {"udi_di": HIBCC_BAD, "issuing_agency": "HIBCC"}, "fail",
         "HIBCC wrong check character"),
    case("udi_di", "product", UDI_DI, {"udi_di": G, "issuing_agency": "HIBCC"}, "fail", "HIBCC given gtin"),
    case("udi_di", "product", UDI_DI, {"udi_di": "=A9999XYZ100T0944", "issuing_agency": "ICCBBA"}, "pass",
         "ICCBBA ISBT 128"),
    case("udi_di", "product", UDI_DI, {"udi_di": "A9999XYZ100T0944", "issuing_agency": "ICCBBA"}, "fail",
         "ICCBBA without '='"),
    case("udi_di", "product", UDI_DI, {"udi_di": "=A9", "issuing_agency": "ICCBBA"}, "fail", "ICCBBA too short"),
    case("udi_di", "product", UDI_DI, {"udi_di": G, "issuing_agency": "ICCBBA"}, "fail", "ICCBBA given gtin"),
    case("udi_di", "product", UDI_DI, {"udi_di": G}, "pass", "no agency, gtin"),
    case("udi_di", "product", UDI_DI, {"udi_di": HIBCC_OK}, "pass", "no agency, HIBCC"),
    case("udi_di", "product", UDI_DI, {"udi_di": HIBCC_BAD}, "fail", "no agency, bad HIBCC"),
    case("udi_di", "product", UDI_DI, {"udi_di": "ABC-123"}, "fail", "no agency, no scheme"),
    case("udi_di", "product", UDI_DI, {"issuing_agency": "GS1"}, "n/a", "missing"),
    case("udi_di", "product", {"field": "udi_di"}, {"udi_di": HIBCC_OK, "issuing_agency": "GS1"}, "pass",
         "without agency_field any agency's form"),
    # basic_udi_di (GS1 GMN)
    case("basic_udi_di", "product", {"field": "basic_udi_di"}, {"basic_udi_di": GMN_OK}, "pass", "GS1 example"),
    case("basic_udi_di", "product", {"field": "basic_udi_di"}, {"basic_udi_di": GMN_OK[:-1] + "L"}, "fail",
         "second check character changed"),
    case("basic_udi_di", "product", {"field": "basic_udi_di"}, {"basic_udi_di": "2" + GMN_OK[1:]}, "fail",
         "company prefix changed"),
    case("basic_udi_di", "product", {"field": "basic_udi_di"}, {"basic_udi_di": GMN_OK.replace("Ad4X", "AD4X")},
         "fail", "model reference case changed"),
    case("basic_udi_di", "product", {"field": "basic_udi_di"}, {"basic_udi_di": "12345A2"}, "fail",
         "too short"),
    case("basic_udi_di", "product", {"field": "basic_udi_di"}, {}, "n/a", "missing"),
    # not_expired, relative to the context's today
    case("not_expired", "supplier", {"field": "certificate_expiry"}, {"certificate_expiry": YESTERDAY}, "fail",
         "yesterday"),
    case("not_expired", "supplier", {"field": "certificate_expiry"}, {"certificate_expiry": TODAY.isoformat()},
         "pass", "today"),
    case("not_expired", "supplier", {"field": "certificate_expiry"}, {"certificate_expiry": TOMORROW}, "pass",
         "tomorrow"),
    case("not_expired", "supplier", {"field": "certificate_expiry"}, {}, "n/a", "missing"),
    case("not_expired", "equipment", {"field": "calibration_due"}, {"calibration_due": "2025-06-15"}, "fail",
         "a year ago"),
]

FAILED_FIELD = {"date_order": "after"}  # the parameter naming the field a failure points at; "field" otherwise


@pytest.mark.parametrize("kind, domain, params, payload, expected", PURE_CASES)
def test_record_level_kind(governance, kind, domain, params, payload, expected) -> None:
    cls = CHECKS[kind]
    d = governance.domains[domain]
    # the table itself only holds configurations `mdm check` accepts
    assert not list(Draft202012Validator(cls.params_schema).iter_errors(params))
    assert cls.config_problems(params, d) == []
    assert not cls.needs_db

    failures = _check(governance, kind, domain, params).evaluate(dict(payload), CTX)

    assert _outcome(failures) == expected, failures
    if expected == "fail":
        name = params[FAILED_FIELD.get(kind, "field")]
        assert [(f.rule.id, f.field, f.message) for f in failures] == [("t", name, "m")]
        issue = failures[0].to_issue()
        assert (issue["rule"], issue["kind"], issue["severity"], issue["field"]) == ("t", kind, "error", name)
        if kind not in ("required", "conditional_required"):  # these report a missing value
            assert issue["value"] == payload[name]


def test_every_record_level_kind_has_a_table() -> None:
    tabled = {p.values[0] for p in PURE_CASES}
    pure = {k for k, cls in CHECKS.items() if not cls.needs_db}
    assert pure == {"required", "pattern", "code_list", "range", "length", "date_order", "conditional_required",
                    "gs1_check_digit", "udi_di", "basic_udi_di", "udi_pi", "not_expired"}
    assert tabled == pure - {"udi_pi"}  # udi_pi has its own table below


def test_range_max_today_defaults_to_the_real_today(governance) -> None:
    check = _check(governance, "range", "lot", {"field": "manufacture_date", "max": "today"})
    today = dt.date.today()
    ctx = Context(system="mes", site="GAL")
    assert check.evaluate({"manufacture_date": today.isoformat()}, ctx) == []
    assert _outcome(check.evaluate({"manufacture_date": (today + dt.timedelta(days=1)).isoformat()}, ctx)) == "fail"


# -- udi_pi ---------------------------------------------------------------------------------------

UDI_PI = {"field": "udi_pi", "gtin": "gtin", "lot": "lot_number", "expiry": "expiry_date",
          "production": "manufacture_date"}
LOT = {"gtin": G, "lot_number": "A123B", "manufacture_date": "2025-01-31", "expiry_date": "2027-01-31"}
GS = gs1.GS
PARSED_PART = {"gtin": "gtin", "lot_number": "lot", "expiry_date": "expiry_date", "manufacture_date": "production_date"}


def pi(name: str, udi: str, expected: str, bad_fields: tuple[str, ...] = (), record: dict | None = None,
       params: dict | None = None):
    payload = {**(LOT if record is None else record), "udi_pi": udi}
    return pytest.param(params or UDI_PI, payload, expected, bad_fields, id=name)


UDI_PI_CASES = [
    pi("bracketed, agrees", f"(01){G}(11)250131(17)270131(10)A123B", "pass"),
    pi("bracketed, other AI order", f"(10)A123B(17)270131(01){G}", "pass"),
    pi("bracketed, with serial", f"(01){G}(17)270131(10)A123B(21)SN0001", "pass"),
    pi("raw, fixed-length fields need no GS", f"01{G}112501311727013110A123B", "pass"),
    pi("GS separated, lot in the middle", f"01{G}10A123B{GS}17270131", "pass"),
    pi("GS separated, symbology id and FNC1 first", f"]d2{GS}01{G}10A123B{GS}17270131{GS}21SN1", "pass"),
    pi("scanner CR/LF around it", f"01{G}10A123B\r\n", "pass"),
    pi("gtin disagrees", f"(01){G_OTHER}(17)270131(10)A123B", "fail", ("gtin",)),
    pi("lot disagrees", f"(01){G}(17)270131(10)A123C", "fail", ("lot_number",)),
    pi("lot disagrees in case", f"(01){G}(17)270131(10)a123b", "fail", ("lot_number",)),
    pi("expiry disagrees", f"(01){G}(17)270130(10)A123B", "fail", ("expiry_date",)),
    pi("production disagrees", f"(01){G}(11)250130(10)A123B", "fail", ("manufacture_date",)),
    pi("GS separated, expiry disagrees", f"01{G}10A123B{GS}17270228", "fail", ("expiry_date",)),
    pi("gtin, lot and expiry disagree", f"(01){G_OTHER}(17)280131(10)Z9", "fail",
       ("gtin", "lot_number", "expiry_date")),
    pi("DD=00 in February of a leap year", f"(01){G}(17)240200(10)A123B", "pass",
       record={**LOT, "manufacture_date": "2023-02-28", "expiry_date": "2024-02-29"}),
    pi("DD=00 is not the 28th in a leap year", f"(01){G}(17)240200(10)A123B", "fail", ("expiry_date",),
       record={**LOT, "manufacture_date": "2023-02-28", "expiry_date": "2024-02-28"}),
    pi("DD=00 in February of a common year", f"(01){G}(17)250200(10)A123B", "pass",
       record={**LOT, "manufacture_date": "2023-02-28", "expiry_date": "2025-02-28"}),
    pi("century from the context's today", f"(01){G}(17)760101(10)A123B", "pass",
       record={**LOT, "expiry_date": "2076-01-01"}),
    pi("lot without expiry", f"(01){G}(10)A123B", "pass",
       record={k: v for k, v in LOT.items() if k != "expiry_date"}),
    pi("UDI without expiry, record with one", f"(01){G}(10)A123B", "pass"),
    pi("UDI with expiry, record without", f"(01){G}(17)270131(10)A123B", "pass",
       record={k: v for k, v in LOT.items() if k != "expiry_date"}),
    pi("only the fields named in params are compared", f"(01){G_OTHER}(17)200101(10)OTHER", "pass",
       params={"field": "udi_pi"}),
    pi("only the lot compared", f"(01){G_OTHER}(17)200101(10)OTHER", "fail", ("lot_number",),
       params={"field": "udi_pi", "lot": "lot_number"}),
    pi("unparsable: bad GTIN check digit", "(01)09506000134353(10)A123B", "fail", ("udi_pi",)),
    pi("unparsable: unknown AI", f"(01){G}(99)X", "fail", ("udi_pi",)),
    pi("unparsable: invalid date", f"(01){G}(17)271332", "fail", ("udi_pi",)),
    pi("unparsable: repeated AI", "(10)A123B(10)A123B", "fail", ("udi_pi",)),
    pi("unparsable: lot too long", f"(10){'A' * 21}", "fail", ("udi_pi",)),
    pi("unparsable: not an element string", "A123B", "fail", ("udi_pi",)),
    pi("unparsable: blank", "   ", "fail", ("udi_pi",)),
    pi("unparsable: fixed field too short", f"01{G[:-1]}", "fail", ("udi_pi",)),
    pytest.param(UDI_PI, dict(LOT), "n/a", (), id="no udi_pi"),
]


@pytest.mark.parametrize("params, payload, expected, bad_fields", UDI_PI_CASES)
def test_udi_pi(governance, params, payload, expected, bad_fields) -> None:
    assert CHECKS["udi_pi"].config_problems(params, governance.domains["lot"]) == []
    failures = _check(governance, "udi_pi", "lot", params).evaluate(dict(payload), CTX)

    assert _outcome(failures) == expected, failures
    assert tuple(f.field for f in failures or ()) == bad_fields
    for f in failures or ():
        assert f.rule.id == "t" and f.value == payload[f.field]
        if f.field == "udi_pi":  # the parser's own message, naming the AI and the fault
            with pytest.raises(gs1.GS1ParseError) as parse:
                gs1.parse_element_string(payload["udi_pi"], today=TODAY)
            assert f.message == f"udi_pi: {parse.value}"
        else:  # the rule's message, then what the UDI says against what the record says
            said = gs1.parse_element_string(payload["udi_pi"], today=TODAY)[PARSED_PART[f.field]]
            assert f.message.startswith("m: the UDI says ")
            assert said in f.message and f"the record's {f.field} is {payload[f.field]}" in f.message


def test_udi_pi_failure_names_the_disagreeing_part(governance) -> None:
    check = _check(governance, "udi_pi", "lot", UDI_PI)
    failures = check.evaluate({**LOT, "udi_pi": f"(01){G}(17)270130(10)A123B"}, CTX)
    assert [f.to_issue() for f in failures] == [{
        "rule": "t", "kind": "udi_pi", "severity": "error", "field": "expiry_date", "value": "2027-01-31",
        "message": "m: the UDI says expiry date 2027-01-30, the record's expiry_date is 2027-01-31"}]


# -- 2. rule configuration, validated by load_governance ---------------------------------------------


def _rule(rule_id: str, kind: str, params: dict | None = None, **extra) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule_id, "kind": kind, "severity": "error", "message": "m"}
    if params is not None:
        out["params"] = params
    return {**out, **extra}


def _re_error(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    raise AssertionError(f"{pattern!r} compiles")


BAD_REGEX = r"^(\d{5}$"

BAD_RULES = [
    pytest.param("product", _rule("t.kind", "no_such_kind", {"field": "gtin"}), ".kind",
                 "unknown rule kind 'no_such_kind'; known kinds: " + ", ".join(sorted(CHECKS)), id="unknown kind"),
    pytest.param("product", _rule("t.field", "required", {"field": "colour"}), ".params.field",
                 "'colour' is not a field of product", id="field not in domain"),
    pytest.param("lot", _rule("t.before", "date_order", {"before": "made_on", "after": "expiry_date"}),
                 ".params.before", "'made_on' is not a field of lot", id="date_order field not in domain"),
    pytest.param("product", _rule("t.when", "conditional_required",
                                  {"field": "sterilization_method", "when": {"sterile_before_use": [True]}}),
                 ".params.when.sterile_before_use", "'sterile_before_use' is not a field of product",
                 id="condition field not in domain"),
    pytest.param("lot", _rule("t.udi", "udi_pi", {"field": "udi_pi", "expiry": "use_by"}), ".params.expiry",
                 "'use_by' is not a field of lot", id="optional field param not in domain"),
    pytest.param("lot", _rule("t.ref", "reference", {"field": "product_id", "domain": "product",
                                                     "resolve": {"gtin": "ean"}}),
                 ".params.resolve.gtin", "'ean' is not a field of lot", id="resolve field not in domain"),
    pytest.param("product", _rule("t.regex", "pattern", {"field": "gmdn_code", "pattern": BAD_REGEX}),
                 ".params.pattern", "not a valid regular expression: " + _re_error(BAD_REGEX), id="malformed regex"),
    pytest.param("product", _rule("t.noparam", "pattern", {"field": "gmdn_code"}), ".params",
                 "'pattern' is a required property", id="missing required param"),
    pytest.param("lot", _rule("t.noafter", "date_order", {"before": "manufacture_date"}), ".params",
                 "'after' is a required property", id="date_order missing after"),
    pytest.param("product", _rule("t.noparams", "required"), ".params", "'field' is a required property",
                 id="no params at all"),
    pytest.param("product", _rule("t.extra", "required", {"field": "gtin", "colour": "red"}), ".params",
                 "Additional properties are not allowed ('colour' was unexpected)", id="param the kind does not take"),
    pytest.param("product", _rule("t.key", "gs1_check_digit", {"field": "gtin", "key": "ean"}), ".params.key",
                 "'ean' is not one of ['gtin', 'gln']", id="param of the wrong value"),
    pytest.param("product", _rule("t.scope", "required", {"field": "gtin"}, scope={"systems": ["oracle-ebs"]}),
                 ".scope.systems", "unknown system 'oracle-ebs'", id="unknown scope system"),
    pytest.param("lot", _rule("t.site", "required", {"field": "gtin"}, scope={"sites": ["XYZ"]}),
                 ".scope.sites", "unknown site 'XYZ'", id="unknown scope site"),
    pytest.param("product", _rule("product.udi_di.agency", "udi_di", {"field": "udi_di"}),
                 ".id", "rule id 'product.udi_di.agency' is used twice", id="duplicate rule id"),
    pytest.param("product", _rule("t.unique", "unique", {"field": "brand_name"}), ".params.field",
                 "unique applies to identifier fields; 'brand_name' is not one", id="unique on a plain field"),
    pytest.param("lot", _rule("t.unique", "unique", {"field": "gtin"}), ".params.field",
                 "unique applies to identifier fields; 'gtin' is not one", id="unique on a checked non-identifier"),
]


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    src = default_content_dir()
    for part in ("dictionary", "rules", "lineage"):
        shutil.copytree(src / part, tmp_path / part)
    return tmp_path


def _append_rules(root: Path, domain: str, rules: list[dict[str, Any]]) -> int:
    """Append `rules` to rules/<domain>.yaml; the index of the first one."""
    p = root / "rules" / f"{domain}.yaml"
    data = yaml.safe_load(p.read_text("utf-8"))
    quality = data.setdefault("quality", [])
    first = len(quality)
    quality.extend(rules)
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return first


def _load_problems(root: Path) -> tuple[str, list[tuple[str, str, str]]]:
    with pytest.raises(GovernanceError) as info:
        load_governance(root)
    return info.value.report(), info.value.problems


def test_the_shipped_rules_load_and_compile(governance) -> None:
    for domain, rules in governance.rules.items():
        configured = [q for q in rules.raw.get("quality") or [] if q.get("enabled", True)]
        assert [c.rule.id for c in rules.checks] == [q["id"] for q in configured], domain
        assert all(type(c) is CHECKS[c.rule.kind] for c in rules.checks)


@pytest.mark.parametrize("domain, rule, where, message", BAD_RULES)
def test_a_bad_rule_is_reported_with_file_path_and_message(content, domain, rule, where, message) -> None:
    i = _append_rules(content, domain, [rule])
    report, problems = _load_problems(content)
    line = f"rules/{domain}.yaml: $.quality[{i}]{where}: {message}"
    assert report.splitlines() == [line]
    assert problems == [(f"rules/{domain}.yaml", f"$.quality[{i}]{where}", message)]


def test_every_bad_rule_is_reported_at_once(content) -> None:
    expected = []
    for domain in ("product", "lot"):
        cases = [p.values for p in BAD_RULES if p.values[0] == domain]
        first = _append_rules(content, domain, [rule for _, rule, _, _ in cases])
        expected += [f"rules/{domain}.yaml: $.quality[{first + n}]{where}: {message}"
                     for n, (_, _, where, message) in enumerate(cases)]
    # and a rule broken twice over reports both faults
    i = _append_rules(content, "equipment", [_rule("t.twice", "pattern", {"field": "colour", "pattern": "(["},
                                                   scope={"systems": ["nosuch"]})])
    expected += [f"rules/equipment.yaml: $.quality[{i}].params.field: 'colour' is not a field of equipment",
                 f"rules/equipment.yaml: $.quality[{i}].params.pattern: not a valid regular expression: "
                 + _re_error("(["),
                 f"rules/equipment.yaml: $.quality[{i}].scope.systems: unknown system 'nosuch'"]

    report, _ = _load_problems(content)
    assert sorted(report.splitlines()) == sorted(expected)
    assert len(expected) == len(BAD_RULES) + 3


def test_a_disabled_rule_is_validated_but_not_compiled(content) -> None:
    _append_rules(content, "product", [_rule("t.off", "required", {"field": "brand_name"}, enabled=False)])
    gov = load_governance(content)
    assert "t.off" not in {c.rule.id for c in gov.rules["product"].checks}
    _append_rules(content, "product", [_rule("t.off2", "required", {"field": "colour"}, enabled=False)])
    report, _ = _load_problems(content)
    assert "'colour' is not a field of product" in report


@pytest.mark.parametrize("param, value", [("status_field", "approval_state"), ("expiry_field", "cert_expiry")])
def test_reference_state_fields_must_be_fields_of_the_referenced_domain(content, param, value) -> None:
    params = {"field": "manufacturer_id", "domain": "supplier", "status_field": "approval_status",
              "bad_status": ["disqualified"], "expiry_field": "certificate_expiry", param: value}
    i = _append_rules(content, "product", [{**_rule("t.state", "reference_state", params), "severity": "warning"}])
    _, problems = _load_problems(content)
    assert [(f, p) for f, p, _ in problems] == [("rules/product.yaml", f"$.quality[{i}].params.{param}")]
    assert f"{value!r}" in problems[0][2] and "supplier" in problems[0][2]


def test_a_code_list_rule_needs_codes_to_compare_with(content) -> None:
    # brand_name has no code list in the dictionary: without `codes` every brand name would fail
    i = _append_rules(content, "product", [_rule("t.codes", "code_list", {"field": "brand_name"})])
    report, problems = _load_problems(content)
    assert len(problems) == 1, report
    assert problems[0][0] == "rules/product.yaml" and problems[0][1].startswith(f"$.quality[{i}].params")
    assert "brand_name" in problems[0][2]


# -- 3. the kinds that read the hub, through the API ----------------------------------------------------

G1 = gtin("0401234512345")
G2 = gtin("0401234512346")
G_NONE = gtin("0401234599999")
BAD_G1 = G1[:-1] + str((int(G1[-1]) + 1) % 10)


def plm_part(pn: str, g: str, **extra) -> dict:
    return {"PartNumber": pn, "Revision": "B", "Name": "Coronary stent system 3.0 x 18 mm", "GTIN": g,
            "BrandName": "Arteria", "ModelNumber": "AR-3018", "RegulatoryClass": "Class III",
            "SterileFlag": "Y", "SterilizeBeforeUse": "N", "ShelfLifeMonths": "24", **extra}


def mes_lot(batch: str, lot_no: str, g: str, mfg: str = "2024-01-10", exp: str = "2026-01-10", **extra) -> dict:
    return {"batchId": batch, "lotNo": lot_no, "gtin": g, "siteCode": "GAL", "mfgDate": mfg, "expDate": exp,
            "goodQty": 100, "batchStatus": "REL", **extra}


def sap_lot(key: str, charg: str, g: str, hsdat: str = "20240110", vfdat: str = "20260110") -> dict:
    return {"CHARG_ID": key, "CHARG": charg, "EAN11": g.lstrip("0"), "WERKS": "1000", "HSDAT": hsdat,
            "VFDAT": vfdat, "CLABS": "1200.000", "MEINS": "ST", "ZUSTD": ""}


def _rules_of(reasons: list[dict]) -> set[str]:
    return {r["rule"] for r in reasons if r["severity"] == "error"}


def _product_ids(client, products: list[dict]) -> dict[str, str]:
    """Post PLM parts; their golden ids by GTIN."""
    if not products:
        return {}
    body = post(client, "plm", "product", products)
    assert set(results(body)) == {"created"}, body
    return {p["GTIN"]: r["golden_id"] for p, r in zip(products, body["results"])}


DB_CASES = [
    pytest.param([], "mes", [mes_lot("B-1", "24A001", G1)], ["quarantined"], [{"lot.product.exists"}],
                 id="gtin of no product"),
    pytest.param([plm_part("PN-1", G1)], "mes", [mes_lot("B-1", "24A001", G1)], ["created"], [set()],
                 id="product resolved from the gtin"),
    pytest.param([plm_part("PN-1", G1)], "mes", [mes_lot("B-1", "24A001", G1, mfg="2026-01-10", exp="2024-01-10")],
                 ["quarantined"], [{"lot.expiry_after_manufacture"}], id="expiry before manufacture"),
    pytest.param([plm_part("PN-1", G1)], "mes", [mes_lot("B-1", "24A001", G1, mfg="2024-01-10", exp="2024-01-10")],
                 ["quarantined"], [{"lot.expiry_after_manufacture"}], id="expiry on the manufacture date"),
    pytest.param([plm_part("PN-1", G1)], "sap-erp", [sap_lot("M-1/1000/24A001", "24A001", G1, vfdat="20231231")],
                 ["quarantined"], [{"lot.expiry_after_manufacture"}], id="sap batch expiring before manufacture"),
    pytest.param([plm_part("PN-1", G1)], "sap-erp", [sap_lot("M-1/1000/24A001", "24A001", G1)], ["created"],
                 [set()], id="sap batch resolved"),
    pytest.param([plm_part("PN-1", G1)], "mes",
                 [mes_lot("B-1", "24A001", G1), mes_lot("B-2", "24A002", G2), mes_lot("B-3", "24A003", G1)],
                 ["created", "quarantined", "created"], [set(), {"lot.product.exists"}, set()],
                 id="one lot of an unknown product among good ones"),
    pytest.param([plm_part("PN-1", G1), plm_part("PN-2", G2)], "mes",
                 [mes_lot("B-1", "24A001", G1), mes_lot("B-2", "24A002", G2)], ["created", "created"],
                 [set(), set()], id="two lots of two products"),
]


@pytest.mark.parametrize("products, system, lots, expected, errors", DB_CASES)
def test_lot_product_reference(client, products, system, lots, expected, errors) -> None:
    product_ids = _product_ids(client, products)
    body = post(client, system, "lot", lots)
    assert results(body) == expected, body
    assert [_rules_of(r.get("reasons", [])) for r in body["results"]] == errors
    for raw, res in zip(lots, body["results"]):
        g = (raw.get("gtin") or raw.get("EAN11")).zfill(14)
        if res["result"] == "created":
            lot = client.get(f"/api/v1/golden/lot/{res['golden_id']}").get_json()
            assert lot["data"]["product_id"] == product_ids[g]
            assert lot["data"]["gtin"] == g
        elif "lot.product.exists" in _rules_of(res["reasons"]):
            reason = next(r for r in res["reasons"] if r["rule"] == "lot.product.exists")
            assert reason == {"rule": "lot.product.exists", "kind": "reference", "severity": "error", "field": "product_id",
                              "message": f"The lot must belong to an active product: no product has gtin {g}"}
    quarantined = [raw.get("batchId") or raw.get("CHARG_ID") for raw, r in zip(lots, body["results"])
                   if r["result"] == "quarantined"]
    q = client.get("/api/v1/quarantine", query_string={"domain": "lot"}).get_json()["items"]
    assert [i["source_key"] for i in q] == quarantined


def _retired_product(client) -> str:
    """A product whose only source deleted it: its golden record is retired."""
    golden_id = _product_ids(client, [plm_part("PN-2", G2)])[G2]
    assert client.delete("/api/v1/sources/plm/product/records/PN-2").status_code == 200
    return golden_id


@pytest.mark.parametrize("product_id, problem", [
    (lambda client: "PRD-99999999", "{} does not exist"),
    (_retired_product, "{} is retired"),
], ids=["no such product", "retired product"])
def test_an_explicit_product_id_must_be_an_active_product(client, product_id, problem) -> None:
    _product_ids(client, [plm_part("PN-1", G1)])
    ref = product_id(client)
    row = {"source_key": "C-1", "lot_number": "24A001", "gtin": G1, "site": "GAL", "product_id": ref,
           "manufacture_date": "2024-01-10", "expiry_date": "2026-01-10"}
    body = post(client, "csv-import", "lot", [row])
    assert results(body) == ["quarantined"]
    assert [r for r in body["results"][0]["reasons"] if r["severity"] == "error"] == [
        {"rule": "lot.product.exists", "kind": "reference", "severity": "error", "field": "product_id", "value": ref,
         "message": "The lot must belong to an active product: " + problem.format(ref)}]


def test_a_product_id_that_fails_its_pattern_is_not_also_looked_up(client) -> None:
    row = {"source_key": "C-1", "lot_number": "24A001", "gtin": G1, "site": "GAL", "product_id": "LOT-00000001"}
    body = post(client, "csv-import", "lot", [row])
    assert results(body) == ["quarantined"]
    assert _rules_of(body["results"][0]["reasons"]) == {"lot.product_id.pattern"}


def test_a_retried_lot_resolves_its_product_once_it_exists(client) -> None:
    lot = mes_lot("B-1", "24A001", G1)
    assert results(post(client, "mes", "lot", [lot])) == ["quarantined"]
    assert results(post(client, "mes", "lot", [lot])) == ["unchanged"]  # same content, still quarantined
    product_id = _product_ids(client, [plm_part("PN-1", G1)])[G1]

    retried = client.post("/api/v1/quarantine/retry", json={"domain": "lot", "rule": "lot.product", "reason": "r"})
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["counts"]["created"] == 1
    assert client.get("/api/v1/quarantine").get_json()["items"] == []
    golden_id = client.get("/api/v1/xref/mes/lot/B-1").get_json()["golden_id"]
    lot_record = client.get(f"/api/v1/golden/lot/{golden_id}").get_json()
    assert lot_record["data"]["product_id"] == product_id


# A lot that breaks several rules at once, sent among good ones: every reason is kept.
BAD_LOTS = [
    pytest.param(mes_lot("B-BAD", "24A009", G1, mfg="2026-01-10", exp="2024-01-10",
                         udiHri=f"(01){G1}(11)240110(17)260110(10)24A009"),
                 {("lot.expiry_after_manufacture", "expiry_date"), ("lot.udi_pi.consistent", "expiry_date"),
                  ("lot.udi_pi.consistent", "manufacture_date")},
                 id="dates swapped against the UDI"),
    pytest.param(mes_lot("B-BAD", "24A009", G1, udiHri=f"(01){G2}(17)270110(10)24A008"),
                 {("lot.udi_pi.consistent", "gtin"), ("lot.udi_pi.consistent", "lot_number"),
                  ("lot.udi_pi.consistent", "expiry_date")},
                 id="UDI of another lot"),
    pytest.param(mes_lot("B-BAD", "24A009", G1, exp="2024-01-10", udiHri=f"(01){BAD_G1}(10)24A009"),
                 {("lot.expiry_after_manufacture", "expiry_date"), ("lot.udi_pi.consistent", "udi_pi")},
                 id="expiry before manufacture and an unreadable UDI"),
    pytest.param(mes_lot("B-BAD", "24A009", G_NONE, exp="2024-01-10"),
                 {("lot.expiry_after_manufacture", "expiry_date"), ("lot.product.exists", "product_id")},
                 id="expiry before manufacture and no such product"),
]


@pytest.mark.parametrize("bad, reasons", BAD_LOTS)
def test_a_bad_lot_among_good_ones_is_quarantined_with_every_reason(client, bad, reasons) -> None:
    _product_ids(client, [plm_part("PN-1", G1), plm_part("PN-2", G2)])
    good = [mes_lot(f"B-{n}", f"24A00{n}", g, udiHri=f"(01){g}(11)240110(17)260110(10)24A00{n}")
            for n, g in ((1, G1), (2, G2), (3, G1))]
    body = post(client, "mes", "lot", [good[0], good[1], bad, good[2]])

    assert results(body) == ["created", "created", "quarantined", "created"]
    got = {(r["rule"], r.get("field")) for r in body["results"][2]["reasons"] if r["severity"] == "error"}
    assert got == reasons
    q = client.get("/api/v1/quarantine", query_string={"domain": "lot"}).get_json()["items"]
    assert [i["source_key"] for i in q] == ["B-BAD"]
    assert {(i["rule"], i.get("field")) for i in q[0]["issues"] if i["severity"] == "error"} == reasons
    assert q[0]["raw"] == bad
    for rule_id in {r for r, _ in reasons}:  # the quarantine is filtered by each of them
        hits = client.get("/api/v1/quarantine", query_string={"domain": "lot", "rule": rule_id}).get_json()["items"]
        assert [i["source_key"] for i in hits] == ["B-BAD"]
    for res in (body["results"][i] for i in (0, 1, 3)):
        lot = client.get(f"/api/v1/golden/lot/{res['golden_id']}").get_json()
        assert lot["data"]["product_id"].startswith("PRD-")


def test_reference_state_warns_about_a_disqualified_or_expired_manufacturer(client) -> None:
    suppliers = [
        {"vendorId": "V-1", "companyName": "Good Medical", "qualificationStatus": "APPROVED",
         "iso13485CertNo": "C-1", "iso13485Expiry": "2099-12-31"},
        {"vendorId": "V-2", "companyName": "Bad Medical", "qualificationStatus": "DISQUALIFIED",
         "iso13485CertNo": "C-2", "iso13485Expiry": "2099-12-31"},
        {"vendorId": "V-3", "companyName": "Lapsed Medical", "qualificationStatus": "APPROVED",
         "iso13485CertNo": "C-3", "iso13485Expiry": "2020-01-01"},
    ]
    body = post(client, "supplier-portal", "supplier", suppliers)
    sup = [r["golden_id"] for r in body["results"]]
    rows = [{"source_key": f"P-{n}", "gtin": gtin(f"04012345000{n:02d}"), "manufacturer_id": sid}
            for n, sid in enumerate([*sup, "SUP-99999999"])]
    body = post(client, "csv-import", "product", rows)
    assert results(body) == ["created", "created", "created", "quarantined"]
    flagged = [{(r["rule"], r["severity"]) for r in res["reasons"] if r["rule"].startswith("product.manufacturer")}
               for res in body["results"]]
    assert flagged == [set(), {("product.manufacturer.qualified", "warning")},
                       {("product.manufacturer.qualified", "warning")},
                       {("product.manufacturer.exists", "error")}]
    messages = [r["message"] for res in body["results"][1:3] for r in res["reasons"]
                if r["rule"] == "product.manufacturer.qualified"]
    assert messages == [f"The manufacturer is not qualified: {sup[1]} is disqualified",
                        f"The manufacturer is not qualified: the certificate of {sup[2]} expired on 2020-01-01"]


def test_unique_flags_a_gtin_now_held_by_another_golden_record(client) -> None:
    ids = _product_ids(client, [plm_part("PN-1", G1), plm_part("PN-2", G2)])
    body = post(client, "plm", "product", [plm_part("PN-1", G2)])  # PN-1 now carries PN-2's GTIN
    res = body["results"][0]
    assert (res["result"], res["golden_id"]) == ("review", ids[G1])
    assert [r for r in res["reasons"] if r["rule"] == "product.gtin.unique"] == [
        {"rule": "product.gtin.unique", "kind": "unique", "severity": "warning", "field": "gtin", "value": G2,
         "message": f"The GTIN is held by another golden record: {G2} belongs to {ids[G2]}"}]
    # a new version that keeps the record's own GTIN is not flagged
    again = post(client, "plm", "product", [plm_part("PN-2", G2, Revision="C")])["results"][0]
    assert again["result"] == "linked"
    assert not [r for r in again["reasons"] if r["rule"] == "product.gtin.unique"]


@pytest.fixture()
def site_unique_client(migrated, tmp_path):
    """The app on content with a `unique` rule on the lot number, an identifier unique within its site."""
    from conftest import _empty_tables

    from mdm import create_app

    root = tmp_path / "content"
    src = default_content_dir()
    for part in ("dictionary", "rules", "lineage"):
        shutil.copytree(src / part, root / part)
    _append_rules(root, "lot", [{"id": "lot.lot_number.unique", "kind": "unique", "severity": "warning",
                                 "message": "The lot number is held by another lot", "params": {"field": "lot_number"}}])
    application = create_app({"DATABASE_URL": migrated, "TESTING": True, "CONTENT_DIR": str(root)})
    application.instance_path = str(tmp_path / "instance")
    yield application.test_client()
    engine = application.extensions["mdm.engine"]
    _empty_tables(engine)
    engine.dispose()


@pytest.mark.parametrize("resend_site", ["GAL", "PEN"])
def test_unique_on_a_site_scoped_identifier_looks_within_the_site(site_unique_client, resend_site) -> None:
    client = site_unique_client
    _product_ids(client, [plm_part("PN-1", G1)])
    lots = {site: mes_lot(f"B-{site}", "24A001", G1, siteCode=site) for site in ("GAL", "PEN")}
    body = post(client, "mes", "lot", list(lots.values()))
    assert results(body) == ["created", "created"]  # same lot number, two sites: two lots
    # a new version of either lot keeps its own lot number: nothing to flag
    again = post(client, "mes", "lot", [{**lots[resend_site], "goodQty": 99}])["results"][0]
    assert again["result"] == "linked"
    assert [r for r in again["reasons"] if r["rule"] == "lot.lot_number.unique"] == []

