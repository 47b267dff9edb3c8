"""Extra content folders layered on the governance content: what they add, replace and break."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from mdm import create_app
from mdm.errors import GovernanceError
from mdm.governance import default_content_dir, load_governance
from mdm.settings import SettingsError, content_extra

BENCH_SYSTEM = {"kind": "crm", "description": "Benchmark CRM.", "owner": "Benchmarks", "site": "GAL",
                "namespace": "bench://crm", "writes": ["customer"]}
BENCH_MAPPING = {"system": "bench-crm", "description": "Benchmark CRM export.",
                 "domains": {"customer": {"key": "Id", "fields": {
                     "party_type": {"from": "Type", "transforms": ["trim", "lower"]},
                     "name": {"from": "Name", "transforms": ["trim", "null_if_blank"]}}}}}


def write(root: Path, rel: str, data: object) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


@pytest.fixture()
def extra(tmp_path: Path) -> Path:
    """A benchmark's own system, its mapping, and customer rules that rank it first."""
    folder = tmp_path / "bench"
    write(folder, "lineage/systems.yaml", {"systems": {"bench-crm": BENCH_SYSTEM}})
    write(folder, "dictionary/mappings/bench-crm.yaml", BENCH_MAPPING)
    rules = yaml.safe_load((default_content_dir() / "rules/customer.yaml").read_text("utf-8"))
    rules["survivorship"]["default"]["priority"].insert(0, "bench-crm")
    write(folder, "rules/customer.yaml", rules)
    return folder


def test_an_extra_folder_adds_a_system_its_mapping_and_replaces_rules(governance, extra: Path) -> None:
    gov = load_governance(None, [extra])
    assert gov.systems["bench-crm"].writes == ("customer",)
    assert set(governance.systems) < set(gov.systems)  # the base's systems stay
    assert gov.mappings[("bench-crm", "customer")].key == "Id"
    assert gov.rules["customer"].default.priority[0] == "bench-crm"
    assert gov.rules["lot"] == governance.rules["lot"]  # files the extra lacks come from the base
    assert gov.hub_name == governance.hub_name and gov.sites == governance.sites
    assert gov.snapshot["dictionary/mappings/bench-crm.yaml"]["system"] == "bench-crm"
    assert "sap-erp" in gov.snapshot["lineage/systems.yaml"]["systems"]


def test_an_extended_hub_has_another_content_hash(governance, extra: Path, tmp_path: Path) -> None:
    assert load_governance(None, [extra]).content_hash != governance.content_hash
    assert load_governance(None, [extra]).content_hash == load_governance(None, [str(extra)]).content_hash
    empty = tmp_path / "empty"
    empty.mkdir()
    assert load_governance(None, [empty]).content_hash == governance.content_hash


def test_later_extras_win_and_may_replace_a_system_site_and_hub(governance, extra: Path, tmp_path: Path) -> None:
    later = tmp_path / "later"
    write(later, "lineage/systems.yaml", {
        "hub": {"name": "bench-hub", "namespace": "mdm://bench"},
        "sites": {"BEN": {"name": "Bench", "country": "IE"}},
        "systems": {"bench-crm": {**BENCH_SYSTEM, "site": "BEN", "owner": "Later"}},
    })
    gov = load_governance(None, [extra, later])
    assert gov.systems["bench-crm"].owner == "Later" and gov.systems["bench-crm"].site == "BEN"
    assert gov.hub_name == "bench-hub" and set(gov.sites) == {*governance.sites, "BEN"}


@pytest.mark.parametrize("rel, content, expected", [
    ("rules/customer.yaml", "survivorship: [", "rules/customer.yaml: $: not valid YAML"),
    ("dictionary/mappings/bench-crm.yaml", {**BENCH_MAPPING, "colour": "red"},
     "dictionary/mappings/bench-crm.yaml: $: Additional properties are not allowed ('colour' was unexpected)"),
    ("lineage/systems.yaml", {"systems": {"bench-crm": {**BENCH_SYSTEM, "kind": "fax"}}},
     "lineage/systems.yaml: $.systems.bench-crm.kind: 'fax' is not one of"),
    ("lineage/systems.yaml", {"systems": {"bench-crm": {**BENCH_SYSTEM, "site": "XYZ"}}},
     "lineage/systems.yaml: $.systems.bench-crm.site: unknown site 'XYZ'"),
    ("lineage/systems.yaml", {"systems": {"bench-crm": {**BENCH_SYSTEM, "writes": ["customer", "lot"]}}},
     "lineage/systems.yaml: $.systems.bench-crm.writes: 'bench-crm' writes 'lot' but"),
])
def test_a_broken_extra_file_is_reported_with_its_path(extra: Path, rel: str, content: object,
                                                       expected: str) -> None:
    write(extra, rel, content)
    with pytest.raises(GovernanceError) as info:
        load_governance(None, [extra])
    assert f"{extra}/{expected}" in info.value.report()
    assert all(f.startswith(str(extra)) for f, _, _ in info.value.problems), info.value.report()


