"""Tests of the deterministic demo-data generator (mdm.demo.generator).

The code lists below are copied from notes/canonical.md on purpose: the generator must honour the
contract, not whatever lists the hub happens to load.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from stdnum import ean, luhn

from mdm.demo.defects import IdAllocator
from mdm.demo.generator import DEFECTS, GeneratedRecord, _customer, generate, write_truth

ROOT = Path(__file__).resolve().parents[1]

SITES = {"GAL", "PEN", "MSP"}
UOM = {"EA", "BX", "CS", "PK", "SET", "KT"}
CODE_LISTS: dict[str, dict[str, set[str]]] = {
    "product": {
        "issuing_agency": {"GS1", "HIBCC", "ICCBBA"},
        "device_class": {"I", "IIa", "IIb", "III"},
        "sterilization_method": {
            "chlorine_dioxide", "dry_heat", "ethylene_oxide", "high_intensity_light", "high_level_disinfectant",
            "hydrogen_peroxide", "liquid_chemical", "microwave_radiation", "moist_heat_steam", "nitrogen_dioxide",
            "ozone", "peracetic_acid", "radiation", "sound_waves", "supercritical_co2", "ultraviolet_light"},
        "mri_safety": {"mr_safe", "mr_conditional", "mr_unsafe", "no_mri_information"},
        "unit_of_measure": UOM,
        "lifecycle_status": {"design", "active", "phase_out", "obsolete"},
    },
    "lot": {"site": SITES, "unit_of_measure": UOM, "status": {"quarantine", "released", "rejected", "recalled"}},
    "equipment": {
        "equipment_type": {"production", "inspection", "laboratory", "sterilizer", "packaging", "utility", "test"},
        "site": SITES,
        "qualification_status": {"planned", "iq_complete", "oq_complete", "pq_complete", "qualified",
                                 "requalification_due", "out_of_service", "retired"},
    },
    "supplier": {
        "approval_status": {"pending", "approved", "conditional", "disqualified"},
        "risk_class": {"low", "medium", "high"},
        # ISO 3166-1 alpha-2: the codes a medical-device supply chain plausibly uses (no "UK", no "EL")
        "country": {"IE", "GB", "US", "PR", "CA", "MX", "CR", "BR", "DE", "FR", "CH", "NL", "BE", "IT", "ES", "AT",
                    "DK", "SE", "FI", "NO", "PL", "CZ", "HU", "MY", "SG", "CN", "JP", "KR", "IN", "TW", "TH", "AU",
                    "NZ", "IL", "ZA"},
    },
    "customer": {
        "party_type": {"organization", "person"},
        "customer_type": {"hospital", "clinic", "distributor", "pharmacy", "laboratory", "group_purchasing",
                          "government"},
        "specialty": {"cardiology", "orthopedics", "general_surgery", "radiology", "anesthesiology", "neurology",
                      "oncology", "nursing", "general_practice", "other"},
    },
}
CODE_LISTS["customer"]["country"] = CODE_LISTS["supplier"]["country"]

# lineage/systems.yaml: the domains each system writes
SYSTEM_DOMAINS = {
    "sap-erp": {"product", "lot", "supplier", "customer"}, "mes": {"lot", "equipment"},
    "lims": {"lot", "equipment"}, "plm": {"product"}, "supplier-portal": {"supplier"}, "crm": {"customer"},
    "csv-import": {"product", "lot", "equipment", "supplier", "customer"},
}
KEY_FORMATS = {
    ("sap-erp", "product"): r"\d{18}", ("sap-erp", "supplier"): r"00003\d{5}", ("sap-erp", "customer"): r"00005\d{5}",
    ("sap-erp", "lot"): r"[123]000-\w+", ("mes", "lot"): r"LOT-(GAL|PEN|MSP)-\d{2}-\d{5}",
    ("mes", "equipment"): r"EQ-\d{5}", ("lims", "lot"): r"L\d{6,}", ("lims", "equipment"): r"INST-\d{5}",
    ("plm", "product"): r"PN-\d{5,}", ("supplier-portal", "supplier"): r"V-20\d{2}-\d{4,}",
    ("crm", "customer"): r"00[13]Ab[0-9A-Za-z]{13}", ("csv-import", None): r"CSV-(product|lot|equipment|supplier|customer)-\d+",
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_FIELDS = ("manufacture_date", "expiry_date", "last_calibrated", "calibration_due", "certificate_expiry",
               "date_of_birth")
PATTERNS = {"gtin": r"\d{14}", "gln": r"\d{13}", "duns": r"\d{9}", "gmdn_code": r"\d{5}",
            "fda_product_code": r"[A-Z]{3}", "national_id": r"\d{10}", "shelf_life_days": None}


@pytest.fixture(scope="module")
def records() -> list[GeneratedRecord]:
    return generate(seed=1, scale=1)


def _gs1_ok(value: str) -> bool:
    return value.isdigit() and ean.is_valid(value)


def _repaired(gtin: str) -> str:
    """The GTIN with its correct check digit (`bad_check_digit` only ever changes the last digit)."""
    return gtin[:-1] + ean.calc_check_digit(gtin[:-1])


def _digest(recs: list[GeneratedRecord]) -> str:
    rows = [[r.system, r.domain, r.source_key, r.entity, r.defect, r.data] for r in recs]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


# --- determinism and size ------------------------------------------------------------------------------


def test_same_seed_gives_identical_output(records: list[GeneratedRecord]) -> None:
    again = generate(seed=1, scale=1)
    assert again == records
    assert _digest(again) == _digest(records)


def test_different_seed_gives_different_output(records: list[GeneratedRecord]) -> None:
    assert _digest(generate(seed=2, scale=1)) != _digest(records)


def test_output_does_not_depend_on_hash_seed(records: list[GeneratedRecord]) -> None:
    code = ("import hashlib, json; from mdm.demo.generator import generate; "
            "rows = [[r.system, r.domain, r.source_key, r.entity, r.defect, r.data] for r in generate(1, 1)]; "
            "print(hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest())")
    digests = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                             check=True)
        digests.add(out.stdout.strip())
    assert digests == {_digest(records)}


@pytest.mark.parametrize("domain", ["supplier", "product", "lot", "equipment", "customer", None])
def test_counts_grow_linearly_with_scale(records: list[GeneratedRecord], domain: str | None) -> None:
    double = generate(seed=1, scale=2)
    n1 = sum(1 for r in records if domain in (None, r.domain))
    n2 = sum(1 for r in double if domain in (None, r.domain))
    assert 1.8 <= n2 / n1 <= 2.2


def test_scale_one_sizes(records: list[GeneratedRecord]) -> None:
    entities = {d: len({r.entity for r in records if r.domain == d}) for d in CODE_LISTS}
    assert entities == {"product": 60, "lot": 150, "equipment": 40, "supplier": 40, "customer": 80}
    assert 600 <= len(records) <= 900


def test_scale_below_one_is_rejected() -> None:
    with pytest.raises(ValueError):
        generate(scale=0)


# --- keys and systems --------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1, 3])
def test_source_keys_unique_per_system_and_domain(scale: int) -> None:
    keys = Counter((r.system, r.domain, r.source_key) for r in generate(seed=7, scale=scale))
    assert [k for k, n in keys.items() if n > 1] == []


def test_source_keys_follow_each_systems_style(records: list[GeneratedRecord]) -> None:
    for r in records:
        pattern = KEY_FORMATS.get((r.system, r.domain)) or KEY_FORMATS[(r.system, None)]
        assert re.fullmatch(pattern, r.source_key), (r.system, r.domain, r.source_key)


def test_systems_write_only_their_domains(records: list[GeneratedRecord]) -> None:
    for r in records:
        assert r.domain in SYSTEM_DOMAINS[r.system], (r.system, r.domain)


@pytest.mark.parametrize("system, domain, low, high", [
    ("plm", "product", 1.0, 1.0), ("sap-erp", "product", 0.65, 0.9), ("sap-erp", "supplier", 1.0, 1.0),
    ("supplier-portal", "supplier", 0.55, 0.85), ("mes", "lot", 1.0, 1.0), ("lims", "lot", 0.6, 0.85),
    ("sap-erp", "lot", 0.45, 0.75), ("mes", "equipment", 1.0, 1.0), ("lims", "equipment", 0.3, 0.7),
    ("crm", "customer", 1.0, 1.0),
])
def test_system_coverage(system: str, domain: str, low: float, high: float) -> None:
    recs = generate(seed=3, scale=2)
    entities = {r.entity for r in recs if r.domain == domain}
    covered = {r.entity for r in recs if r.domain == domain and r.system == system}
    assert low <= len(covered) / len(entities) <= high


def test_lims_holds_laboratory_instruments_only(records: list[GeneratedRecord]) -> None:
    lims = [r for r in records if r.system == "lims" and r.domain == "equipment"]
    assert lims and {r.data["equipment_type"] for r in lims if r.defect != "bad_code"} == {"laboratory"}


def test_sap_customers_are_organisations(records: list[GeneratedRecord]) -> None:
    people = {r.entity for r in records if r.domain == "customer" and r.data.get("party_type") == "person"}
    assert people
    assert not people & {r.entity for r in records if r.system == "sap-erp" and r.domain == "customer"}


def test_an_email_address_belongs_to_one_customer() -> None:
    # scale 10: enough healthcare professionals for namesakes in one city
    owners: dict[str, set[str]] = defaultdict(set)
    for r in generate(seed=1, scale=10):
        if r.domain == "customer" and r.data.get("email") and r.defect is None:
            owners[r.data["email"].lower()].add(r.entity)
    assert len(owners) > 500
    assert {e: o for e, o in owners.items() if len(o) > 1} == {}


def test_no_two_of_thirty_thousand_customers_share_an_email_address() -> None:
    # at this size organisations whose names differ only in punctuation, or beyond the 40
    # characters of an address, appear, and namesakes in one city are common
    rng = random.Random(1)
    ids = IdAllocator(rng)
    emails = Counter(_customer(rng, ids, i)["email"] for i in range(30_000))
    assert {e: n for e, n in emails.items() if n > 1} == {}
    assert sum(e.startswith("purchasing@") for e in emails) > 10_000


def test_system_specific_product_fields(records: list[GeneratedRecord]) -> None:
    for r in (r for r in records if r.domain == "product"):
        assert ("erp_material_number" in r.data) == (r.system == "sap-erp")
        assert ("plm_revision" in r.data) == (r.system == "plm")


def test_csv_import_duplicates_existing_entities(records: list[GeneratedRecord]) -> None:
    csv_recs = [r for r in records if r.system == "csv-import"]
    assert 0.03 <= len(csv_recs) / len(records) <= 0.07
    assert {r.domain for r in csv_recs} == set(CODE_LISTS)
    others = {r.entity for r in records if r.system != "csv-import"}
    assert all(r.entity in others for r in csv_recs)


# --- identifiers ---------------------------------------------------------------------------------------


def test_gs1_check_digits(records: list[GeneratedRecord]) -> None:
    checked = 0
    for r in records:
        keys = [r.data[f] for f in ("gtin", "gln") if r.data.get(f)]
        if r.defect == "bad_check_digit":
            assert keys and not all(_gs1_ok(k) for k in keys), r
        else:
            for k in keys:
                assert _gs1_ok(k), r
                checked += 1
    assert checked > 300


def test_gs1_udi_di_is_the_gtin(records: list[GeneratedRecord]) -> None:
    for r in records:
        if r.domain == "product" and r.data.get("issuing_agency") == "GS1" and "udi_di" in r.data:
            assert r.data["udi_di"] == r.data["gtin"]


def test_hibcc_products_carry_valid_udi_di(records: list[GeneratedRecord]) -> None:
    charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
    hibcc = [r for r in records if r.data.get("issuing_agency") == "HIBCC"]
    assert hibcc
    for r in hibcc:
        udi = r.data["udi_di"]
        assert "gtin" not in r.data
        assert re.fullmatch(r"\+[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9][A-Z0-9]", udi), udi
        assert charset[sum(charset.index(ch) for ch in udi[:-1]) % 43] == udi[-1]


def test_some_gtins_are_padded_gtin13s_and_some_true_gtin14s(records: list[GeneratedRecord]) -> None:
    gtins = {r.data["gtin"] for r in records if r.domain == "product" and "gtin" in r.data}
    assert any(g[0] == "0" for g in gtins) and any(g[0] != "0" for g in gtins)


def test_npi_luhn(records: list[GeneratedRecord]) -> None:
    npis = [r.data["national_id"] for r in records if "national_id" in r.data]
    assert npis and all(luhn.is_valid("80840" + n) for n in npis)


def test_identifiers_agree_within_an_entity(records: list[GeneratedRecord]) -> None:
    seen: dict[tuple[str, str], dict[str, object]] = defaultdict(dict)
    for r in records:
        if r.defect in ("bad_check_digit", "unknown_product"):
            continue
        for f in ("gtin", "udi_di", "gln", "duns", "national_id", "lot_number", "asset_id", "site"):
            if f in r.data:
                assert seen[(r.domain, r.entity)].setdefault(f, r.data[f]) == r.data[f], (r, f)


@pytest.mark.parametrize("field, domains", [
    ("gtin", {"product"}), ("udi_di", {"product"}), ("gln", {"supplier", "customer"}), ("duns", {"supplier"}),
    ("national_id", {"customer"}),
])
def test_global_identifiers_belong_to_one_entity(records: list[GeneratedRecord], field: str,
                                                 domains: set[str]) -> None:
    owners = defaultdict(set)
    for r in records:
        if r.domain in domains and field in r.data:
            owners[r.data[field]].add(r.entity)
    assert owners and all(len(e) == 1 for e in owners.values())


def test_same_lot_number_at_two_sites_is_two_entities(records: list[GeneratedRecord]) -> None:
    by_number: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in records:
        if r.domain == "lot" and "lot_number" in r.data:
            by_number[r.data["lot_number"]][r.data["site"]].add(r.entity)
    for sites in by_number.values():
        assert all(len(entities) == 1 for entities in sites.values())  # site-scoped: one lot per site
    reused = [sites for sites in by_number.values() if len(sites) > 1]
    assert reused
    for sites in reused:
        entities = [next(iter(e)) for e in sites.values()]
        assert len(set(entities)) == len(entities)


def test_reused_lot_numbers_are_for_different_products(records: list[GeneratedRecord]) -> None:
    gtins: dict[str, set[str]] = defaultdict(set)
    sites: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r.system == "mes" and r.domain == "lot" and r.defect is None:
            gtins[r.data["lot_number"]].add(r.data["gtin"])
            sites[r.data["lot_number"]].add(r.data["site"])
    assert all(len(gtins[n]) == len(s) for n, s in sites.items() if len(s) > 1)


# --- defects ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DEFECTS)
def test_each_defect_occurs_at_about_two_to_three_percent(records: list[GeneratedRecord], kind: str) -> None:
    share = sum(r.defect == kind for r in records) / len(records)
    assert 0.015 <= share <= 0.035


def test_defect_values_are_known(records: list[GeneratedRecord]) -> None:
    assert {r.defect for r in records} <= {None, *DEFECTS}


def test_code_values_are_canonical_except_bad_code(records: list[GeneratedRecord]) -> None:
    for r in records:
        out_of_list = [f for f, codes in CODE_LISTS[r.domain].items() if f in r.data and r.data[f] not in codes]
        if r.defect == "bad_code":
            assert out_of_list, r
        else:
            assert out_of_list == [], r


def test_field_formats(records: list[GeneratedRecord]) -> None:
    for r in records:
        for f in DATE_FIELDS:
            if f in r.data:
                assert ISO_DATE.match(r.data[f]) and date.fromisoformat(r.data[f]), (r, f)
        for f, pattern in PATTERNS.items():
            if pattern and f in r.data:
                assert re.fullmatch(pattern, r.data[f]), (r, f)


def test_lot_expiry_after_manufacture_except_defect(records: list[GeneratedRecord]) -> None:
    lots = [r for r in records if r.domain == "lot" and "expiry_date" in r.data]
    for r in lots:
        after = r.data["expiry_date"] > r.data["manufacture_date"]
        assert after == (r.defect != "expiry_before_manufacture"), r


def test_lot_expiry_is_manufacture_plus_shelf_life(records: list[GeneratedRecord]) -> None:
    shelf = {_repaired(r.data["gtin"]): r.data["shelf_life_days"] for r in records
             if r.system == "plm" and "gtin" in r.data}
    for r in records:
        if r.system == "mes" and r.domain == "lot" and r.defect is None:
            made, expiry = (date.fromisoformat(r.data[f]) for f in ("manufacture_date", "expiry_date"))
            assert (expiry - made).days == shelf[r.data["gtin"]]


def test_udi_pi_is_the_gs1_element_string_of_the_record(records: list[GeneratedRecord]) -> None:
    with_pi = [r for r in records if "udi_pi" in r.data]
    assert with_pi
    for r in with_pi:
        d = r.data
        expiry = d["expiry_date"].replace("-", "")[2:]
        assert d["udi_pi"] == f"(01){d['gtin']}(17){expiry}(10){d['lot_number']}"


def test_lot_gtins_are_generated_products_except_unknown_product(records: list[GeneratedRecord]) -> None:
    products = {_repaired(r.data["gtin"]) for r in records if r.domain == "product" and "gtin" in r.data}
    for r in records:
        if r.domain == "lot" and "gtin" in r.data and r.defect != "bad_check_digit":
            assert (r.data["gtin"] in products) == (r.defect != "unknown_product"), r
            assert _gs1_ok(r.data["gtin"])


@pytest.mark.parametrize("domain, field", [("lot", "lot_number"), ("supplier", "name")])
def test_missing_required(records: list[GeneratedRecord], domain: str, field: str) -> None:
    missing = [r for r in records if r.defect == "missing_required" and r.domain == domain]
    assert missing and all(field not in r.data for r in missing)
    assert all(field in r.data for r in records if r.domain == domain and r.defect != "missing_required")


def test_defective_records_keep_their_true_entity(records: list[GeneratedRecord]) -> None:
    # A bad check digit is a typo in a real thing's identifier: the clean records of the same
    # entity carry the same identifier but for its last digit.
    clean: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in records:
        if r.defect is None:
            clean[(r.domain, r.entity)].update(r.data[f] for f in ("gtin", "gln") if f in r.data)
    compared = 0
    for r in records:
        if r.defect == "bad_check_digit" and clean[(r.domain, r.entity)]:
            bad = r.data.get("gtin") or r.data["gln"]
            assert any(good[:-1] == bad[:-1] != good for good in clean[(r.domain, r.entity)]), r
            compared += 1
    assert compared


# --- product and equipment consistency ----------------------------------------------------------------------


def test_sterilization_method_only_for_sterile_or_sterilised_before_use(records: list[GeneratedRecord]) -> None:
    plm = [r.data for r in records if r.system == "plm"]
    for d in plm:
        needs = d["is_sterile"] or d["sterilization_prior_to_use"]
        assert ("sterilization_method" in d) == needs, d
    assert any(not d["is_sterile"] and d["sterilization_prior_to_use"] for d in plm)


def test_shelf_life_is_whole_months(records: list[GeneratedRecord]) -> None:
    lives = [r.data["shelf_life_days"] for r in records if "shelf_life_days" in r.data]
    assert lives and all(isinstance(v, int) and v > 0 and v % 30 == 0 for v in lives)


def test_calibration_due_after_last_calibrated(records: list[GeneratedRecord]) -> None:
    calibrated = [r.data for r in records if "last_calibrated" in r.data]
    assert calibrated and all(d["calibration_due"] > d["last_calibrated"] for d in calibrated)


def test_values_are_json_types(records: list[GeneratedRecord]) -> None:
    for r in records:
        for v in r.data.values():
            assert isinstance(v, (str, bool, int)), r
        json.dumps(r.data)


def test_free_text_varies_between_systems(records: list[GeneratedRecord]) -> None:
    names: dict[str, dict[str, str]] = defaultdict(dict)
    for r in records:
        if r.domain == "supplier" and r.defect is None and r.system in ("sap-erp", "supplier-portal"):
            names[r.entity][r.system] = r.data.get("legal_name", r.data["name"])
    pairs = [n for n in names.values() if len(n) == 2]
    differing = sum(n["sap-erp"] != n["supplier-portal"] for n in pairs)
    assert differing / len(pairs) >= 0.3


# --- truth file ---------------------------------------------------------------------------------------------------


def test_write_truth(records: list[GeneratedRecord], tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    write_truth(records, path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["system", "domain", "source_key", "entity", "defect"]
    assert rows[1:] == [[r.system, r.domain, r.source_key, r.entity, r.defect or ""] for r in records]
    again = tmp_path / "again.csv"
    write_truth(generate(seed=1, scale=1), again)
    assert again.read_bytes() == path.read_bytes()
