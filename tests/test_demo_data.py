"""The generated demo data, loaded through the CLI as each system sends it, against its ground truth."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

from mdm.cli import cli

# Every generated defect breaks an error rule (dictionary or rules/<domain>.yaml).
QUARANTINED_DEFECTS = {"bad_check_digit", "bad_code", "missing_required", "expiry_before_manufacture",
                       "unknown_product"}


def _load_all(runner, demo_files) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for system, domain, path, count in demo_files:
        result = runner.invoke(cli, ["load", "--system", system, "--domain", domain, "--json", str(path)])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["received"] == count
        for k, v in summary["counts"].items():
            totals[k] += v
    return dict(totals)


def _truth(demo_files) -> dict[tuple[str, str, str], tuple[str, str]]:
    path = demo_files[0][2].parent / "truth.csv"
    with path.open() as fh:
        return {(r["system"], r["domain"], r["source_key"]): (r["entity"], r["defect"]) for r in csv.DictReader(fh)}


def _xref(runner, domain: str) -> list[dict[str, str]]:
    result = runner.invoke(cli, ["export", "xref", "--domain", domain])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(result.output.splitlines()))


def test_load_twice_second_time_only_unchanged(runner, demo_files) -> None:
    first = _load_all(runner, demo_files)
    assert first["created"] > 0 and first["linked"] > 0 and first["quarantined"] > 0
    second = _load_all(runner, demo_files)
    assert {k for k, v in second.items() if v} == {"unchanged"}
    assert second["unchanged"] == sum(first.values())


def test_golden_records_never_mix_entities(runner, demo_files, client, governance) -> None:
    _load_all(runner, demo_files)
    truth = _truth(demo_files)
    for domain in ("product", "lot", "equipment", "supplier", "customer"):
        entities_of = defaultdict(set)
        records_of = defaultdict(list)
        for row in _xref(runner, domain):
            entity, _ = truth[(row["system"], domain, row["source_key"])]
            entities_of[row["golden_id"]].add(entity)
            records_of[entity].append(row)
        assert entities_of, domain
        mixed = {g: e for g, e in entities_of.items() if len(e) > 1}
        assert not mixed, (domain, mixed)
        # An entity may stay split only where its records share no identifier (fuzzy matching's job):
        # two records with an equal valid identifier are always in one golden record.
        ident_fields = [f.name for f in governance.domains[domain].identifier_fields]
        for entity, rows in records_of.items():
            if len({r["golden_id"] for r in rows}) == 1:
                continue
            seen: dict[tuple[str, str], str] = {}
            for r in rows:
                payload = client.get(f"/api/v1/sources/{r['system']}/{domain}/records/{r['source_key']}").get_json()
                for f in ident_fields:
                    value = payload["payload"].get(f)
                    if value is not None:
                        assert seen.setdefault((f, value), r["golden_id"]) == r["golden_id"], (entity, f, value)


def test_quarantine_holds_exactly_the_invalid_records(runner, demo_files, client) -> None:
    _load_all(runner, demo_files)
    truth = _truth(demo_files)
    quarantined = set()
    after = 0
    while True:
        page = client.get("/api/v1/quarantine", query_string={"after": after, "limit": 1000}).get_json()
        quarantined |= {(i["system"], i["domain"], i["source_key"]) for i in page["items"]}
        assert all(i["issues"] for i in page["items"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    expected = {k for k, (_, defect) in truth.items() if defect in QUARANTINED_DEFECTS}
    # A sound lot is refused too when its product never made it in (all of its records were defective).
    orphans = set()
    for system, domain, key in quarantined - expected:
        assert domain == "lot", (system, key)
        src = client.get(f"/api/v1/sources/{system}/lot/records/{key}").get_json()
        assert [i["rule"] for i in src["issues"]] == ["lot.product.exists"], src["issues"]
        gtin = src["payload"]["gtin"]
        assert client.get("/api/v1/golden/product", query_string={"gtin": gtin}).get_json()["items"] == []
        orphans.add((system, domain, key))
    assert len(orphans) < len(expected) / 2
    assert quarantined == expected | orphans


def test_same_lot_number_at_two_sites_is_two_lots(runner, demo_files, client) -> None:
    _load_all(runner, demo_files)
    lots = []
    after = None
    while True:
        q = {"limit": 1000, **({"after": after} if after else {})}
        page = client.get("/api/v1/golden/lot", query_string=q).get_json()
        lots += page["items"]
        if not page["next_after"]:
            break
        after = page["next_after"]
    sites_of = defaultdict(set)
    for lot in lots:
        sites_of[lot["data"]["lot_number"]].add(lot["data"]["site"])
    assert any(len(s) > 1 for s in sites_of.values())


def test_export_golden_ndjson(runner, demo_files) -> None:
    _load_all(runner, demo_files)
    result = runner.invoke(cli, ["export", "golden", "--domain", "supplier", "--format", "ndjson"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows and all(r["id"].startswith("SUP-") and "name" in r["data"] for r in rows)
