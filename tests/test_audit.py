"""The audit trail: every change appends an entry; the chain shows any tampering; filters and export."""

from __future__ import annotations

import json

import pytest
from helpers import gtin, post
from sqlalchemy import text

from mdm.audit.chain import GENESIS, chain, verify_rows
from mdm.cli import cli

KEY = b"test-key"
G1 = gtin("0401234512345")


def part(pn: str, g: str, **extra) -> dict:
    return {"PartNumber": pn, "GTIN": g, "Name": "Stent", "BrandName": "Arteria", **extra}


def _entries(n: int) -> list[dict]:
    return [{"at": "2026-01-01T00:00:00+00:00", "actor": "a", "action": "update", "entity_type": "t",
             "entity_id": str(i), "reason": None, "before": None, "after": {"i": i}, "context": None}
            for i in range(n)]


def test_a_clean_chain_verifies() -> None:
    rows = chain(KEY, GENESIS, 1, _entries(5))
    assert verify_rows(KEY, rows) == {"ok": True, "entries": 5, "first_problem": None}
    assert verify_rows(b"other key", rows)["first_problem"]["problem"] == "changed"


@pytest.mark.parametrize("tamper, seq, problem", [
    (lambda r: r[2].update(body=r[2]["body"].replace('"i":2', '"i":99')), 3, "changed"),
    (lambda r: r[2].update(actor="mallory"), 3, "changed"),
    (lambda r: r[2].update(at="2030-01-01T00:00:00+00:00"), 3, "changed"),
    (lambda r: r.pop(2), 4, "deleted"),
    (lambda r: r.insert(2, {**r[1], "seq": 3, "hash": "f" * 64, "prev_hash": "e" * 64}), 3, "inserted"),
    (lambda r: (r.__setitem__(slice(1, 3), [r[2], r[1]]),
                r[1].update(seq=2), r[2].update(seq=3)), 2, "reordered"),
])
def test_tampering_is_found_at_the_first_broken_entry(tamper, seq, problem) -> None:
    rows = chain(KEY, GENESIS, 1, _entries(5))
    hashes = {r["hash"]: r["seq"] for r in rows}
    tamper(rows)
    result = verify_rows(KEY, rows, hashes.get)
    assert not result["ok"]
    assert (result["first_problem"]["seq"], result["first_problem"]["problem"]) == (seq, problem)


def test_ingest_and_deletion_append_entries(client) -> None:
    gid = post(client, "plm", "product", [part("PN-1", G1)])["results"][0]["golden_id"]
    post(client, "plm", "product", [part("PN-1", G1, Revision="C")])
    post(client, "plm", "product", [part("PN-2", "123")])  # quarantined
    client.delete("/api/v1/sources/plm/product/records/PN-1")
    entries = client.get("/api/v1/audit?limit=1000").get_json()["items"]
    actions = [(e["action"], e["entity_type"], e["entity_id"]) for e in entries]
    assert ("create", "golden_record", gid) in actions
    assert ("link", "source_record", "plm/product/PN-1") in actions
    assert ("update", "golden_record", gid) in actions
    assert ("quarantine", "source_record", "plm/product/PN-2") in actions
    assert ("unlink", "source_record", "plm/product/PN-1") in actions
    assert ("retire", "golden_record", gid) in actions
    update = next(e for e in entries if e["action"] == "update" and e["entity_id"] == gid)
    assert update["after"]["data"] == {"plm_revision": "C"} and update["before"] == {}
    assert all(e["actor"] == "system:plm" for e in entries)
    assert entries[0]["at"].endswith("+00:00")
    by_entity = client.get("/api/v1/audit", query_string={"entity_id": gid}).get_json()["items"]
    assert {e["entity_id"] for e in by_entity} == {gid}
    assert client.get("/api/v1/audit/verify").get_json() == {"ok": True, "entries": len(entries),
                                                              "first_problem": None}


def test_tampering_in_the_database_is_detected_by_api_and_cli(app, client, runner) -> None:
    post(client, "plm", "product", [part("PN-1", G1), part("PN-2", gtin("0401234512346"))])
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    engine = app.extensions["mdm.engine"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # the database itself refuses to rewrite history...
            with pytest.raises(Exception, match="append-only"), conn.begin_nested():
                conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
            # ...so only someone able to switch the trigger off gets this far
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 2"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    result = client.get("/api/v1/audit/verify").get_json()
    assert result["ok"] is False and result["first_problem"]["seq"] == 2
    assert result["first_problem"]["problem"] == "changed"
    cli_result = runner.invoke(cli, ["audit", "verify"])
    assert cli_result.exit_code == 1 and "BROKEN at entry 2: changed" in cli_result.output


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_export_for_inspectors(client, runner, fmt) -> None:
    post(client, "plm", "product", [part("PN-1", G1)])
    result = runner.invoke(cli, ["audit", "export", "--format", fmt])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    if fmt == "ndjson":
        rows = [json.loads(line) for line in lines]
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
        assert rows[0]["prev_hash"] == GENESIS
    else:
        assert lines[0].startswith("seq,at,actor,action") and len(lines) >= 3


def test_governance_reload_and_retry_are_audited(client) -> None:
    client.post("/api/v1/governance/reload")
    post(client, "mes", "lot", [{"batchId": "B1", "lotNo": "L1", "gtin": G1, "siteCode": "GAL"}])
    client.post("/api/v1/quarantine/retry", json={"domain": "lot", "reason": "product loaded"})
    actions = {e["action"]: e for e in client.get("/api/v1/audit?limit=1000").get_json()["items"]}
    assert (actions["governance_reload"]["entity_type"], actions["governance_reload"]["actor"]) == (
        "governance_version", "admin")
    assert actions["retry"]["reason"] == "product loaded" and actions["retry"]["actor"] == "steward"


def test_an_anchor_kept_outside_shows_entries_cut_from_the_end(app, client, runner, tmp_path) -> None:
    post(client, "plm", "product", [part("PN-1", G1), part("PN-2", gtin("0401234512346"))])
    anchor = tmp_path / "anchor.json"
    made = runner.invoke(cli, ["audit", "anchor", "--out", str(anchor)])
    assert made.exit_code == 0, made.output
    kept = json.loads(anchor.read_text())
    assert kept["seq"] >= 2 and len(kept["hash"]) == 64
    post(client, "plm", "product", [part("PN-3", gtin("0401234512353"))])  # the trail grows: still fine
    assert runner.invoke(cli, ["audit", "verify", "--anchor", str(anchor)]).exit_code == 0
    engine = app.extensions["mdm.engine"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        # cutting the newest entries leaves a shorter chain that verifies by itself...
        conn.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": kept["seq"]})
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    # ...but not against the anchor
    cut = runner.invoke(cli, ["audit", "verify", "--anchor", str(anchor)])
    assert cut.exit_code == 1 and f"BROKEN at entry {kept['seq']}: missing" in cut.output