def test_a_problem_in_a_base_file_names_the_base_file(extra: Path) -> None:
    customer = yaml.safe_load((default_content_dir() / "dictionary/customer.yaml").read_text("utf-8"))
    del customer["fields"]["licence_number"]
    write(extra, "dictionary/customer.yaml", customer)
    with pytest.raises(GovernanceError) as info:
        load_governance(None, [extra])
    assert ("dictionary/mappings/crm.yaml", "$.domains.customer.fields.licence_number",
            "'licence_number' is not a field of customer") in info.value.problems


def test_an_extra_systems_file_needs_systems(extra: Path) -> None:
    write(extra, "lineage/systems.yaml", {"sites": {"BEN": {"name": "Bench", "country": "IE"}}})
    with pytest.raises(GovernanceError) as info:
        load_governance(None, [extra])
    assert f"{extra}/lineage/systems.yaml: $: 'systems' is a required property" in info.value.report()


def test_a_missing_extra_folder_is_an_error(extra: Path, tmp_path: Path) -> None:
    with pytest.raises(GovernanceError) as info:
        load_governance(None, [extra, tmp_path / "nosuch"])
    assert info.value.problems == [(str(tmp_path / "nosuch"), "$", "extra content folder does not exist")]


@pytest.mark.parametrize("value, expected", [
    ("", []),
    (f"a{os.pathsep}b", ["a", "b"]),
    (f"a{os.pathsep}", ["a"]),
    (["a", Path("b")], ["a", "b"]),
])
def test_content_extra_setting(value: object, expected: list[str]) -> None:
    assert content_extra({"CONTENT_EXTRA": value}) == expected


def test_content_extra_setting_of_another_type_is_refused() -> None:
    with pytest.raises(SettingsError, match="MDM_CONTENT_EXTRA"):
        content_extra({"CONTENT_EXTRA": 3})


def test_the_app_loads_the_extra_folders_of_its_setting(extra: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDM_CONTENT_EXTRA", f"{extra}{os.pathsep}{tmp_path / 'nosuch'}")
    with pytest.raises(GovernanceError, match="extra content folder does not exist"):
        create_app({"DATABASE_URL": "sqlite://"})
    monkeypatch.setenv("MDM_CONTENT_EXTRA", str(extra))
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert "bench-crm" in app.extensions["mdm.governance"].systems


def test_mdm_check_checks_the_extra_folders(runner, governance, extra: Path) -> None:
    from mdm.cli import cli

    ok = runner.invoke(cli, ["--content-extra", str(extra), "check"])
    assert ok.exit_code == 0, ok.output
    assert f"{len(governance.systems) + 1} systems" in ok.output and governance.content_hash[:12] not in ok.output
    write(extra, "rules/customer.yaml", "survivorship: [")
    broken = runner.invoke(cli, ["--content-extra", str(extra), "check"])
    assert broken.exit_code == 1 and f"{extra}/rules/customer.yaml: $: not valid YAML" in broken.output


@pytest.mark.parametrize("args, env", [
    (["--content-extra", "{extra}", "--content-extra", "{missing}"], {}),
    ([], {"MDM_CONTENT_EXTRA": "{extra}" + os.pathsep + "{missing}"}),
])
def test_the_cli_gives_the_app_its_extra_folders(runner, extra: Path, tmp_path: Path, args: list[str],
                                                 env: dict[str, str]) -> None:
    from mdm.cli import cli

    missing = tmp_path / "nosuch"
    fill = {"extra": extra, "missing": missing}
    result = runner.invoke(cli, [a.format(**fill) for a in args] + ["db", "upgrade"],
                           env={k: v.format(**fill) for k, v in env.items()})
    assert result.exit_code == 1 and f"{missing}: $: extra content folder does not exist" in result.output
    missing.mkdir()
    result = runner.invoke(cli, [a.format(**fill) for a in args] + ["db", "upgrade"],
                           env={k: v.format(**fill) for k, v in env.items()})
    assert result.exit_code == 0, result.output


def test_the_febrl_benchmark_keeps_the_production_quality_rules() -> None:
    # the benchmark measures the hub as configured: its customer rules replace match and
    # survivorship, never what is quarantined
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "febrl" / "rules" / "customer.yaml"
    production = default_content_dir() / "rules" / "customer.yaml"
    assert yaml.safe_load(bench.read_text("utf-8"))["quality"] == yaml.safe_load(production.read_text("utf-8"))["quality"]
