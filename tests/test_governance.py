"""Governance content: the shipped content is valid; broken content is refused with every problem at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mdm import create_app
from mdm.errors import GovernanceError
from mdm.governance import default_content_dir, load_governance

CONTRACT_FIELDS = {
    "product": ["gtin", "udi_di", "issuing_agency", "brand_name", "model_number", "catalog_number", "description",
                "device_class", "gmdn_code", "fda_product_code", "is_sterile", "sterilization_prior_to_use",
                "sterilization_method", "mri_safety", "shelf_life_days", "unit_of_measure", "lifecycle_status",
                "erp_material_number", "plm_revision", "manufacturer_name", "manufacturer_id"],
    "lot": ["lot_number", "product_id", "gtin", "site", "manufacture_date", "expiry_date", "quantity",
            "unit_of_measure", "status", "udi_pi"],
    "equipment": ["asset_id", "name", "equipment_type", "manufacturer_name", "model_number", "serial_number", "site",
                  "line", "qualification_status", "last_calibrated", "calibration_due"],
    "supplier": ["name", "legal_name", "gln", "duns", "street", "city", "postal_code", "country", "approval_status",
                 "iso13485_certificate", "certificate_expiry", "risk_class"],
    "customer": ["party_type", "name", "gln", "licence_number", "customer_type", "given_name", "family_name",
                 "date_of_birth", "specialty", "national_id", "street", "street_number", "city", "postal_code",
                 "state", "country"],
}


@pytest.mark.parametrize("domain", sorted(CONTRACT_FIELDS))
def test_contract_fields_exist_with_metadata(governance, domain) -> None:
    d = governance.domains[domain]
    for name in CONTRACT_FIELDS[domain]:
        f = d.fields[name]
        assert f.classification in {"public", "internal", "confidential", "personal"}
        assert f.owner and f.description and f.label_zh


@pytest.mark.parametrize("domain, field, codes", [
    ("product", "mri_safety", {"mr_safe", "mr_conditional", "mr_unsafe", "no_mri_information"}),
    ("product", "issuing_agency", {"GS1", "HIBCC", "ICCBBA"}),
    ("lot", "status", {"quarantine", "released", "rejected", "recalled"}),
    ("customer", "party_type", {"organization", "person"}),
])
def test_code_lists(governance, domain, field, codes) -> None:
    d = governance.domains[domain]
    assert set(d.code_lists[d.fields[field].code_list]) == codes


def test_countries_are_iso_3166(governance) -> None:
    countries = governance.domains["supplier"].code_lists["country"]
    assert {"IE", "US", "DE", "CN", "MY"} <= set(countries) and len(countries) == 249


def test_personal_data_is_classified(governance) -> None:
    f = governance.domains["customer"].fields
    assert f["national_id"].classification == "personal" and f["date_of_birth"].classification == "personal"


def test_every_system_has_a_site_and_mapping_keys(governance) -> None:
    assert {"sap-erp", "mes", "lims", "plm", "supplier-portal", "crm", "csv-import"} <= set(governance.systems)
    for (system, domain), m in governance.mappings.items():
        assert m.key, (system, domain)
    assert all(m.key == "source_key" and m.identity for (s, _), m in governance.mappings.items() if s == "csv-import")


@pytest.fixture()
def broken(tmp_path: Path) -> Path:
    src = default_content_dir()
    for part in ("dictionary", "rules", "lineage"):
        shutil.copytree(src / part, tmp_path / part)

    def edit(rel: str, fn) -> None:
        p = tmp_path / rel
        data = yaml.safe_load(p.read_text())
        fn(data)
        p.write_text(yaml.safe_dump(data, allow_unicode=True))

    edit("dictionary/product.yaml", lambda d: d["fields"]["gtin"].update(type="text", classification="secret"))
    edit("dictionary/mappings/plm.yaml", lambda d: d["domains"]["product"]["fields"].update(
        colour={"from": "Colour"}))
    edit("rules/lot.yaml", lambda d: d["survivorship"]["default"].update(priority=["mes", "nosuch"]))
    return tmp_path


def test_all_problems_are_reported_at_once(broken: Path) -> None:
    with pytest.raises(GovernanceError) as info:
        load_governance(broken)
    report = info.value.report()
    assert "dictionary/product.yaml: $.fields.gtin.type:" in report
    assert "dictionary/product.yaml: $.fields.gtin.classification:" in report
    assert "dictionary/mappings/plm.yaml: $.domains.product.fields.colour: 'colour' is not a field of product" in report
    assert "rules/lot.yaml: $.survivorship.default.priority: unknown system 'nosuch'" in report


def test_the_hub_refuses_to_start_on_invalid_content(broken: Path) -> None:
    with pytest.raises(GovernanceError):
        create_app({"CONTENT_DIR": str(broken), "DATABASE_URL": "sqlite://"})


def test_mdm_check_lists_problems_and_exits_non_zero(broken: Path) -> None:
    from click.testing import CliRunner

    from mdm.cli import cli

    result = CliRunner().invoke(cli, ["--content", str(broken), "check"])
    assert result.exit_code == 1
    assert "$.fields.gtin.type" in result.output and "unknown system 'nosuch'" in result.output
    ok = CliRunner().invoke(cli, ["check"])
    assert ok.exit_code == 0 and ok.output.startswith("ok: 5 domains")


def test_dictionary_endpoints(client) -> None:
    index = client.get("/api/v1/dictionary").get_json()
    assert {d["domain"] for d in index["domains"]} == set(CONTRACT_FIELDS)
    product = client.get("/api/v1/dictionary/product").get_json()
    assert product["fields"]["gtin"]["identifier"]["kind"] == "gtin"
    assert "unit_of_measure" in product["code_lists"]
    schema = client.get("/api/v1/dictionary/lot/schema").get_json()
    assert schema["properties"]["expiry_date"]["format"] == "date"
    mapping = client.get("/api/v1/dictionary/mappings/sap-erp").get_json()
    assert mapping["domains"]["product"]["key"] == "MATNR"


def test_invalid_dictionary_pattern_is_reported(tmp_path: Path) -> None:
    src = default_content_dir()
    for part in ("dictionary", "rules", "lineage"):
        shutil.copytree(src / part, tmp_path / part)
    p = tmp_path / "dictionary/lot.yaml"
    data = yaml.safe_load(p.read_text())
    data["fields"]["lot_number"]["pattern"] = "([A-Z"
    p.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(GovernanceError) as info:
        load_governance(tmp_path)
    assert "dictionary/lot.yaml: $.fields.lot_number.pattern: not a valid regular expression" in info.value.report()
    assert "lot_number.pattern" in str(info.value)  # logs show the list, not only the count
