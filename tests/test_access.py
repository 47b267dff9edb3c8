"""Access control over HTTP: who may call which route, tokens, principals, browser sessions, masking, headers.

Every request here goes through `raw_client` with the exact credentials under test (no auto-signing).
The route x role table below is written from the access-control issue, not copied from
`mdm.auth.roles.ROUTES`: a difference between the two is a finding, and an operation the OpenAPI
document gains without an entry here fails `test_every_openapi_operation_is_in_the_table` until
someone decides who may call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from helpers import post
from signing import PASSWORD, bearer, principal
from sqlalchemy import func, select, update
from test_steward import REVIEW, SGH, crm_person

from mdm.models import ApiToken, GoldenRecord, Principal, SignInFailure, SourceRecord, to_utc, utcnow
from mdm.settings import DEFAULT_SECRETS, SettingsError, require_secrets

API = "/api/v1"
PROBLEM = "application/problem+json"
ROLES = ("source", "consumer", "steward", "auditor", "admin")

# Who calls as each role: a source account is bound to `crm`.
CALLERS: dict[str, tuple[str, dict[str, Any]]] = {
    "source": ("feed-crm", {"system": "crm", "password": None}),
    "consumer": ("reader", {"password": None}),
    "steward": ("ana", {}),
    "auditor": ("quinn", {}),
    "admin": ("root", {}),
}


def auth(app, role: str) -> dict[str, str]:
    """The Authorization header of the test principal playing `role`."""
    name, kw = CALLERS[role]
    return bearer(app, name, role, **kw)


def token_of(app, role: str) -> str:
    name, kw = CALLERS[role]
    return principal(app, name, role, **kw)


def problem(resp, status: int) -> dict[str, Any]:
    """`resp` is an RFC 9457 problem with `status` and no stack trace."""
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, text
    assert resp.content_type == PROBLEM, (resp.content_type, text)
    body = resp.get_json()
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    assert "Traceback" not in text and 'File "' not in text
    return body


def field_errors(body: dict[str, Any]) -> dict[str, Any]:
    """Errors by field: the service's own, or the schema's (webargs nests them under the location)."""
    errors = body.get("errors") or {}
    return errors.get("json", errors) if isinstance(errors.get("json"), dict) else errors


def db(app):
    return app.extensions["mdm.sessionmaker"]()


def audit(app, **query: Any) -> list[dict[str, Any]]:
    resp = app.test_client().get(f"{API}/audit", query_string={"limit": 1000, **query},
                                 headers=auth(app, "auditor"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["items"]


# -- 1. the route x role table ---------------------------------------------------------------------

ALL = frozenset(ROLES)
READERS = frozenset({"consumer", "steward", "auditor"})         # golden records, history, change feed
STEWARD_READ = frozenset({"steward", "auditor"})                # queue, quality, quarantine, lineage
STEWARD = frozenset({"steward"})
AUDITOR = frozenset({"auditor"})
ADMIN = frozenset({"admin"})
PRINCIPALS_READ = frozenset({"admin", "auditor"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    # a source writes as its own system only, and reads its own records and cross-references back
    ("POST", "/api/v1/sources/{system}/{domain}/records"): frozenset({"source"}),
    ("PUT", "/api/v1/sources/{system}/{domain}/records/{key}"): frozenset({"source"}),
    ("DELETE", "/api/v1/sources/{system}/{domain}/records/{key}"): frozenset({"source"}),
    ("GET", "/api/v1/sources/{system}/{domain}/records/{key}"): frozenset({"source", "steward", "auditor"}),
    ("GET", "/api/v1/xref/{system}/{domain}/{key}"): frozenset({"source", "consumer", "steward", "auditor"}),
    # consumers read golden records, their history and the change feed
    ("GET", "/api/v1/golden/{domain}"): READERS,
    ("GET", "/api/v1/golden/{domain}/{golden_id}"): READERS,
    ("GET", "/api/v1/golden/{domain}/{golden_id}/history"): READERS,
    ("GET", "/api/v1/changes"): READERS,
    # stewards: queue, decisions, merge, unmerge, pins, quarantine
    ("PATCH", "/api/v1/golden/{domain}/{golden_id}"): STEWARD,
    ("GET", "/api/v1/tasks"): STEWARD_READ,
    ("GET", "/api/v1/tasks/{task_id}"): STEWARD_READ,
    ("POST", "/api/v1/tasks/{task_id}/decision"): STEWARD,
    ("POST", "/api/v1/tasks/{task_id}/assign"): STEWARD,
    ("POST", "/api/v1/golden/{domain}/merge"): STEWARD,
    ("POST", "/api/v1/golden/{domain}/{golden_id}/unmerge"): STEWARD,
    ("GET", "/api/v1/quality/summary"): STEWARD_READ,
    ("GET", "/api/v1/quarantine"): STEWARD_READ,
    ("POST", "/api/v1/quarantine/retry"): STEWARD,
    # provenance: stewards (to decide merges and pins) and auditors
    ("GET", "/api/v1/lineage/golden/{domain}/{golden_id}"): STEWARD_READ,
    ("GET", "/api/v1/lineage/source/{system}/{domain}/{key}"): STEWARD_READ,
    ("GET", "/api/v1/lineage/runs"): STEWARD_READ,
    ("GET", "/api/v1/lineage/events"): STEWARD_READ,
    # governance content (what fields mean, how systems map, the rules) is for everyone signed in
    ("GET", "/api/v1/dictionary"): ALL,
    ("GET", "/api/v1/dictionary/{domain}"): ALL,
    ("GET", "/api/v1/dictionary/{domain}/schema"): ALL,
    ("GET", "/api/v1/dictionary/mappings/{system}"): ALL,
    ("GET", "/api/v1/governance/versions"): ALL,
    ("GET", "/api/v1/governance/versions/{version_id}"): ALL,
    ("GET", "/api/v1/rules"): ALL,
    ("GET", "/api/v1/rules/{domain}"): ALL,
    ("POST", "/api/v1/governance/reload"): ADMIN,
    # the audit trail is the auditor's
    ("GET", "/api/v1/audit"): AUDITOR,
    ("GET", "/api/v1/audit/verify"): AUDITOR,
    # principals and tokens: admins change them, auditors read them
    ("GET", "/api/v1/principals"): PRINCIPALS_READ,
    ("POST", "/api/v1/principals"): ADMIN,
    ("GET", "/api/v1/principals/{name}"): PRINCIPALS_READ,
    ("PATCH", "/api/v1/principals/{name}"): ADMIN,
    ("GET", "/api/v1/principals/{name}/tokens"): PRINCIPALS_READ,
    ("POST", "/api/v1/principals/{name}/tokens"): ADMIN,
    ("DELETE", "/api/v1/tokens/{token_id}"): ADMIN,
    ("GET", "/api/v1/me"): ALL,
}

# Another system's mapping: a source reads only its own (test_source_reads_only_its_own_mapping).
OTHER_SYSTEM_MAPPING = ("GET", "/api/v1/dictionary/mappings/{system}")
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(app) -> set[tuple[str, str]]:
    resp = app.test_client().get(f"{API}/openapi.json")  # public: no token
    assert resp.status_code == 200
    return {(m.upper(), path) for path, ops in resp.get_json()["paths"].items() for m in ops if m in METHODS}


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _call(client, method: str, url: str, headers: dict[str, str]):
    kw: dict[str, Any] = {"headers": headers}
    if method in ("POST", "PUT", "PATCH"):
        kw["json"] = [] if url.endswith("/records") else {}
    return client.open(url, method=method, **kw)


@pytest.fixture()
def target(app) -> dict[str, str]:
    """Concrete path values: a principal with a token that no test caller uses."""
    principal(app, "victim", "consumer", password=None)
    with db(app) as s:
        token_id = s.scalar(select(ApiToken.id).join(Principal, Principal.id == ApiToken.principal_id)
                            .where(Principal.name == "victim"))
    return {"system": "crm", "domain": "customer", "golden_id": "CUS-00000001", "task_id": "1", "key": "K-1",
            "name": "victim", "token_id": str(token_id), "version_id": "1"}


def test_every_openapi_operation_is_in_the_table(app) -> None:
    operations = _operations(app)
    assert operations, "the OpenAPI document lists no operations"
    assert sorted(operations - set(EXPECTED)) == [], "new operations: decide who may call them"
    assert sorted(set(EXPECTED) - operations) == [], "operations gone from the OpenAPI document"


@pytest.mark.parametrize("role", [None, *ROLES], ids=["no-token", *ROLES])
def test_route_table(app, raw_client, target, role: str | None) -> None:
    """Every OpenAPI operation called as `role`: 401, 403 (audited) or past the access check."""
    operations = _operations(app)
    headers = auth(app, role) if role else {}
    wrong: list[str] = []
    refused = 0
    for method, path in sorted(operations):
        url = _fill(path, target)
        resp = _call(raw_client, method, url, headers)
        status = resp.status_code
        if role is None:
            expected = "401"
            good = status == 401 and resp.content_type == PROBLEM and "Bearer" in resp.headers.get(
                "WWW-Authenticate", "")
        elif role in EXPECTED.get((method, path), frozenset()):
            expected = "allowed (the handler's own answer, no 5xx)"
            good = (status not in (401, 403) and status < 500
                    and (status < 400 or resp.content_type == PROBLEM))
        else:
            expected = "403"
            refused += 1
            good = status == 403 and resp.content_type == PROBLEM
        if not good:
            body = resp.get_data(as_text=True)[:160]
            wrong.append(f"{method} {url}: expected {expected}, got {status} {body}")
    assert not wrong, f"as {role or 'no token'}:\n" + "\n".join(wrong)
    # every refusal of a known caller is in the audit trail under its name, anonymous calls are not
    denied = audit(app, action="access_denied")
    assert len(denied) == refused
    assert {e["actor"] for e in denied} <= ({CALLERS[role][0]} if role else set())
    if role:  # who the hub takes the caller for
        me = raw_client.get(f"{API}/me", headers=headers).get_json()
        assert (me["name"], me["role"], me["system"], me["via"]) == (
            CALLERS[role][0], role, "crm" if role == "source" else None, "token")
        assert "csrf_token" not in me


def test_source_acts_only_for_its_own_system(app, raw_client, target) -> None:
    wrong = []
    for method, path in sorted(op for op in EXPECTED if "{system}" in op[1] and op != OTHER_SYSTEM_MAPPING):
        url = _fill(path, {**target, "system": "sap-erp"})
        resp = _call(raw_client, method, url, auth(app, "source"))
        if not (resp.status_code == 403 and resp.content_type == PROBLEM):
            wrong.append(f"{method} {url}: {resp.status_code} {resp.get_data(as_text=True)[:160]}")
    assert not wrong, "\n".join(wrong)
    with db(app) as s:
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 0


def test_source_reads_only_its_own_mapping(app, raw_client) -> None:
    assert raw_client.get(f"{API}/dictionary/mappings/crm", headers=auth(app, "source")).status_code == 200
    problem(raw_client.get(f"{API}/dictionary/mappings/sap-erp", headers=auth(app, "source")), 403)


def test_source_writes_only_domains_its_system_may_write(app, raw_client) -> None:
    """crm writes customers only (lineage/systems.yaml): products are refused, nothing is stored."""
    for method in ("POST", "PUT", "DELETE"):
        url = f"{API}/sources/crm/product/records" + ("" if method == "POST" else "/P-1")
        body = [{"MATNR": "1"}] if method == "POST" else {"MATNR": "1"}
        problem(raw_client.open(url, method=method, json=body, headers=auth(app, "source")), 403)
    with db(app) as s:
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 0


def test_public_routes_and_anonymous_calls(raw_client) -> None:
    for url in (f"{API}/openapi.json", f"{API}/docs", "/healthz", "/auth/sign-in"):
        assert raw_client.get(url).status_code == 200, url
    # an anonymous caller cannot even learn which routes exist
    problem(raw_client.get(f"{API}/no-such-route"), 401)
    problem(raw_client.options(f"{API}/golden/customer"), 401)
    # nor reach one by bending the path
    for path in ("/api//v1/golden/customer", "//api/v1/golden/customer", "/api/v1//golden/customer",
                 "/api/v1/golden/customer/", "/api/v1/./golden/customer", "/api/v1/../v1/golden/customer",
                 "/API/v1/golden/customer", "/api/v1/docs/assets/../../golden/customer",
                 "/api/v1%2Fgolden/customer"):
        resp = raw_client.get(path)
        assert resp.status_code in (308, 401, 404), (path, resp.status_code)
        assert resp.status_code == 308 or resp.content_type == PROBLEM, path
        assert '"items"' not in resp.get_data(as_text=True), path
    assert raw_client.head(f"{API}/golden/customer").status_code == 401


# -- 2. refusals are audited -----------------------------------------------------------------------

def test_a_403_is_audited_with_the_caller(app, raw_client) -> None:
    problem(raw_client.get(f"{API}/audit", headers=auth(app, "consumer")), 403)
    problem(raw_client.post(f"{API}/principals", json={"name": "x", "role": "admin"},
                            headers=auth(app, "steward")), 403)
    denied = audit(app, action="access_denied")
    assert [(e["actor"], e["entity_type"], e["entity_id"]) for e in denied] == [
        ("reader", "route", "GET /api/v1/audit"), ("ana", "route", "POST /api/v1/principals")]
    assert denied[0]["context"]["role"] == "consumer" and "consumer" in denied[0]["reason"]
    assert denied[1]["context"]["role"] == "steward"
    with db(app) as s:
        assert s.scalar(select(Principal.id).where(Principal.name == "x")) is None
    verified = raw_client.get(f"{API}/audit/verify", headers=auth(app, "auditor")).get_json()
    assert verified["ok"] is True


def test_a_source_cannot_write_as_another_system(app, raw_client) -> None:
    resp = raw_client.post(f"{API}/sources/sap-erp/customer/records", json=[SGH], headers=auth(app, "source"))
    body = problem(resp, 403)
    assert "crm" in body["detail"]
    (entry,) = audit(app, action="access_denied")
    assert entry["actor"] == "feed-crm"
    assert entry["entity_id"] == "POST /api/v1/sources/sap-erp/customer/records"
    assert entry["context"] == {"role": "source", "system": "crm"}
    with db(app) as s:
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 0
        assert s.scalar(select(func.count()).select_from(GoldenRecord)) == 0
    # and its own system is fine
    ok = raw_client.post(f"{API}/sources/crm/customer/records",
                         json=[crm_person("P-1", "Okafor", "Adaeze", "03/14/1979")],
                         headers=auth(app, "source"))
    assert ok.status_code == 200 and ok.get_json()["counts"]["created"] == 1


# -- 3. tokens ------------------------------------------------------------------------------------

def _token_id(app, name: str) -> int:
    with db(app) as s:
        return s.scalar(select(ApiToken.id).join(Principal, Principal.id == ApiToken.principal_id)
                        .where(Principal.name == name, ApiToken.kind == "api").order_by(ApiToken.id.desc()))


def unauthorized(resp) -> None:
    problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(app, raw_client) -> None:
    headers = auth(app, "consumer")
    token_id = _token_id(app, "reader")

    def expires(delta: dt.timedelta) -> None:
        with db(app) as s:
            s.execute(update(ApiToken).where(ApiToken.id == token_id).values(expires_at=utcnow() + delta))
            s.commit()

    expires(dt.timedelta(minutes=5))
    assert raw_client.get(f"{API}/me", headers=headers).status_code == 200
    expires(-dt.timedelta(seconds=1))
    unauthorized(raw_client.get(f"{API}/me", headers=headers))


def test_revoked_token_is_401(app, raw_client) -> None:
    headers = auth(app, "consumer")
    token_id = _token_id(app, "reader")
    assert raw_client.get(f"{API}/me", headers=headers).status_code == 200
    resp = raw_client.delete(f"{API}/tokens/{token_id}", query_string={"reason": "leaked"},
                             headers=auth(app, "admin"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["revoked_at"] and resp.get_json()["principal"] == "reader"
    unauthorized(raw_client.get(f"{API}/me", headers=headers))
    problem(raw_client.delete(f"{API}/tokens/{token_id}", headers=auth(app, "admin")), 409)
    problem(raw_client.delete(f"{API}/tokens/99999", headers=auth(app, "admin")), 404)
    (entry,) = audit(app, action="token_revoke")
    assert entry["actor"] == "root" and entry["entity_id"] == "reader" and entry["reason"] == "leaked"


def test_disabling_a_principal_ends_its_tokens(app, raw_client) -> None:
    headers = auth(app, "consumer")
    assert raw_client.get(f"{API}/me", headers=headers).status_code == 200
    resp = raw_client.patch(f"{API}/principals/reader", json={"active": False, "reason": "left the company"},
                            headers=auth(app, "admin"))
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    unauthorized(raw_client.get(f"{API}/me", headers=headers))
    with db(app) as s:
        assert s.get(ApiToken, _token_id(app, "reader")).revoked_at is not None
    (entry,) = audit(app, action="principal_change")
    assert entry["before"]["active"] is True and entry["after"]["active"] is False
    assert entry["after"]["tokens_revoked"] == 1 and entry["reason"] == "left the company"
    # no new token while disabled, and enabling again does not bring the revoked one back
    problem(raw_client.post(f"{API}/principals/reader/tokens", json={}, headers=auth(app, "admin")), 409)
    raw_client.patch(f"{API}/principals/reader", json={"active": True, "reason": "back"},
                     headers=auth(app, "admin"))
    unauthorized(raw_client.get(f"{API}/me", headers=headers))


MALFORMED = ("Bearer", "Bearer ", "Bearer mdm_", "Bearer mdm_not-a-token", "Basic cmVhZGVyOnBhc3N3b3Jk",
             "Token {token}", "{token}", "Bearer {token}x", "Bearer x{token}", "Bearer {token} {token}",
             "Bearer {token},", "Bearer mdm_" + "a" * 300, "Bearer {session}")


def test_malformed_or_unknown_authorization_is_401(app, raw_client) -> None:
    from mdm.auth import principals as svc

    token = token_of(app, "consumer")
    with db(app) as s:  # a browser session's secret is no bearer token
        session_secret, _ = svc.issue_token(s, "reader", actor="reader", kind="session")
        s.commit()
    wrong = []
    for value in MALFORMED:
        header = value.format(token=token, session=session_secret)
        resp = raw_client.get(f"{API}/me", headers={"Authorization": header})
        if not (resp.status_code == 401 and resp.content_type == PROBLEM
                and resp.headers.get("WWW-Authenticate", "").startswith("Bearer")):
            wrong.append(f"{value[:40]!r}: {resp.status_code}")
    assert not wrong
    # the scheme is case-insensitive, and the right token still works after all that
    for scheme in ("Bearer", "bearer", "BEARER"):
        resp = raw_client.get(f"{API}/me", headers={"Authorization": f"{scheme} {token}"})
        assert resp.status_code == 200 and resp.get_json()["name"] == "reader"


def test_only_the_hash_is_stored_and_the_secret_is_shown_once(app, raw_client) -> None:
    principal(app, "reader", "consumer", password=None)
    resp = raw_client.post(f"{API}/principals/reader/tokens", json={"label": "etl", "expires_days": 30},
                           headers=auth(app, "admin"))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    created = resp.get_json()
    secret = created["token"]
    assert secret.startswith("mdm_") and len(secret) >= 40 and created["prefix"] == secret[:12]
    assert created["expires_at"] and created["label"] == "etl"
    with db(app) as s:
        row = s.get(ApiToken, created["id"])
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        stored = [str(v) for t in s.scalars(select(ApiToken)) for v in vars(t).values()]
    assert not [v for v in stored if secret in v or secret[12:] in v]
    # it works, once shown
    me = raw_client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["name"] == "reader" and me.get_json()["via"] == "token"
    # listing never shows it, to admins or auditors
    for role in ("admin", "auditor"):
        listed = raw_client.get(f"{API}/principals/reader/tokens", headers=auth(app, role))
        assert listed.status_code == 200
        text = listed.get_data(as_text=True)
        assert secret not in text and secret[12:] not in text
        assert all("token" not in t and "token_hash" not in t for t in listed.get_json()["items"])
        assert created["id"] in [t["id"] for t in listed.get_json()["items"]]
    (entry,) = audit(app, action="token_create")
    assert entry["actor"] == "root" and entry["entity_id"] == "reader"
    assert secret not in json.dumps(entry) and secret[12:] not in json.dumps(entry)


def test_last_used_at_is_set_on_use(app, raw_client) -> None:
    headers = auth(app, "consumer")
    token_id = _token_id(app, "reader")
    with db(app) as s:
        assert s.get(ApiToken, token_id).last_used_at is None
    before = utcnow()
    assert raw_client.get(f"{API}/me", headers=headers).status_code == 200
    with db(app) as s:
        used = s.get(ApiToken, token_id).last_used_at
    assert used is not None
    assert to_utc(used) >= before - dt.timedelta(seconds=1)
    listed = raw_client.get(f"{API}/principals/reader/tokens", headers=auth(app, "auditor")).get_json()
    assert listed["items"][0]["last_used_at"]


def test_role_change_takes_effect_on_the_next_request(app, raw_client) -> None:
    headers = auth(app, "consumer")
    problem(raw_client.get(f"{API}/tasks", headers=headers), 403)
    resp = raw_client.patch(f"{API}/principals/reader", json={"role": "steward", "reason": "joined the team"},
                            headers=auth(app, "admin"))
    assert resp.status_code == 200 and resp.get_json()["role"] == "steward"
    assert raw_client.get(f"{API}/tasks", headers=headers).status_code == 200
    assert raw_client.get(f"{API}/me", headers=headers).get_json()["role"] == "steward"


# -- 4. principals API ---------------------------------------------------------------------------

STRONG = "a long enough passphrase"


def test_create_user_and_system_principals(app, raw_client) -> None:
    admin = auth(app, "admin")
    user = raw_client.post(f"{API}/principals", json={"name": "bob", "role": "steward", "password": STRONG,
                                                       "display_name": "Bob Steward"}, headers=admin)
    assert user.status_code == 201, user.get_data(as_text=True)
    assert {k: user.get_json()[k] for k in ("name", "kind", "role", "system", "display_name", "active",
                                             "has_password", "created_by")} == {
        "name": "bob", "kind": "user", "role": "steward", "system": None, "display_name": "Bob Steward",
        "active": True, "has_password": True, "created_by": "root"}
    assert "password" not in user.get_json() and STRONG not in user.get_data(as_text=True)
    feed = raw_client.post(f"{API}/principals", json={"name": "feed", "role": "source", "system": "crm"},
                           headers=admin)
    assert feed.status_code == 201, feed.get_data(as_text=True)
    assert (feed.get_json()["kind"], feed.get_json()["system"], feed.get_json()["has_password"]) == (
        "system", "crm", False)
    with db(app) as s:
        stored = s.scalar(select(Principal.password_hash).where(Principal.name == "bob"))
    assert stored.startswith("$argon2id$") and STRONG not in stored
    created = audit(app, action="principal_create")
    assert [(e["actor"], e["entity_id"], e["after"]["role"]) for e in created] == [
        ("root", "bob", "steward"), ("root", "feed", "source")]
    assert STRONG not in json.dumps(created)
    # the new system account's token writes as crm, and only as crm
    token = raw_client.post(f"{API}/principals/feed/tokens", json={}, headers=admin).get_json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    ok = raw_client.post(f"{API}/sources/crm/customer/records",
                         json=[crm_person("P-1", "Okafor", "Ada", "03/14/1979")], headers=h)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    problem(raw_client.post(f"{API}/sources/sap-erp/customer/records", json=[SGH], headers=h), 403)
    # the user signs in with the password given
    assert _sign_in(raw_client, "bob", STRONG).status_code == 303


INVALID_PRINCIPALS = [
    ({"name": "bad name!", "role": "consumer"}, "name"),
    ({"name": "-dash", "role": "consumer"}, "name"),
    ({"name": "x" * 65, "role": "consumer"}, "name"),
    ({"name": "", "role": "consumer"}, "name"),
    ({"name": "wiz", "role": "wizard"}, "role"),
    ({"name": "wiz"}, "role"),
    ({"name": "feed", "role": "source"}, "system"),
    ({"name": "feed", "role": "source", "system": "nope"}, "system"),
    ({"name": "feed", "role": "consumer", "system": "crm"}, "system"),
    ({"name": "bob", "role": "steward", "password": "short"}, "password"),
    ({"name": "bob", "role": "steward", "kind": "robot"}, "kind"),
]


def test_principal_validation_errors_by_field(app, raw_client) -> None:
    wrong = []
    for body, field in INVALID_PRINCIPALS:
        resp = raw_client.post(f"{API}/principals", json=body, headers=auth(app, "admin"))
        errors = field_errors(problem(resp, 422))
        if field not in errors:
            wrong.append(f"{body}: {errors}")
    assert not wrong
    with db(app) as s:
        assert s.scalar(select(func.count()).select_from(Principal)) == 1  # the admin
    assert audit(app, action="principal_create") == []


def test_duplicate_principal_is_409(app, raw_client) -> None:
    admin = auth(app, "admin")
    first = raw_client.post(f"{API}/principals", json={"name": "dup", "role": "consumer"}, headers=admin)
    assert first.status_code == 201
    problem(raw_client.post(f"{API}/principals", json={"name": "dup", "role": "auditor"}, headers=admin), 409)
    problem(raw_client.post(f"{API}/principals", json={"name": "root", "role": "consumer"}, headers=admin),
            409)
    got = raw_client.get(f"{API}/principals/dup", headers=auth(app, "auditor")).get_json()
    assert got["role"] == "consumer"


def test_role_change_is_audited_with_before_and_after(app, raw_client) -> None:
    principal(app, "reader", "consumer", password=None)
    resp = raw_client.patch(f"{API}/principals/reader", json={"role": "auditor", "reason": "QA audit 2025"},
                            headers=auth(app, "admin"))
    assert resp.status_code == 200 and resp.get_json()["role"] == "auditor"
    (entry,) = audit(app, action="role_change")
    assert (entry["actor"], entry["entity_type"], entry["entity_id"], entry["reason"]) == (
        "root", "principal", "reader", "QA audit 2025")
    assert entry["before"]["role"] == "consumer" and entry["after"]["role"] == "auditor"
    # a change that leaves the role as it is is a principal_change, not a role_change
    raw_client.patch(f"{API}/principals/reader", json={"display_name": "R. Eader", "reason": "typo"},
                     headers=auth(app, "admin"))
    assert len(audit(app, action="role_change")) == 1
    (changed,) = audit(app, action="principal_change")
    assert changed["after"]["display_name"] == "R. Eader"


CHANGE_REFUSALS = [
    ("reader", {"role": "steward"}, 422, "reason"),
    ("reader", {"role": "wizard", "reason": "r"}, 422, "role"),
    ("reader", {"role": "source", "reason": "r"}, 422, "role"),
    ("feed-crm", {"role": "consumer", "reason": "r"}, 422, "role"),
    ("reader", {"password": "short", "reason": "r"}, 422, "password"),
    ("reader", {"active": "maybe", "reason": "r"}, 422, "active"),
    ("nobody", {"role": "steward", "reason": "r"}, 404, None),
]


def test_principal_change_refusals(app, raw_client) -> None:
    principal(app, "reader", "consumer", password=None)
    principal(app, "feed-crm", "source", system="crm", password=None)
    for name, body, status, field in CHANGE_REFUSALS:
        resp = raw_client.patch(f"{API}/principals/{name}", json=body, headers=auth(app, "admin"))
        out = problem(resp, status)
        if field:
            assert field in field_errors(out), (body, out)
    with db(app) as s:
        state = {n: (r, a) for n, r, a in s.execute(select(Principal.name, Principal.role, Principal.active))}
    assert state["reader"] == ("consumer", True) and state["feed-crm"] == ("source", True)
    assert audit(app, action="role_change") == [] and audit(app, action="principal_change") == []


# -- 5. browser sessions --------------------------------------------------------------------------

def _csrf(client, url: str = "/auth/sign-in") -> str:
    page = client.get(url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    found = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def _sign_in(client, name: str, password: str, **extra: str):
    return client.post("/auth/sign-in", data={"csrf_token": _csrf(client), "username": name,
                                              "password": password, **extra})


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _without_csrf(resp) -> str:
    return re.sub(r'name="csrf_token" value="[0-9a-f]{64}"', "", resp.get_data(as_text=True))


def _session_rows(app) -> list[ApiToken]:
    with db(app) as s:
        return list(s.scalars(select(ApiToken).where(ApiToken.kind == "session")))


def test_sign_in_form_has_csrf_field(raw_client) -> None:
    page = raw_client.get("/auth/sign-in")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert re.search(r'<input type="hidden" name="csrf_token" value="[0-9a-f]{64}">', html)
    assert 'name="username"' in html and 'type="password"' in html
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_sign_in_without_the_right_csrf_token_is_400(app, raw_client) -> None:
    principal(app, "ana", "steward")
    right = _csrf(raw_client)  # the browser has a session with a seed, but does not send its token
    for token in (None, "", "0" * 64, right[:-1], right.upper()):
        data = {"username": "ana", "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        resp = raw_client.post("/auth/sign-in", data=data)
        assert resp.status_code == 400 and "Location" not in resp.headers, token
        assert 'name="csrf_token"' in resp.get_data(as_text=True)  # the form again, with a fresh token
    # a token from another browser's session does not fit this one
    other = app.test_client()
    resp = other.post("/auth/sign-in", data={"csrf_token": right, "username": "ana", "password": PASSWORD})
    assert resp.status_code == 400
    assert _session_rows(app) == []
    problem(raw_client.get(f"{API}/me"), 401)
    assert audit(app, action="sign_in") == [] and audit(app, action="sign_in_failed") == []


def test_sign_in_session_csrf_and_sign_out(app, client, raw_client) -> None:
    principal(app, "ana", "steward", display_name="Ana Steward")
    post(client, "sap-erp", "customer", [SGH])
    assert post(client, "crm", "customer", [REVIEW])["counts"]["review"] == 1  # task 1 for the steward
    resp = _sign_in(raw_client, "ana", PASSWORD)
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "; HttpOnly" in cookie and "; SameSite=Lax" in cookie
    assert PASSWORD not in cookie
    # the cookie does not outlive the server-side session (8 hours)
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8, minutes=1)
    me = raw_client.get(f"{API}/me")
    assert me.status_code == 200, me.get_data(as_text=True)
    body = me.get_json()
    assert (body["name"], body["role"], body["via"], body["display_name"]) == ("ana", "steward", "session",
                                                                                "Ana Steward")
    csrf = body["csrf_token"]
    assert re.fullmatch(r"[0-9a-f]{64}", csrf)
    (row,) = _session_rows(app)
    assert row.revoked_at is None and row.expires_at is not None
    # a write with the cookie but without the CSRF token is refused; with it, it is done
    task = raw_client.get(f"{API}/tasks/1")
    assert task.status_code == 200 and task.get_json()["assignee"] is None
    assign, etag = f"{API}/tasks/1/assign", task.headers["ETag"]
    for headers in ({"If-Match": etag}, {"If-Match": etag, "X-CSRF-Token": "0" * 64}):
        problem(raw_client.post(assign, json={"assignee": "ana"}, headers=headers), 403)
    assert raw_client.get(f"{API}/tasks/1").get_json()["assignee"] is None
    done = raw_client.post(assign, json={"assignee": "ana"}, headers={"If-Match": etag, "X-CSRF-Token": csrf})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert raw_client.get(f"{API}/tasks/1").get_json()["assignee"] == "ana"
    (assigned,) = audit(app, action="assign")
    assert assigned["actor"] == "ana"
    # the session has the steward's role: no more
    problem(raw_client.get(f"{API}/audit"), 403)
    (signed_in,) = audit(app, action="sign_in")
    assert signed_in["actor"] == "ana"
    # sign-out needs the token too, then revokes the session: the old cookie no longer works
    old = _session_cookie(raw_client)
    assert raw_client.post("/auth/sign-out", data={}).status_code == 400
    assert raw_client.get(f"{API}/me").status_code == 200
    out = raw_client.post("/auth/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["Location"] == "/auth/sign-in"
    problem(raw_client.get(f"{API}/me"), 401)
    raw_client.set_cookie("session", old)
    problem(raw_client.get(f"{API}/me"), 401)
    (row,) = _session_rows(app)
    assert row.revoked_at is not None
    assert [e["actor"] for e in audit(app, action="sign_out")] == ["ana"]


def test_disabling_a_person_ends_their_browser_session(app, raw_client) -> None:
    principal(app, "ana", "steward")
    assert _sign_in(raw_client, "ana", PASSWORD).status_code == 303
    assert raw_client.get(f"{API}/me").status_code == 200
    admin = app.test_client()  # another browser: the admin's token
    resp = admin.patch(f"{API}/principals/ana", json={"active": False, "reason": "left"},
                       headers=auth(app, "admin"))
    assert resp.status_code == 200
    problem(raw_client.get(f"{API}/me"), 401)
    assert _sign_in(raw_client, "ana", PASSWORD).status_code == 401


def test_a_new_password_ends_sessions_but_not_api_tokens(app, raw_client) -> None:
    token = {"Authorization": f"Bearer {principal(app, 'ana', 'steward')}"}
    assert _sign_in(raw_client, "ana", PASSWORD).status_code == 303
    new = "a brand new long passphrase"
    resp = app.test_client().patch(f"{API}/principals/ana", json={"password": new, "reason": "reset"},
                                   headers=auth(app, "admin"))
    assert resp.status_code == 200 and new not in resp.get_data(as_text=True)
    problem(raw_client.get(f"{API}/me"), 401)
    assert raw_client.get(f"{API}/me", headers=token).status_code == 200
    (entry,) = audit(app, action="principal_change")
    assert entry["after"]["password"] == "changed" and new not in json.dumps(entry)
    raw_client.delete_cookie("session")
    assert _sign_in(raw_client, "ana", PASSWORD).status_code == 401
    assert _sign_in(raw_client, "ana", new).status_code == 303


def test_expired_session_is_401(app, raw_client) -> None:
    principal(app, "ana", "steward")
    assert _sign_in(raw_client, "ana", PASSWORD).status_code == 303
    assert raw_client.get(f"{API}/me").status_code == 200
    with db(app) as s:
        s.execute(update(ApiToken).where(ApiToken.kind == "session").values(expires_at=utcnow()))
        s.commit()
    problem(raw_client.get(f"{API}/me"), 401)


def test_a_system_account_cannot_sign_in(app, raw_client) -> None:
    principal(app, "feed-crm", "source", system="crm", password=None)
    resp = _sign_in(raw_client, "feed-crm", "")
    assert resp.status_code == 401 and _session_rows(app) == []


def test_failed_sign_ins_are_audited_and_throttled_per_name(app, raw_client) -> None:
    principal(app, "ana", "steward")
    principal(app, "bob", "consumer")
    for n in range(5):
        resp = _sign_in(raw_client, "ana", f"wrong password {n}")
        assert resp.status_code == 401 and "Location" not in resp.headers
    failed = audit(app, action="sign_in_failed")
    assert [(e["actor"], e["entity_id"]) for e in failed] == [("ana", "ana")] * 5
    assert all(e["context"]["remote"] for e in failed)
    # an unknown name gets the same answer as a wrong password
    unknown = _sign_in(raw_client, "anna", "wrong password")
    wrong = _sign_in(raw_client, "bob", "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert _without_csrf(unknown) == _without_csrf(wrong)
    # the sixth attempt is refused even with the right password
    resp = _sign_in(raw_client, "ana", PASSWORD)
    assert resp.status_code == 429
    assert _session_rows(app) == []
    problem(raw_client.get(f"{API}/me"), 401)
    (throttled,) = audit(app, action="sign_in_throttled")
    assert throttled["entity_id"] == "ana"
    assert audit(app, action="sign_in") == []
    # another name from the same address is not locked out (bob has one failure)
    assert _sign_in(raw_client, "bob", PASSWORD).status_code == 303


def test_sign_ins_are_throttled_per_address(app, raw_client) -> None:
    principal(app, "ana", "steward")
    assert _sign_in(raw_client, "nobody", "guess").status_code == 401  # one failure from here, over HTTP
    with db(app) as s:
        (remote,) = s.scalars(select(SignInFailure.remote)).all()
        assert remote == "127.0.0.1"
        s.add_all([SignInFailure(name=f"guess{n}", remote=remote) for n in range(18)])  # 19 in the window
        s.add(SignInFailure(name="old", remote=remote, at=utcnow() - dt.timedelta(minutes=16)))  # outside it
        s.commit()
    assert _sign_in(raw_client, "ana", PASSWORD).status_code == 303  # 19 failures: still allowed
    raw_client.delete_cookie("session")
    assert _sign_in(raw_client, "nobody", "guess").status_code == 401  # the 20th
    resp = _sign_in(raw_client, "ana", PASSWORD)
    assert resp.status_code == 429 and len(_session_rows(app)) == 1
    assert [e["context"]["remote"] for e in audit(app, action="sign_in_throttled")] == ["127.0.0.1"]
    # from another address the person can still sign in
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert _sign_in(other, "ana", PASSWORD).status_code == 303


NEXT = [
    ("//evil.example", "/"),
    ("https://evil.example", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/\t/evil.example", "/"),        # browsers drop tabs and line breaks: this would be //evil.example
    ("/\r\n/evil.example", "/"),     # and a line break in Location must not become a 500
    ("/api/v1/docs?x=1", "/api/v1/docs?x=1"),
]


def test_sign_in_next_stays_on_the_hub(app, raw_client) -> None:
    principal(app, "ana", "steward")
    for nxt, location in NEXT:
        raw_client.delete_cookie("session")
        resp = _sign_in(raw_client, "ana", PASSWORD, next=nxt)
        assert resp.status_code == 303 and resp.headers["Location"] == location, nxt
        # the form carries it only when it is safe
        page = raw_client.get("/auth/sign-in", query_string={"next": nxt}).get_data(as_text=True)
        assert f'name="next" value="{html.escape(location)}"' in page, nxt


# -- 6. masking -----------------------------------------------------------------------------------

FAMILY = "Wojciechowska"
GIVEN = "Zofia"
NPI = "1234567893"
EMAIL = "z.wojciechowska@clinic.example"
PERSON = crm_person("P-1", FAMILY, GIVEN, "03/14/1979", NPI__c=NPI, Email=EMAIL, Phone="+1 555 0100",
                    BillingStreet="Elm Street 4")
PERSONAL = ("given_name", "family_name", "date_of_birth", "national_id", "email", "phone", "street")
SECRETS = (FAMILY, GIVEN, NPI, EMAIL, "1979-03-14", "555 0100", "Elm Street")


@pytest.fixture()
def people(app, client) -> dict[str, str]:
    """A healthcare professional from crm and a hospital from sap-erp: their golden ids."""
    person = post(client, "crm", "customer", [PERSON])["results"][0]["golden_id"]
    hospital = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    return {"person": person, "hospital": hospital}


def _bodies(app, raw_client, role: str, people: dict[str, str]) -> dict[str, Any]:
    h = auth(app, role)
    urls = {"one": f"{API}/golden/customer/{people['person']}", "list": f"{API}/golden/customer",
            "history": f"{API}/golden/customer/{people['person']}/history", "changes": f"{API}/changes",
            "hospital": f"{API}/golden/customer/{people['hospital']}"}
    out = {}
    for key, url in urls.items():
        resp = raw_client.get(url, headers=h)
        assert resp.status_code == 200, (url, resp.get_data(as_text=True))
        out[key] = resp
    return out


def test_consumer_sees_personal_fields_masked(app, raw_client, people) -> None:
    got = _bodies(app, raw_client, "consumer", people)
    data = got["one"].get_json()["data"]
    assert data["party_type"] == "person"
    assert {f: data[f] for f in PERSONAL} == {f: "***" for f in PERSONAL}
    listed = {r["id"]: r["data"] for r in got["list"].get_json()["items"]}
    assert {f: listed[people["person"]][f] for f in PERSONAL} == {f: "***" for f in PERSONAL}
    # an organisation's name is public
    assert listed[people["hospital"]]["name"] == "Springfield General Hospital"
    assert got["hospital"].get_json()["data"]["name"] == "Springfield General Hospital"
    assert got["hospital"].get_json()["data"]["city"] == "Springfield"
    for key, resp in got.items():
        text = resp.get_data(as_text=True)
        assert not [s for s in SECRETS if s in text], key


def test_steward_and_auditor_see_personal_fields(app, raw_client, people) -> None:
    for role in ("steward", "auditor"):
        got = _bodies(app, raw_client, role, people)
        data = got["one"].get_json()["data"]
        assert (data["family_name"], data["given_name"], data["date_of_birth"], data["national_id"],
                data["email"]) == (FAMILY, GIVEN, "1979-03-14", NPI, EMAIL), role
        for key in ("list", "history", "changes"):
            assert FAMILY in got[key].get_data(as_text=True), (role, key)


def test_source_reading_back_sees_no_personal_values(app, raw_client, people) -> None:
    resp = raw_client.get(f"{API}/sources/crm/customer/records/P-1", headers=auth(app, "source"))
    assert resp.status_code == 200
    assert not [s for s in SECRETS if s in resp.get_data(as_text=True)]
    assert resp.get_json()["raw"]["LastName"] == "***" and resp.get_json()["payload"]["family_name"] == "***"


def test_confidential_supplier_risk_class_is_masked_for_consumers(app, client, raw_client) -> None:
    record = {"vendorId": "V-2020-0001", "companyName": "Acme Polymers", "addressLine1": "Harbor Road 3",
              "city": "Galway", "countryCode": "IE", "qualificationStatus": "APPROVED", "riskTier": "1"}
    gid = post(client, "supplier-portal", "supplier", [record])["results"][0]["golden_id"]
    url = f"{API}/golden/supplier/{gid}"
    consumer = raw_client.get(url, headers=auth(app, "consumer")).get_json()["data"]
    assert consumer["risk_class"] == "***" and consumer["name"] == "Acme Polymers"
    assert consumer["street"] == "Harbor Road 3"  # public for a supplier
    steward = raw_client.get(url, headers=auth(app, "steward")).get_json()["data"]
    assert steward["risk_class"] == "high"


def test_change_feed_masks_by_each_records_domain(app, client, raw_client, people) -> None:
    """One feed, several domains: a supplier's street is public, a person's street is personal."""
    record = {"vendorId": "V-2020-0001", "companyName": "Acme Polymers", "addressLine1": "Harbor Road 3",
              "city": "Galway", "countryCode": "IE", "qualificationStatus": "APPROVED", "riskTier": "1"}
    post(client, "supplier-portal", "supplier", [record])
    resp = raw_client.get(f"{API}/changes", headers=auth(app, "consumer"))
    items = {i["golden_id"]: i["data"] for i in resp.get_json()["items"]}
    (supplier,) = [d for g, d in items.items() if g.startswith("SUP-")]
    assert supplier["risk_class"] == "***" and supplier["street"] == "Harbor Road 3"
    assert items[people["person"]]["street"] == "***" and items[people["person"]]["family_name"] == "***"
    assert items[people["hospital"]]["name"] == "Springfield General Hospital"
    assert not [s for s in SECRETS if s in resp.get_data(as_text=True)]


def test_governance_content_is_not_masked(app, raw_client) -> None:
    masked = []
    for role, url in (("consumer", f"{API}/dictionary/customer"),
                      ("consumer", f"{API}/dictionary/customer/schema"),
                      ("source", f"{API}/dictionary/mappings/crm"), ("consumer", f"{API}/rules/customer")):
        resp = raw_client.get(url, headers=auth(app, role))
        assert resp.status_code == 200
        if '"***"' in resp.get_data(as_text=True):
            masked.append(url)
    assert masked == []


# -- 7. headers and errors ------------------------------------------------------------------------

def test_security_headers_on_an_authenticated_response(app, raw_client) -> None:
    resp = raw_client.get(f"{API}/golden/customer", headers=auth(app, "consumer"))
    assert resp.status_code == 200
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in resp.headers  # plain http in tests
    https = raw_client.get(f"{API}/me", headers=auth(app, "consumer"), base_url="https://localhost")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def _error_cases(app, raw_client) -> dict[int, Any]:
    src = auth(app, "source")
    app.config["MAX_CONTENT_LENGTH"] = 2048
    return {
        401: raw_client.get(f"{API}/golden/customer"),
        403: raw_client.get(f"{API}/audit", headers=auth(app, "consumer")),
        404: raw_client.get(f"{API}/no-such-route", headers=auth(app, "consumer")),
        405: raw_client.get(f"{API}/sources/crm/customer/records", headers=src),
        413: raw_client.post(f"{API}/sources/crm/customer/records", data="[" + " " * 4096 + "]",
                             content_type="application/json", headers=src),
        415: raw_client.put(f"{API}/sources/crm/customer/records/K-1", data="Id=K-1",
                            content_type="text/plain", headers=src),
        422: raw_client.post(f"{API}/principals", json={"name": "x"}, headers=auth(app, "admin")),
    }


def test_errors_are_problems_without_stack_traces(app, raw_client) -> None:
    cases = _error_cases(app, raw_client)
    for status, resp in cases.items():
        problem(resp, status)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", status
        assert resp.headers["X-Frame-Options"] == "DENY", status
        if status != 401:
            assert resp.headers["Cache-Control"] == "no-store", status
    assert "POST" in cases[405].headers["Allow"]


# -- 8. settings ----------------------------------------------------------------------------------

LONG_SECRET = "s3cr3t-" + "x" * 40
LONG_AUDIT = "audit-" + "y" * 40


@pytest.mark.parametrize("config, named", [
    ({}, ["MDM_SECRET_KEY", "MDM_AUDIT_KEY"]),
    (dict(DEFAULT_SECRETS), ["MDM_SECRET_KEY", "MDM_AUDIT_KEY"]),
    ({"SECRET_KEY": LONG_SECRET, "AUDIT_KEY": DEFAULT_SECRETS["AUDIT_KEY"]}, ["MDM_AUDIT_KEY"]),
    ({"SECRET_KEY": DEFAULT_SECRETS["SECRET_KEY"], "AUDIT_KEY": LONG_AUDIT}, ["MDM_SECRET_KEY"]),
    ({"SECRET_KEY": "short", "AUDIT_KEY": LONG_AUDIT}, ["MDM_SECRET_KEY"]),
    ({"SECRET_KEY": LONG_SECRET, "AUDIT_KEY": "", "TESTING": False, "DEMO": False}, ["MDM_AUDIT_KEY"]),
])
def test_require_secrets_refuses_default_or_weak_secrets(config: dict[str, Any], named: list[str]) -> None:
    with pytest.raises(SettingsError) as info:
        require_secrets(config)
    message = str(info.value)
    for variable in ("MDM_SECRET_KEY", "MDM_AUDIT_KEY"):
        assert (variable in message) == (variable in named), message


@pytest.mark.parametrize("config", [
    {"SECRET_KEY": LONG_SECRET, "AUDIT_KEY": LONG_AUDIT},
    {**DEFAULT_SECRETS, "TESTING": True},
    {**DEFAULT_SECRETS, "DEMO": True},
])
def test_require_secrets_accepts(config: dict[str, Any]) -> None:
    require_secrets(config)
