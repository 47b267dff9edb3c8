"""The steward commands: tasks, decisions, merge, unmerge, pins and rematch from the command line."""

from __future__ import annotations

import json

import pytest
from helpers import post
from signing import PASSWORD, principal
from test_steward import LINK, OTHER, REVIEW, SGH, crm_account, sap_customer

from mdm.cli import cli

SIGN = ["--as", "ana", "--password-stdin"]


@pytest.fixture()
def ana(app) -> str:
    """A steward who signs with her password on standard input."""
    principal(app, "ana", "steward", display_name="Ana Steward")
    return PASSWORD + "\n"


def _golden(client, system: str, record: dict) -> str:
    return post(client, system, "customer", [record])["results"][0]["golden_id"]


def test_review_task_listed_shown_assigned_and_decided(client, runner, ana) -> None:
    survivor = _golden(client, "sap-erp", SGH)
    incoming = post(client, "crm", "customer", [REVIEW])["results"][0]
    assert incoming["result"] == "review"
    listed = runner.invoke(cli, ["tasks", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (task,) = json.loads(listed.output)
    assert task["candidate_ids"] == [survivor] and task["golden_id"] == incoming["golden_id"]
    shown = json.loads(runner.invoke(cli, ["tasks", "show", str(task["id"])]).output)
    assert shown["explanation"]["kind"] == "fuzzy" and len(shown["sides"]) == 2
    assigned = runner.invoke(cli, ["tasks", "assign", str(task["id"]), "--to", "ana", "--actor", "lead"])
    assert assigned.exit_code == 0 and "ana" in assigned.output
    decided = runner.invoke(cli, ["tasks", "decide", str(task["id"]), "--decision", "merge", "--reason", "same site",
                                  *SIGN], input=ana)
    assert decided.exit_code == 0, decided.output
    assert survivor in decided.output
    again = runner.invoke(cli, ["tasks", "decide", str(task["id"]), "--decision", "merge", "--reason", "again", *SIGN],
                          input=ana)
    assert again.exit_code == 1 and len(again.output.strip().splitlines()) == 1 and "closed" in again.output
    merged = client.get(f"/api/v1/golden/customer/{incoming['golden_id']}").get_json()
    assert merged["status"] == "merged" and merged["merged_into"] == survivor
    audit = client.get("/api/v1/audit?action=decide").get_json()["items"]
    assert audit[-1]["actor"] == "ana"
    signed = client.get(f"/api/v1/golden/customer/{survivor}").get_json()["signatures"]
    assert [(x["signer"], x["printed_name"], x["meaning"], x["action"], x["valid"]) for x in signed] == [
        ("ana", "Ana Steward", "approval", "task_merge", True)]


def test_merge_unmerge_and_pin(client, runner, ana) -> None:
    a = _golden(client, "sap-erp", SGH)
    b = _golden(client, "crm", OTHER)
    out = runner.invoke(cli, ["merge", "--domain", "customer", "--survivor", a, "--merged", b, "--reason", "dup", *SIGN],
                        input=ana)
    assert out.exit_code == 0, out.output
    assert client.get(f"/api/v1/golden/customer/{b}").get_json()["merged_into"] == a
    out = runner.invoke(cli, ["unmerge", "--domain", "customer", "--golden", a, "--system", "crm", "--key", "A-1",
                              "--reason", "not the same", *SIGN], input=ana)
    assert out.exit_code == 0, out.output
    assert f"{a} -> {b} (restored)" in out.output
    out = runner.invoke(cli, ["pin", "--domain", "customer", "--golden", a, "--field", "name=Springfield General",
                              "--reason", "legal name", *SIGN], input=ana)
    assert out.exit_code == 0, out.output
    assert client.get(f"/api/v1/golden/customer/{a}").get_json()["data"]["name"] == "Springfield General"
    out = runner.invoke(cli, ["pin", "--domain", "customer", "--golden", a, "--release", "name", "--reason", "ok", *SIGN],
                        input=ana)
    assert out.exit_code == 0, out.output
    assert client.get(f"/api/v1/golden/customer/{a}").get_json()["data"]["name"] != "Springfield General"


@pytest.mark.parametrize("args", [
    ["merge", "--domain", "customer", "--survivor", "CUS-X", "--merged", "CUS-X", "--reason", "r"],
    ["merge", "--domain", "customer", "--survivor", "CUS-NONE", "--merged", "CUS-NADA", "--reason", "r"],
    ["unmerge", "--domain", "customer", "--golden", "CUS-NONE", "--system", "crm", "--key", "x", "--reason", "r"],
    ["tasks", "decide", "999", "--decision", "merge", "--reason", "r"],
    ["pin", "--domain", "customer", "--golden", "CUS-NONE", "--field", "name=x", "--reason", "r"],
    ["tasks", "decide", "1", "--decision", "merge", "--reason", " "],
])
def test_refusals_are_one_line_and_exit_1(client, runner, ana, args) -> None:
    _golden(client, "crm", LINK)
    out = runner.invoke(cli, [*args, *SIGN], input=ana)
    assert out.exit_code == 1, out.output
    assert len(out.output.strip().splitlines()) == 1


def test_rematch_summary_and_dry_run(client, runner) -> None:
    post(client, "sap-erp", "customer", [SGH, sap_customer("300", "Harbor Clinic", ORT01="Duluth")])
    post(client, "crm", "customer", [LINK, crm_account("Z-9", "Harbor Clinic", BillingCity="Duluth")])
    dry = runner.invoke(cli, ["rematch", "--domain", "customer", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.output)
    assert summary["dry_run"] is True and summary["records"] == 4 and summary["moved"] == 0
    text = runner.invoke(cli, ["rematch", "--domain", "customer"])
    assert text.exit_code == 0 and "customer: 4 source records" in text.output and "moved: 0 records" in text.output


@pytest.mark.parametrize("who, password, message", [
    ("ana", "not her password", "name or password is wrong"),
    ("nobody", PASSWORD, "name or password is wrong"),
    ("lead", PASSWORD, "not a steward"),
])
def test_a_signature_needs_a_stewards_own_password(app, client, runner, ana, who, password, message) -> None:
    principal(app, "lead", "auditor")
    a = _golden(client, "sap-erp", SGH)
    b = _golden(client, "crm", OTHER)
    out = runner.invoke(cli, ["merge", "--domain", "customer", "--survivor", a, "--merged", b, "--reason", "dup",
                              "--as", who, "--password-stdin"], input=password + "\n")
    assert out.exit_code == 1 and len(out.output.strip().splitlines()) == 1 and message in out.output
    assert client.get(f"/api/v1/golden/customer/{b}").get_json()["status"] == "active"
