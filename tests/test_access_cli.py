"""Access control on the command line: `mdm users …`, `mdm tokens …`, masked exports, `mdm serve`'s secrets.

The runner points MDM_DATABASE_URL at the test database, so what a command writes is read back over
HTTP with `raw_client` (exact credentials, no auto-signing).
"""

from __future__ import annotations

import json
from typing import Any

import flask
import pytest
from helpers import post
from signing import bearer
from sqlalchemy import select
from test_steward import SGH, crm_person

from mdm.cli import cli
from mdm.models import ApiToken, Principal

API = "/api/v1"
PROBLEM = "application/problem+json"
STRONG = "a long enough passphrase"


def db(app):
    return app.extensions["mdm.sessionmaker"]()


def audit(app, **query: Any) -> list[dict[str, Any]]:
    resp = app.test_client().get(f"{API}/audit", query_string={"limit": 1000, **query},
                                 headers=bearer(app, "quinn", "auditor"))
    assert resp.status_code == 200
    return resp.get_json()["items"]


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def one_line_failure(result) -> str:
    """A refusal: exit code 1 and one line (on standard error), no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def principal_row(app, name: str) -> Principal | None:
    with db(app) as s:
        return s.scalar(select(Principal).where(Principal.name == name))


def sign_in(client, name: str, password: str):
    import re

    page = client.get("/auth/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/auth/sign-in", data={"csrf_token": csrf, "username": name, "password": password})


def add(runner, name: str, role: str) -> None:
    """A person with the STRONG password, added on the command line."""
    ok(runner.invoke(cli, ["users", "add", name, "--role", role, "--password-stdin"], input=STRONG + "\n"))


# -- users ----------------------------------------------------------------------------------------

def test_users_add_a_person_with_a_password_from_stdin(app, runner, raw_client) -> None:
    out = ok(runner.invoke(cli, ["users", "add", "bea", "--role", "steward", "--display-name", "Bea Steward",
                                 "--password-stdin"], input=STRONG + "\n"))
    assert out.strip() == "added user bea (steward)"
    row = principal_row(app, "bea")
    assert (row.kind, row.role, row.system, row.display_name, row.active) == ("user", "steward", None,
                                                                              "Bea Steward", True)
    assert row.password_hash.startswith("$argon2id$") and STRONG not in row.password_hash
    assert row.created_by.startswith("cli:")
    (entry,) = audit(app, action="principal_create")
    assert entry["entity_id"] == "bea" and entry["actor"].startswith("cli:")
    assert STRONG not in json.dumps(entry)
    # she signs in with it in a browser, as a steward
    assert sign_in(raw_client, "bea", STRONG).status_code == 303
    me = raw_client.get(f"{API}/me").get_json()
    assert (me["name"], me["role"], me["via"]) == ("bea", "steward", "session")


def test_users_add_a_system_account_asks_no_password(app, runner) -> None:
    # no input at all: a prompt would abort the command
    out = ok(runner.invoke(cli, ["users", "add", "feed", "--role", "source", "--system", "crm"]))
    assert out.strip() == "added system feed (source, system crm)"
    row = principal_row(app, "feed")
    assert (row.kind, row.role, row.system, row.password_hash) == ("system", "source", "crm", None)


def test_token_from_the_cli_works_against_the_api_until_revoked(app, runner, raw_client) -> None:
    ok(runner.invoke(cli, ["users", "add", "feed", "--role", "source", "--system", "crm"]))
    created = runner.invoke(cli, ["tokens", "create", "--principal", "feed", "--label", "nightly"])
    secret = ok(created).strip()
    assert secret.startswith("mdm_") and "\n" not in secret  # stdout is the token alone: scripts read it
    assert "store it now" in created.stderr and "feed" in created.stderr
    h = {"Authorization": f"Bearer {secret}"}
    me = raw_client.get(f"{API}/me", headers=h).get_json()
    assert (me["name"], me["role"], me["system"]) == ("feed", "source", "crm")
    loaded = raw_client.post(f"{API}/sources/crm/customer/records",
                             json=[crm_person("P-1", "Okafor", "Adaeze", "03/14/1979")], headers=h)
    assert loaded.status_code == 200 and loaded.get_json()["counts"]["created"] == 1
    refused = raw_client.post(f"{API}/sources/sap-erp/customer/records", json=[SGH], headers=h)
    assert refused.status_code == 403 and refused.content_type == PROBLEM
    # the listing shows it, used, but never its secret
    listed = ok(runner.invoke(cli, ["tokens", "list", "--principal", "feed", "--json"]))
    (row,) = json.loads(listed)
    assert row["principal"] == "feed" and row["label"] == "nightly" and row["revoked_at"] is None
    assert row["last_used_at"] and row["prefix"] == secret[:12]
    assert secret not in listed and secret[12:] not in listed
    text = ok(runner.invoke(cli, ["tokens", "list"]))
    assert "feed" in text and "live" in text and secret[12:] not in text
    with db(app) as s:
        stored = s.get(ApiToken, row["id"])
        assert secret not in (stored.token_hash, stored.prefix, stored.label)
    # revoked: 401 at once, and revoking again is a one-line refusal
    out = ok(runner.invoke(cli, ["tokens", "revoke", str(row["id"]), "--reason", "rotated"]))
    assert f"token {row['id']}" in out and "revoked" in out
    resp = raw_client.get(f"{API}/me", headers=h)
    assert resp.status_code == 401 and "WWW-Authenticate" in resp.headers
    assert "was revoked" in one_line_failure(runner.invoke(cli, ["tokens", "revoke", str(row["id"])]))
    (entry,) = audit(app, action="token_revoke")
    assert entry["entity_id"] == "feed" and entry["reason"] == "rotated" and entry["actor"].startswith("cli:")
    assert [e["entity_id"] for e in audit(app, action="token_create")] == ["feed"]


def test_token_with_expiry(app, runner) -> None:
    ok(runner.invoke(cli, ["users", "add", "feed", "--role", "source", "--system", "crm"]))
    created = runner.invoke(cli, ["tokens", "create", "--principal", "feed", "--expires", "7"])
    ok(created)
    assert "expires" in created.stderr
    (row,) = json.loads(ok(runner.invoke(cli, ["tokens", "list", "--json"])))
    assert row["expires_at"] is not None
    bad = runner.invoke(cli, ["tokens", "create", "--principal", "feed", "--expires", "0"])
    assert bad.exit_code != 0 and bad.stdout == ""


def test_users_list_json(app, runner) -> None:
    ok(runner.invoke(cli, ["users", "add", "feed", "--role", "source", "--system", "crm"]))
    add(runner, "bea", "auditor")
    listed = ok(runner.invoke(cli, ["users", "list", "--json"]))
    rows = {r["name"]: r for r in json.loads(listed)}
    assert set(rows) == {"bea", "feed"}
    assert (rows["bea"]["role"], rows["bea"]["kind"], rows["bea"]["has_password"], rows["bea"]["active"]) == (
        "auditor", "user", True, True)
    assert (rows["feed"]["system"], rows["feed"]["has_password"]) == ("crm", False)
    assert "argon2" not in listed and STRONG not in listed and "password_hash" not in listed
    text = ok(runner.invoke(cli, ["users", "list"]))
    assert [line.split()[0] for line in text.splitlines()] == ["bea", "feed"]


def test_users_change_role_and_disable(app, runner, raw_client) -> None:
    ok(runner.invoke(cli, ["users", "add", "feed", "--role", "source", "--system", "crm"]))
    add(runner, "bea", "consumer")
    token = ok(runner.invoke(cli, ["tokens", "create", "--principal", "bea"])).strip()
    h = {"Authorization": f"Bearer {token}"}
    assert raw_client.get(f"{API}/tasks", headers=h).status_code == 403
    out = ok(runner.invoke(cli, ["users", "change", "bea", "--role", "steward", "--reason",
                                 "joined the team"]))
    assert out.strip() == "bea: steward, active, bea"
    assert raw_client.get(f"{API}/tasks", headers=h).status_code == 200
    (entry,) = audit(app, action="role_change")
    assert (entry["before"]["role"], entry["after"]["role"], entry["reason"]) == ("consumer", "steward",
                                                                                  "joined the team")
    feed_token = ok(runner.invoke(cli, ["tokens", "create", "--principal", "feed"])).strip()
    ok(runner.invoke(cli, ["users", "change", "bea", "--disable", "--reason", "left"]))
    assert raw_client.get(f"{API}/me", headers=h).status_code == 401
    assert raw_client.get(f"{API}/me", headers={"Authorization": f"Bearer {feed_token}"}).status_code == 200
    tokens = {r["principal"]: r for r in json.loads(ok(runner.invoke(cli, ["tokens", "list", "--json"])))}
    assert tokens["bea"]["revoked_at"] and tokens["feed"]["revoked_at"] is None
    assert "disabled" in one_line_failure(runner.invoke(cli, ["tokens", "create", "--principal", "bea"]))
    assert sign_in(raw_client, "bea", STRONG).status_code == 401


def test_reset_password_from_stdin(app, runner, raw_client) -> None:
    add(runner, "bea", "steward")
    new = "another long passphrase"
    ok(runner.invoke(cli, ["users", "change", "bea", "--reset-password", "--password-stdin",
                           "--reason", "forgot"], input=new + "\n"))
    assert sign_in(raw_client, "bea", STRONG).status_code == 401
    assert sign_in(raw_client, "bea", new).status_code == 303
    (entry,) = audit(app, action="principal_change")
    assert entry["after"]["password"] == "changed" and new not in json.dumps(entry)


FAILURES = [
    (["tokens", "create", "--principal", "nobody"], None, "nobody"),
    (["tokens", "revoke", "999"], None, "999"),
    (["users", "change", "nobody", "--role", "steward", "--reason", "r"], None, "nobody"),
    (["users", "change", "reader", "--role", "source", "--reason", "r"], None, "source"),
    (["users", "change", "feed", "--role", "consumer", "--reason", "r"], None, "source"),
    (["users", "add", "reader", "--role", "auditor", "--password-stdin"], STRONG + "\n", "exists"),
    (["users", "add", "bea", "--role", "steward", "--password-stdin"], "short\n", "cannot be created"),
    (["users", "add", "bea", "--role", "steward", "--password-stdin"], "\n", "no password"),
    (["users", "add", "feed2", "--role", "source"], None, "cannot be created"),
    (["users", "add", "feed2", "--role", "source", "--system", "nope"], None, "cannot be created"),
    (["users", "add", "bad name!", "--role", "consumer", "--kind", "system"], None, "cannot be created"),
]


def test_cli_refusals_are_one_line_and_exit_1(app, runner) -> None:
    ok(runner.invoke(cli, ["users", "add", "reader", "--role", "consumer", "--kind", "system"]))
    ok(runner.invoke(cli, ["users", "add", "feed", "--role", "source", "--system", "crm"]))
    for args, stdin, message in FAILURES:
        line = one_line_failure(runner.invoke(cli, args, input=stdin))
        assert message in line, (args, line)
    with db(app) as s:
        state = {p.name: (p.role, p.kind) for p in s.scalars(select(Principal))}
    assert state == {"reader": ("consumer", "system"), "feed": ("source", "system")}
    assert audit(app, action="role_change") == [] and audit(app, action="principal_change") == []


def test_unknown_role_is_a_usage_error(app, runner) -> None:
    """A role outside the list is refused by the option itself (click's usage error, exit 2)."""
    out = runner.invoke(cli, ["users", "add", "wiz", "--role", "wizard"])
    assert out.exit_code == 2 and "wizard" in out.output and "Traceback" not in out.output
    assert principal_row(app, "wiz") is None


def test_cli_says_why_a_principal_cannot_be_created(app, runner) -> None:
    for args, stdin, why in (
            (["users", "add", "feed", "--role", "source"], None, "system"),
            (["users", "add", "feed", "--role", "source", "--system", "nope"], None, "nope"),
            (["users", "add", "bad name!", "--role", "consumer", "--kind", "system"], None, "name"),
            (["users", "add", "bea", "--role", "steward", "--password-stdin"], "short\n", "12 characters")):
        assert why in one_line_failure(runner.invoke(cli, args, input=stdin)), args


# -- export masking ---------------------------------------------------------------------------------

FAMILY = "Wojciechowska"
NPI = "1234567893"
PERSONAL = ("family_name", "given_name", "date_of_birth", "national_id", "email")


def _export(runner, *extra: str) -> list[dict[str, Any]]:
    out = ok(runner.invoke(cli, ["export", "golden", "--domain", "customer", "--format", "ndjson", *extra]))
    return [json.loads(line) for line in out.splitlines()]


def test_export_masks_personal_fields_unless_for_a_cleared_role(app, client, runner) -> None:
    record = crm_person("P-1", FAMILY, "Zofia", "03/14/1979", NPI__c=NPI, Email="zofia@clinic.example")
    person = post(client, "crm", "customer", [record])["results"][0]["golden_id"]
    hospital = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    for extra in ((), ("--for-role", "consumer"), ("--for-role", "admin")):
        rows = {r["id"]: r["data"] for r in _export(runner, *extra)}
        assert {f: rows[person][f] for f in PERSONAL} == dict.fromkeys(PERSONAL, "***"), extra
        assert rows[person]["party_type"] == "person"
        assert rows[hospital]["name"] == "Springfield General Hospital"
    csv_out = ok(runner.invoke(cli, ["export", "golden", "--domain", "customer"]))
    assert FAMILY not in csv_out and NPI not in csv_out and "Springfield General Hospital" in csv_out
    for role in ("steward", "auditor"):
        rows = {r["id"]: r["data"] for r in _export(runner, "--for-role", role)}
        assert (rows[person]["family_name"], rows[person]["national_id"]) == (FAMILY, NPI), role


# -- mdm serve refuses the default secrets ----------------------------------------------------------

@pytest.fixture()
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Flask.run replaced: a command that gets as far as serving records it instead of blocking."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(flask.Flask, "run", lambda self, *a, **kw: calls.append((a, kw)))
    return calls


UNSET = {"MDM_SECRET_KEY": None, "MDM_AUDIT_KEY": None, "MDM_DEMO": None, "MDM_TESTING": None}


def test_serve_refuses_default_secrets(app, runner, no_server) -> None:
    out = runner.invoke(cli, ["serve", "--port", "5999"], env=UNSET)
    line = one_line_failure(out)
    assert "MDM_SECRET_KEY" in line and "MDM_AUDIT_KEY" in line
    assert no_server == []
    only_audit = runner.invoke(cli, ["serve"], env={**UNSET, "MDM_SECRET_KEY": "k" * 40})
    line = one_line_failure(only_audit)
    assert "MDM_AUDIT_KEY" in line and "MDM_SECRET_KEY" not in line
    assert no_server == []


def test_serve_starts_with_custom_secrets(app, runner, no_server) -> None:
    out = runner.invoke(cli, ["serve", "--port", "5999"],
                        env={**UNSET, "MDM_SECRET_KEY": "k" * 40, "MDM_AUDIT_KEY": "a" * 40})
    assert out.exit_code == 0, out.output
    assert len(no_server) == 1 and no_server[0][1]["port"] == 5999 and no_server[0][1]["host"] == "127.0.0.1"

