"""Signed steward decisions (21 CFR Part 11 §11.50, §11.70) and If-Match on steward writes.

Each steward write names what the steward looked at (If-Match, 428 without it, 412 when stale) and
carries a signature confirmed by the steward's password; the manifest (printed name, time, meaning)
is bound by hash to the golden version it signs and shown with that version.
"""

from __future__ import annotations

import re
import threading

import pytest
from signing import PASSWORD, principal
from sqlalchemy import func, select, update
from test_steward import OTHER, SGH, golden, golden_id, ok, problem, review_task, snapshot

from mdm.models import AuditEvent, GoldenVersion, Signature

ANA = {"X-Test-As": "ana"}


def _audit_actions(app) -> list[str]:
    with app.extensions["mdm.sessionmaker"]() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _two(client) -> tuple[str, str]:
    return golden_id(client, "sap-erp", [SGH]), golden_id(client, "crm", [OTHER])


@pytest.mark.parametrize("meaning", ["review", "approval", "responsibility"])
def test_merge_is_signed_and_the_manifest_shows_with_the_version(client, app, meaning) -> None:
    principal(app, "ana", "steward", display_name="Ana Lima")
    a, b = _two(client)
    out = ok(client.post("/api/v1/golden/customer/merge", headers=ANA, json={
        "survivor": a, "merged": [b], "reason": "same hospital", "signature": {"meaning": meaning,
                                                                              "password": PASSWORD}}))
    assert {s["golden_id"] for s in out["signatures"]} == {a, b}
    rec = golden(client, a)
    (sig,) = rec["signatures"]
    assert (sig["signer"], sig["printed_name"], sig["meaning"], sig["action"], sig["reason"], sig["valid"]) == (
        "ana", "Ana Lima", meaning, "merge", "same hospital", True)
    assert sig["signed_at"].endswith("+00:00") and len(sig["record_hash"]) == 64
    history = ok(client.get(f"/api/v1/golden/customer/{a}/history"))["versions"]
    assert [v["signatures"] for v in history[:-1]] == [[] for _ in history[:-1]]
    assert history[-1]["signatures"][0]["record_hash"] == sig["record_hash"]
    lineage = ok(client.get(f"/api/v1/lineage/golden/customer/{a}"))
    assert [x["record_hash"] for x in lineage["signatures"]] == [sig["record_hash"]]
    # the signature is in the audit chain too
    assert "sign" in _audit_actions(app)


def test_a_changed_version_or_manifest_no_longer_verifies(client, app) -> None:
    a, b = _two(client)
    ok(client.post("/api/v1/golden/customer/merge", json={"survivor": a, "merged": [b], "reason": "dup"}))
    version = golden(client, a)["version"]
    with app.extensions["mdm.sessionmaker"]() as s:
        s.execute(update(Signature).where(Signature.golden_id == a).values(printed_name="Someone Else"))
        s.commit()
    assert golden(client, a)["signatures"][0]["valid"] is False
    with app.extensions["mdm.sessionmaker"]() as s:
        s.execute(update(Signature).where(Signature.golden_id == a).values(printed_name="Steward"))
        s.commit()
    assert golden(client, a)["signatures"][0]["valid"] is True
    with app.extensions["mdm.sessionmaker"]() as s:
        gv = s.scalar(select(GoldenVersion).where(GoldenVersion.golden_id == a, GoldenVersion.version == version))
        gv.data = {**gv.data, "name": "Rewritten Hospital"}
        s.commit()
    assert golden(client, a)["signatures"][0]["valid"] is False


@pytest.mark.parametrize("action", ["merge", "unmerge", "pin", "decision"])
def test_every_signed_action_names_its_signer(client, app, action) -> None:
    if action == "decision":
        candidate, _own, task = review_task(client)
        ok(client.post(f"/api/v1/tasks/{task['id']}/decision", headers=ANA,
                       json={"decision": "not_a_match", "reason": "two sites"}))
        target, expected = candidate, "task_not_a_match"
    else:
        a, b = _two(client)
        if action == "merge":
            ok(client.post("/api/v1/golden/customer/merge", headers=ANA,
                           json={"survivor": a, "merged": [b], "reason": "dup"}))
            target, expected = a, "merge"
        elif action == "unmerge":
            ok(client.post("/api/v1/golden/customer/merge", json={"survivor": a, "merged": [b], "reason": "dup"}))
            ok(client.post(f"/api/v1/golden/customer/{a}/unmerge", headers=ANA,
                           json={"system": "crm", "source_key": "A-1", "reason": "not the same"}))
            target, expected = a, "unmerge"
        else:
            ok(client.patch(f"/api/v1/golden/customer/{a}", headers=ANA,
                            json={"pins": {"name": "Springfield General"}, "reason": "legal name"}))
            target, expected = a, "pin"
    sigs = golden(client, target)["signatures"]
    assert [(s["signer"], s["action"], s["valid"]) for s in sigs] == [("ana", expected, True)]


@pytest.mark.parametrize("signature, status, title", [
    (None, 422, None),                                                    # no signature at all
    ({"meaning": "approval"}, 422, None),                                 # no password
    ({"meaning": "consent", "password": PASSWORD}, 422, None),            # not a Part 11 meaning
    ({"meaning": "approval", "password": "wrong password!"}, 403, "Signature not confirmed"),
])
def test_a_merge_without_a_confirmed_signature_changes_nothing(client, app, signature, status, title) -> None:
    a, b = _two(client)
    before = snapshot(client, app, [a, b])
    body = problem(client.post("/api/v1/golden/customer/merge", headers=ANA,
                               json={"survivor": a, "merged": [b], "reason": "dup", "signature": signature}), status)
    after = snapshot(client, app, [a, b])
    if title:
        # the refused signature is counted and audited; nothing else moved
        assert body["title"] == title and _audit_actions(app)[-1] == "signature_failed"
        assert after[2] == before[2] + 1
        after = (after[0], after[1], before[2], *after[3:])
    assert after == before


def test_a_source_or_auditor_cannot_sign(client, app) -> None:
    a, b = _two(client)
    headers = {"Authorization": f"Bearer {principal(app, 'insp', 'auditor')}"}
    resp = client.post("/api/v1/golden/customer/merge", headers=headers,
                       json={"survivor": a, "merged": [b], "reason": "dup"})
    assert resp.status_code == 403 and golden(client, b)["status"] == "active"


# -- If-Match --------------------------------------------------------------------------------------

def test_golden_and_task_carry_etags(client) -> None:
    candidate, _own, task = review_task(client)
    g = client.get(f"/api/v1/golden/customer/{candidate}")
    assert g.headers["ETag"] == f'"{candidate}.v{g.get_json()["version"]}"'
    t = client.get(f"/api/v1/tasks/{task['id']}")
    assert re.fullmatch(rf'"task-{task["id"]}\.r{task["revision"]}\.[0-9a-f]{{12}}"', t.headers["ETag"])


@pytest.mark.parametrize("change", ["pin", "merge elsewhere"])
def test_a_decision_on_a_task_whose_records_changed_is_412(client, app, change) -> None:
    """The task's ETag covers the records it shows: a stale decision cannot land on records never seen."""
    candidate, own, task = review_task(client)
    tag = client.get(f"/api/v1/tasks/{task['id']}").headers["ETag"]
    if change == "pin":
        ok(client.patch(f"/api/v1/golden/customer/{candidate}", json={"pins": {"name": "SGH"}, "reason": "r"}))
    else:
        third = golden_id(client, "crm", [dict(OTHER, Id="Z-9")])
        ok(client.post("/api/v1/golden/customer/merge", json={"survivor": third, "merged": [candidate],
                                                              "reason": "ben's merge"}))
    assert client.get(f"/api/v1/tasks/{task['id']}").headers["ETag"] != tag
    before = snapshot(client, app, [own])
    problem(client.post(f"/api/v1/tasks/{task['id']}/decision", headers={**ANA, "If-Match": tag},
                        json={"decision": "merge", "reason": "same"}), 412)
    assert snapshot(client, app, [own]) == before


@pytest.mark.parametrize("if_match, status", [("-", 428), ('"CUS-00000001.v0"', 412), ("*", 428)])
def test_a_pin_needs_the_current_etag(client, app, if_match, status) -> None:
    a, b = _two(client)
    before = snapshot(client, app, [a, b])
    problem(client.patch(f"/api/v1/golden/customer/{a}", headers={"If-Match": if_match},
                         json={"pins": {"name": "X Hospital"}, "reason": "r"}), status)
    assert snapshot(client, app, [a, b]) == before


def test_a_merge_lists_the_etag_of_every_record(client, app) -> None:
    a, b = _two(client)
    va = golden(client, a)["version"]
    problem(client.post("/api/v1/golden/customer/merge", headers={"If-Match": f'"{a}.v{va}"'},
                        json={"survivor": a, "merged": [b], "reason": "dup"}), 428)
    vb = golden(client, b)["version"]
    ok(client.post("/api/v1/golden/customer/merge", headers={"If-Match": f'"{a}.v{va}", "{b}.v{vb}"'},
                   json={"survivor": a, "merged": [b], "reason": "dup"}))


def test_a_decision_on_a_stale_task_revision_is_412(client, app) -> None:
    candidate, own, task = review_task(client)
    tag = client.get(f"/api/v1/tasks/{task['id']}").headers["ETag"]
    ok(client.post(f"/api/v1/tasks/{task['id']}/assign", json={"assignee": "ana"}))
    before = snapshot(client, app, [candidate, own])
    problem(client.post(f"/api/v1/tasks/{task['id']}/decision", headers={**ANA, "If-Match": tag},
                        json={"decision": "merge", "reason": "same"}), 412)
    assert snapshot(client, app, [candidate, own]) == before


def test_two_stewards_on_one_task_one_wins(client, app) -> None:
    """Both read the task, both decide at once: exactly one success, the other 409 or 412."""
    _candidate, _own, task = review_task(client)
    tag = client.get(f"/api/v1/tasks/{task['id']}").headers["ETag"]
    tokens = {n: principal(app, n, "steward") for n in ("ana", "ben")}
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def decide(name: str, decision: str) -> None:
        c = app.test_client()
        barrier.wait()
        resp = c.post(f"/api/v1/tasks/{task['id']}/decision",
                      headers={"Authorization": f"Bearer {tokens[name]}", "If-Match": tag},
                      json={"decision": decision, "reason": f"{name} decides",
                            "signature": {"meaning": "approval", "password": PASSWORD}})
        codes.append(resp.status_code)

    threads = [threading.Thread(target=decide, args=("ana", "merge")),
               threading.Thread(target=decide, args=("ben", "not_a_match"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) in ([200, 409], [200, 412]), codes
    with app.extensions["mdm.sessionmaker"]() as s:
        assert s.scalar(select(func.count()).select_from(Signature).where(Signature.task_id == task["id"])) >= 1
        decided = s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "decide")).all()
    assert len(decided) == 1
