"""Steward work over HTTP (DESIGN.md §5): fuzzy results, the review queue, decisions, merge, unmerge, pins.

The customer records are built so that the scores do not depend on term frequencies (names that
agree only at a fuzzy level), which keeps every outcome far from a threshold:

* LINK    -- name tokens reordered, same address and e-mail: probability ~1.0 -> linked
* REVIEW  -- name tokens reordered, nearby address, another e-mail: 0.80 -> review task
* BELOW   -- another name at the same address: 0.42 -> created (candidate named in the explanation)
* OTHER   -- nothing in common: created, no candidate
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from helpers import gln, gtin, post, results
from sqlalchemy import func, select

from mdm.governance.model import Strategy
from mdm.models import GoldenVersion, MatchDecision, SourceRecord, XrefEvent
from mdm.services.survivorship import Member, Pin, survive

ANA = {"X-Test-As": "ana"}
GLN_A = gln("401234500011")
GLN_B = gln("401234500028")


def sap_customer(key: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"KUNNR": key, "KTOKD": "Z001", "NAME1": name, "STRAS": "Main Street 12", "ORT01": "Springfield",
            "PSTLZ": "62701", "LAND1": "US", **extra}


def crm_account(key: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"Id": key, "IsPersonAccount": "false", "RecordType": "Hospital", "Account_Name__c": name,
            "BillingStreet": "Main Street 12", "BillingCity": "Springfield", "BillingPostalCode": "62701",
            "BillingCountry": "US", **extra}


def crm_person(key: str, family: str, given: str, birth: str, **extra: Any) -> dict[str, Any]:
    return {"Id": key, "IsPersonAccount": "true", "RecordType": "HCP", "LastName": family, "FirstName": given,
            "Birthdate": birth, "Specialty__c": "Cardiology", **extra}


SGH = sap_customer("100", "Springfield General Hospital", SMTP_ADDR="orders@sgh.example")
LINK = crm_account("A-1", "General Hospital Springfield", Email="orders@sgh.example")
REVIEW = crm_account("A-1", "General Hospital Springfield", BillingStreet="Main Street 12 Building B",
                     BillingPostalCode="62702", Email="info@sgh.example")
BELOW = crm_account("A-1", "Springfield Eye Clinic")
OTHER = crm_account("A-1", "Riverside Dental Practice", BillingStreet="Oak Avenue 5", BillingCity="Peoria",
                    BillingPostalCode="61602")
# a second, unrelated review pair
LAKESIDE = sap_customer("200", "Lakeside Orthopedic Clinic", STRAS="Harbor Road 3", ORT01="Duluth", PSTLZ="55802",
                        SMTP_ADDR="desk@lakeside.example")
LAKESIDE_REVIEW = crm_account("B-1", "Orthopedic Clinic Lakeside", BillingStreet="Harbor Road 3 Building B",
                              BillingCity="Duluth", BillingPostalCode="55803", Email="info@lakeside.example")


# -- helpers ----------------------------------------------------------------------------------------

def problem(resp, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.content_type == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    return body


def ok(resp) -> dict[str, Any]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def golden_id(client, system: str, records: list[dict[str, Any]], domain: str = "customer") -> str:
    return post(client, system, domain, records)["results"][0]["golden_id"]


def golden(client, gid: str, domain: str = "customer") -> dict[str, Any]:
    return ok(client.get(f"/api/v1/golden/{domain}/{gid}"))


def source_keys(rec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s["system"], s["source_key"]) for s in rec["sources"]}


def audit(client, **query: str) -> list[dict[str, Any]]:
    return ok(client.get("/api/v1/audit", query_string={"limit": 1000, **query}))["items"]


def changes(client) -> list[dict[str, Any]]:
    return ok(client.get("/api/v1/changes", query_string={"limit": 1000}))["items"]


def tasks(client, **query: Any) -> list[dict[str, Any]]:
    return ok(client.get("/api/v1/tasks", query_string=query))["items"]


def source_id(app, system: str, key: str) -> int:
    with app.extensions["mdm.sessionmaker"]() as s:
        return s.scalar(select(SourceRecord.id).where(SourceRecord.system == system, SourceRecord.source_key == key))


def decisions(app) -> list[tuple[str, str, int, int]]:
    """(kind, status, left, right) of every remembered decision."""
    with app.extensions["mdm.sessionmaker"]() as s:
        return [(d.kind, d.status, d.left_id, d.right_id)
                for d in s.scalars(select(MatchDecision).order_by(MatchDecision.id))]


def count(app, model) -> int:
    with app.extensions["mdm.sessionmaker"]() as s:
        return s.scalar(select(func.count()).select_from(model))


def snapshot(client, app, ids: list[str]) -> tuple:
    """What a refused steward action must leave exactly as it was."""
    recs = [golden(client, g) for g in ids]
    return ([(r["id"], r["status"], r["version"], r.get("merged_into"), sorted(source_keys(r)), r["pins"])
             for r in recs],
            len(changes(client)), len(audit(client)), decisions(app), count(app, GoldenVersion),
            [(t["id"], t["status"], t["revision"], t["assignee"]) for t in tasks(client, status="all")])


def review_task(client) -> tuple[str, str, dict[str, Any]]:
    """SGH and a CRM account scoring 0.80 against it: (candidate, own golden id, the open task)."""
    candidate = golden_id(client, "sap-erp", [SGH])
    body = post(client, "crm", "customer", [REVIEW])
    assert results(body) == ["review"]
    (task,) = tasks(client)
    return candidate, body["results"][0]["golden_id"], task


# -- ingestion: linked, review, created ------------------------------------------------------------

@pytest.mark.parametrize("record, result, rule, low, high", [
    (LINK, "linked", "fuzzy", 0.95, 1.0),
    (REVIEW, "review", "fuzzy_review", 0.6, 0.95),
    (BELOW, "created", "new", 0.0, 0.6),
    (OTHER, "created", "new", None, None),
], ids=["link", "review", "below-review", "no-candidate"])
def test_fuzzy_outcome_and_its_explanation(client, app, record, result, rule, low, high) -> None:
    candidate = golden_id(client, "sap-erp", [SGH])
    res = post(client, "crm", "customer", [record])["results"][0]
    assert res["result"] == result
    assert res["reasons"][0]["rule"] == rule
    assert (res["golden_id"] == candidate) is (result == "linked")
    open_tasks = tasks(client)
    assert [(t["golden_id"], t["candidate_ids"]) for t in open_tasks] == (
        [(res["golden_id"], [candidate])] if result == "review" else [])

    history = ok(client.get("/api/v1/xref/crm/customer/A-1"))["history"]
    assert [(h["action"], h["golden_id"], h["rule"]) for h in history] == [("link", res["golden_id"], rule)]
    with app.extensions["mdm.sessionmaker"]() as s:
        (event,) = s.scalars(select(XrefEvent).where(XrefEvent.source_record_id == source_id(app, "crm", "A-1")))
        exp = event.explanation
    assert exp["rule"] == rule and exp["detail"] == res["reasons"][0]["message"]
    assert exp["governance_version_id"] is not None
    if low is None:
        assert "probability" not in exp and "match" not in exp
        return
    assert low <= exp["probability"] < high or exp["probability"] == high == 1.0
    assert exp["candidate"] == candidate
    match = exp["match"]
    assert match["kind"] == "fuzzy" and match["thresholds"] == {"link": 0.95, "review": 0.6}
    assert match["probability"] == pytest.approx(exp["probability"], abs=1e-6)
    # the total is the prior plus the comparison weights, and the probability follows from it
    assert match["weight"] == pytest.approx(match["prior_weight"] + sum(c["weight"] for c in match["comparisons"]),
                                            abs=1e-3)
    assert match["probability"] == pytest.approx(1 / (1 + 2 ** -match["weight"]), abs=1e-3)
    by_name = {c["name"]: c for c in match["comparisons"]}
    assert by_name["name"]["values"] == [record["Account_Name__c"], SGH["NAME1"]]
    for c in by_name.values():
        assert {"name", "fields", "values", "level", "rule", "weight"} <= set(c)
        if c["level"] != "null":
            assert {"comparator", "result"} <= set(c)
    if result != "created":
        assert exp["member"] == {"system": "sap-erp", "source_key": "100"}


def test_fuzzy_reason_carries_the_probability(client) -> None:
    golden_id(client, "sap-erp", [SGH])
    reason = post(client, "crm", "customer", [LINK])["results"][0]["reasons"][0]
    assert reason["rule"] == "fuzzy" and reason["probability"] >= 0.95


def test_a_person_links_on_name_and_date_of_birth(client) -> None:
    first = golden_id(client, "crm", [crm_person("P-1", "Okafor", "Adaeze", "03/14/1979")])
    res = post(client, "crm", "customer", [crm_person("P-2", "Okafor", "Adaeze", "03/14/1979",
                                                      Email="a.okafor@example.org")])["results"][0]
    assert (res["result"], res["golden_id"], res["reasons"][0]["rule"]) == ("linked", first, "fuzzy")
    assert golden(client, first)["data"]["email"] == "a.okafor@example.org"


# -- the review queue -------------------------------------------------------------------------------

def test_task_shows_the_record_both_sides_and_the_explanation(client) -> None:
    candidate, own, listed = review_task(client)
    assert listed["score"] == pytest.approx(0.8, abs=0.01)
    assert listed["source"] == {"system": "crm", "source_key": "A-1", "golden_id": own}
    task = ok(client.get(f"/api/v1/tasks/{listed['id']}"))
    assert (task["status"], task["revision"], task["assignee"], task["decision"]) == ("open", 1, None, None)
    assert task["source"]["data"]["name"] == "General Hospital Springfield"
    assert [s["id"] for s in task["sides"]] == [own, candidate]
    assert [s["data"]["name"] for s in task["sides"]] == ["General Hospital Springfield",
                                                          "Springfield General Hospital"]
    exp = task["explanation"]
    assert exp["kind"] == "fuzzy" and exp["candidate"] == candidate
    assert exp["probability"] == pytest.approx(task["score"])
    assert [c["golden_id"] for c in exp["candidates"]] == [candidate]
    levels = {c["name"]: c["level"] for c in exp["match"]["comparisons"]}
    assert levels["name"] == 1 and levels["address"] == 1 and levels["email"] == "else"


def test_task_list_filters_and_pages(client) -> None:
    post(client, "sap-erp", "customer", [SGH, LAKESIDE])
    assert results(post(client, "crm", "customer", [REVIEW, LAKESIDE_REVIEW])) == ["review", "review"]
    # an identifier conflict in another domain
    supplier = {"vendorId": "V-1", "companyName": "Acme Medical", "gln": gln("401234500001"), "dunsNumber": "150483782"}
    post(client, "supplier-portal", "supplier", [supplier])
    post(client, "supplier-portal", "supplier", [{**supplier, "vendorId": "V-2", "gln": gln("401234500002")}])

    everything = tasks(client)
    assert [t["domain"] for t in everything] == ["customer", "customer", "supplier"]
    ids = [t["id"] for t in everything]
    assert ids == sorted(ids)
    assert [t["id"] for t in tasks(client, domain="supplier")] == ids[2:]
    assert [t["id"] for t in tasks(client, domain="customer")] == ids[:2]

    seen, after = [], None
    while True:
        page = ok(client.get("/api/v1/tasks", query_string={"limit": 1, **({"after": after} if after else {})}))
        seen += [t["id"] for t in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == ids

    ok(client.post(f"/api/v1/tasks/{ids[1]}/assign", json={"assignee": "ana"}))
    ok(client.post(f"/api/v1/tasks/{ids[0]}/decision", json={"decision": "not_a_match", "reason": "other site"}))
    assert [t["id"] for t in tasks(client)] == ids[1:]
    assert [t["id"] for t in tasks(client, status="closed")] == ids[:1]
    assert [t["id"] for t in tasks(client, status="all")] == ids
    assert [t["id"] for t in tasks(client, assignee="ana")] == [ids[1]]
    assert tasks(client, assignee="bob") == []


@pytest.mark.parametrize("query", [{"status": "pending"}, {"domain": "widget"}, {"limit": 0}, {"limit": 1001}])
def test_task_list_rejects_bad_filters(client, query) -> None:
    problem(client.get("/api/v1/tasks", query_string=query), 422)


def test_unknown_task_is_404(client) -> None:
    problem(client.get("/api/v1/tasks/999"), 404)
    problem(client.post("/api/v1/tasks/999/assign", json={"assignee": "ana"}), 404)


# -- decisions --------------------------------------------------------------------------------------

def test_merge_decision_merges_into_the_candidate(client, app) -> None:
    candidate, own, task = review_task(client)
    body = ok(client.post(f"/api/v1/tasks/{task['id']}/decision", headers=ANA,
                          json={"decision": "merge", "reason": "same hospital, billing annex", "revision": 1,
                                "candidate": candidate}))
    assert body["decision"] == "merge"
    assert (body["merge"]["survivor"], body["merge"]["merged"]) == (candidate, [own])
    assert body["task_view"]["status"] == "closed"

    merged = golden(client, own)
    assert (merged["status"], merged["merged_into"]) == ("merged", candidate)
    survivor = golden(client, candidate)
    assert survivor["status"] == "active"
    assert source_keys(survivor) == {("sap-erp", "100"), ("crm", "A-1")}
    assert survivor["data"]["name"] == "Springfield General Hospital"     # ERP wins the name
    assert survivor["data"]["email"] == "info@sgh.example"                # CRM wins contact data
    assert ok(client.get("/api/v1/xref/crm/customer/A-1"))["golden_id"] == candidate

    done = ok(client.get(f"/api/v1/tasks/{task['id']}"))
    assert (done["status"], done["decision"], done["decided_by"], done["revision"]) == ("closed", "merge", "ana", 2)
    assert done["decision_reason"] == "same hospital, billing annex"
    (entry,) = audit(client, action="decide")
    assert (entry["actor"], entry["entity_id"], entry["reason"]) == ("ana", str(task["id"]),
                                                                     "same hospital, billing annex")
    assert entry["after"]["decision"] == "merge"
    assert [c["kind"] for c in changes(client) if c["golden_id"] == own][-1] == "merged"


def test_not_a_match_is_remembered_and_closes_the_task(client, app) -> None:
    candidate, own, task = review_task(client)
    body = ok(client.post(f"/api/v1/tasks/{task['id']}/decision", headers=ANA,
                          json={"decision": "not_a_match", "reason": "annex is a separate legal entity"}))
    assert body["remembered"] == 1
    pair = sorted([source_id(app, "crm", "A-1"), source_id(app, "sap-erp", "100")])
    assert decisions(app) == [("never", "active", *pair)]
    with app.extensions["mdm.sessionmaker"]() as s:
        remembered = s.scalars(select(MatchDecision)).one()
        assert (remembered.actor, remembered.task_id) == ("ana", task["id"])
    assert [golden(client, g)["status"] for g in (own, candidate)] == ["active", "active"]
    done = ok(client.get(f"/api/v1/tasks/{task['id']}"))
    assert (done["status"], done["decision"], done["decided_by"]) == ("closed", "not_a_match", "ana")


@pytest.mark.parametrize("first, second", [
    ("merge", "merge"), ("merge", "not_a_match"), ("not_a_match", "merge"), ("not_a_match", "not_a_match"),
])
def test_deciding_a_closed_task_is_409_and_changes_nothing(client, app, first, second) -> None:
    candidate, own, task = review_task(client)
    url = f"/api/v1/tasks/{task['id']}/decision"
    ok(client.post(url, json={"decision": first, "reason": "first look"}))
    before = snapshot(client, app, [candidate, own])
    body = problem(client.post(url, headers=ANA, json={"decision": second, "reason": "second look"}), 409)
    assert "closed" in body["detail"]
    assert snapshot(client, app, [candidate, own]) == before


@pytest.mark.parametrize("payload, status", [
    ({"decision": "merge"}, 422),
    ({"decision": "merge", "reason": ""}, 422),
    ({"decision": "merge", "reason": "   "}, 422),
    ({"decision": "maybe", "reason": "unsure"}, 422),
    ({"reason": "no decision"}, 422),
    ({"decision": "merge", "reason": "x", "candidate": "CUS-99999999"}, 422),
    ({"decision": "merge", "reason": "x", "revision": 7}, 409),
], ids=["no-reason", "empty-reason", "blank-reason", "bad-decision", "no-decision", "not-a-candidate",
        "stale-revision"])
def test_refused_decisions_change_nothing(client, app, payload, status) -> None:
    candidate, own, task = review_task(client)
    before = snapshot(client, app, [candidate, own])
    problem(client.post(f"/api/v1/tasks/{task['id']}/decision", json=payload), status)
    assert snapshot(client, app, [candidate, own]) == before
    assert decisions(app) == []


def test_deciding_an_unknown_task_is_404(client) -> None:
    problem(client.post("/api/v1/tasks/999/decision", json={"decision": "merge", "reason": "x"}), 404)


# -- assignment -------------------------------------------------------------------------------------

def test_assign_bumps_the_revision_and_stale_revisions_are_refused(client) -> None:
    _, _, task = review_task(client)
    url = f"/api/v1/tasks/{task['id']}"
    assigned = ok(client.post(url + "/assign", headers=ANA, json={"assignee": "ana", "revision": 1}))
    assert (assigned["assignee"], assigned["revision"]) == ("ana", 2)
    assert [t["id"] for t in tasks(client, assignee="ana")] == [task["id"]]

    problem(client.post(url + "/assign", json={"assignee": "bob", "revision": 1}), 409)
    assert ok(client.get(url))["assignee"] == "ana"
    problem(client.post(url + "/decision", json={"decision": "merge", "reason": "x", "revision": 1}), 409)
    assert ok(client.get(url))["status"] == "open"

    unassigned = ok(client.post(url + "/assign", json={"assignee": None, "revision": 2}))
    assert (unassigned["assignee"], unassigned["revision"]) == (None, 3)
    assert tasks(client, assignee="ana") == []
    entries = audit(client, action="assign")
    assert [(e["actor"], e["after"]["assignee"]) for e in entries] == [("ana", "ana"), ("steward", None)]

    ok(client.post(url + "/decision", json={"decision": "not_a_match", "reason": "x", "revision": 3}))
    problem(client.post(url + "/assign", json={"assignee": "ana"}), 409)  # closed tasks stay as decided


def test_assign_needs_an_assignee_key(client) -> None:
    _, _, task = review_task(client)
    problem(client.post(f"/api/v1/tasks/{task['id']}/assign", json={}), 422)


# -- merge and unmerge ------------------------------------------------------------------------------

def two_customers(client) -> tuple[str, str]:
    """A: SGH from the ERP with GLN_A; B: an unrelated CRM account with GLN_B."""
    a = golden_id(client, "sap-erp", [{**SGH, "ZZGLN": GLN_A}])
    b = golden_id(client, "crm", [{**OTHER, "Id": "R-1", "GLN__c": GLN_B}])
    assert a != b
    return a, b


def test_merge_moves_sources_identifiers_and_versions(client, app) -> None:
    a, b = two_customers(client)
    body = ok(client.post("/api/v1/golden/customer/merge", headers=ANA,
                          json={"survivor": a, "merged": [b], "reason": "same customer after acquisition"}))
    assert (body["survivor"], body["merged"], body["moved"]) == (a, [b], 1)

    gone = golden(client, b)
    assert (gone["status"], gone["merged_into"]) == ("merged", a)
    kept = golden(client, a)
    assert kept["id"] == a and kept["status"] == "active" and kept["version"] == body["version"] == 2
    assert source_keys(kept) == {("sap-erp", "100"), ("crm", "R-1")}
    assert kept["data"]["gln"] == GLN_A and kept["data"]["name"] == "Springfield General Hospital"
    found = ok(client.get("/api/v1/golden/customer", query_string={"gln": GLN_B}))["items"]
    assert [r["id"] for r in found] == [a]

    hist_a = ok(client.get(f"/api/v1/golden/customer/{a}/history"))["versions"]
    hist_b = ok(client.get(f"/api/v1/golden/customer/{b}/history"))["versions"]
    assert [v["version"] for v in hist_a] == [1, 2] and [v["version"] for v in hist_b] == [1, 2]
    assert hist_b[-1]["status"] == "merged"
    feed = [(c["golden_id"], c["kind"]) for c in changes(client)]
    assert feed[-2:] == [(b, "merged"), (a, "updated")]
    merges = audit(client, action="merge")
    assert [(e["entity_id"], e["actor"], e["reason"]) for e in merges] == [
        (b, "ana", "same customer after acquisition"), (a, "ana", "same customer after acquisition")]
    x = ok(client.get("/api/v1/xref/crm/customer/R-1"))
    assert x["golden_id"] == a
    assert [(h["action"], h["golden_id"], h["rule"], h["actor"]) for h in x["history"][-2:]] == [
        ("unlink", b, "merge", "ana"), ("link", a, "merge", "ana")]


def test_unmerge_after_a_merge_restores_the_earlier_record(client, app) -> None:
    a, b = two_customers(client)
    original = golden(client, a)["data"]
    ok(client.post("/api/v1/golden/customer/merge", json={"survivor": a, "merged": [b], "reason": "looked alike"}))
    body = ok(client.post(f"/api/v1/golden/customer/{a}/unmerge", headers=ANA,
                          json={"system": "crm", "source_key": "R-1", "reason": "different customers after all"}))
    assert (body["golden_id"], body["target"], body["how"]) == (a, b, "restored")
    assert body["source"] == {"system": "crm", "source_key": "R-1"}

    back = golden(client, b)
    assert back["status"] == "active" and back.get("merged_into") is None
    assert source_keys(back) == {("crm", "R-1")}
    assert back["data"]["name"] == "Riverside Dental Practice"
    left = golden(client, a)
    assert source_keys(left) == {("sap-erp", "100")}
    assert left["data"] == original
    assert [r["id"] for r in ok(client.get("/api/v1/golden/customer", query_string={"gln": GLN_B}))["items"]] == [b]
    assert [r["id"] for r in ok(client.get("/api/v1/golden/customer", query_string={"gln": GLN_A}))["items"]] == [a]
    assert (b, "unmerged") in [(c["golden_id"], c["kind"]) for c in changes(client)]
    (entry, *_) = audit(client, action="unmerge")
    assert (entry["actor"], entry["reason"]) == ("ana", "different customers after all")
    # the steward's merge is revoked, the split is remembered
    pair = sorted([source_id(app, "sap-erp", "100"), source_id(app, "crm", "R-1")])
    assert sorted(decisions(app)) == [("must", "revoked", *pair), ("never", "active", *pair)]


def test_unmerge_of_a_fuzzy_link_creates_a_record_and_never_match_wins_later(client, app) -> None:
    a = golden_id(client, "sap-erp", [SGH])
    assert post(client, "crm", "customer", [LINK])["results"][0]["golden_id"] == a
    body = ok(client.post(f"/api/v1/golden/customer/{a}/unmerge",
                          json={"system": "crm", "source_key": "A-1", "reason": "a different hospital"}))
    assert body["how"] == "created" and body["target"] != a
    new = golden(client, body["target"])
    assert new["status"] == "active" and source_keys(new) == {("crm", "A-1")}
    assert source_keys(golden(client, a)) == {("sap-erp", "100")}
    pair = sorted([source_id(app, "sap-erp", "100"), source_id(app, "crm", "A-1")])
    assert decisions(app) == [("never", "active", *pair)]
    x = ok(client.get("/api/v1/xref/crm/customer/A-1"))
    assert x["golden_id"] == body["target"] and x["history"][-1]["rule"] == "unmerge"

    # a third record scoring above link with both: never merged automatically, a task asks instead
    bridge = post(client, "crm", "customer", [{**LINK, "Id": "A-9"}])["results"][0]
    assert bridge["result"] == "linked"
    assert [golden(client, g)["status"] for g in (a, body["target"])] == ["active", "active"]
    (task,) = tasks(client)
    assert {task["golden_id"], *task["candidate_ids"]} == {a, body["target"]}
    assert "not a match" in task["reason"]


def test_a_refused_bridge_merge_is_not_reported_as_merged(client) -> None:
    a = golden_id(client, "sap-erp", [SGH])
    post(client, "crm", "customer", [LINK])
    ok(client.post(f"/api/v1/golden/customer/{a}/unmerge",
                   json={"system": "crm", "source_key": "A-1", "reason": "a different hospital"}))
    reason = post(client, "crm", "customer", [{**LINK, "Id": "A-9"}])["results"][0]["reasons"][0]["message"]
    assert "merged into it" not in reason


@pytest.mark.parametrize("case, status", [
    ("other-domain-merged", 422),
    ("other-domain-survivor", 422),
    ("itself", 422),
    ("unknown", 404),
    ("already-merged", 409),
    ("nothing", 422),
    ("no-reason", 422),
    ("blank-reason", 422),
    ("unknown-domain", 404),
])
def test_refused_merges_change_nothing(client, app, case, status) -> None:
    a, b = two_customers(client)
    c = golden_id(client, "sap-erp", [LAKESIDE])
    product = golden_id(client, "csv-import", [{"source_key": "P-1", "gtin": gtin("0401234512345")}],
                        domain="product")
    if case == "already-merged":
        ok(client.post("/api/v1/golden/customer/merge", json={"survivor": a, "merged": [c], "reason": "dup"}))
    url, reason = "/api/v1/golden/customer/merge", {"reason": "tidy up"}
    body = {
        "other-domain-merged": {"survivor": a, "merged": [product], **reason},
        "other-domain-survivor": {"survivor": product, "merged": [a], **reason},
        "itself": {"survivor": a, "merged": [a], **reason},
        "unknown": {"survivor": a, "merged": [b, "CUS-99999999"], **reason},
        "already-merged": {"survivor": b, "merged": [c], **reason},
        "nothing": {"survivor": a, "merged": [], **reason},
        "no-reason": {"survivor": a, "merged": [b]},
        "blank-reason": {"survivor": a, "merged": [b], "reason": "  "},
        "unknown-domain": {"survivor": a, "merged": [b], **reason},
    }[case]
    if case == "unknown-domain":
        url = "/api/v1/golden/widget/merge"
    before = snapshot(client, app, [a, b, c])
    product_before = golden(client, product, "product")
    problem(client.post(url, json=body), status)
    assert snapshot(client, app, [a, b, c]) == before
    assert golden(client, product, "product") == product_before


@pytest.mark.parametrize("case, status", [
    ("not-a-member", 409),
    ("only-record", 409),
    ("unknown-golden", 404),
    ("unknown-source", 404),
    ("merged-golden", 409),
    ("other-domain", 404),
    ("no-reason", 422),
])
def test_refused_unmerges_change_nothing(client, app, case, status) -> None:
    a, b = two_customers(client)
    c = golden_id(client, "sap-erp", [LAKESIDE])
    ok(client.post("/api/v1/golden/customer/merge", json={"survivor": a, "merged": [b], "reason": "dup"}))
    product = golden_id(client, "csv-import", [{"source_key": "P-1", "gtin": gtin("0401234512345")}],
                        domain="product")
    target, payload = {
        "not-a-member": (a, {"system": "sap-erp", "source_key": "200"}),
        "only-record": (c, {"system": "sap-erp", "source_key": "200"}),
        "unknown-golden": ("CUS-99999999", {"system": "crm", "source_key": "R-1"}),
        "unknown-source": (a, {"system": "crm", "source_key": "NOPE"}),
        "merged-golden": (b, {"system": "crm", "source_key": "R-1"}),
        "other-domain": (product, {"system": "csv-import", "source_key": "P-1"}),
        "no-reason": (a, {"system": "crm", "source_key": "R-1"}),
    }[case]
    reason = {} if case == "no-reason" else {"reason": "split"}
    before = snapshot(client, app, [a, b, c])
    problem(client.post(f"/api/v1/golden/customer/{target}/unmerge", json={**payload, **reason}), status)
    assert snapshot(client, app, [a, b, c]) == before


# -- pins -------------------------------------------------------------------------------------------

def test_a_pin_wins_over_source_updates_until_released(client) -> None:
    gid = golden_id(client, "crm", [{**OTHER, "Id": "R-1"}])
    url = f"/api/v1/golden/customer/{gid}"
    body = ok(client.patch(url, headers=ANA, json={"pins": {"name": "Riverside Dental Care"},
                                                   "reason": "registered name per licence"}))
    assert (body["pinned"], body["released"], body["version"]) == (["name"], [], 2)
    rec = golden(client, gid)
    assert rec["data"]["name"] == "Riverside Dental Care"
    (pin,) = rec["pins"]
    assert (pin["field"], pin["value"], pin["actor"], pin["reason"]) == (
        "name", "Riverside Dental Care", "ana", "registered name per licence")
    assert rec["provenance"]["name"] == {"pin": pin["id"], "rule": "pin", "actor": "ana",
                                         "reason": "registered name per licence", "at": pin["at"]}
    assert rec["provenance"]["city"]["system"] == "crm"

    post(client, "crm", "customer", [{**OTHER, "Id": "R-1", "Account_Name__c": "Riverside Dental Practice LLC",
                                      "BillingCity": "Peoria Heights"}])
    rec = golden(client, gid)
    assert rec["data"]["name"] == "Riverside Dental Care"
    assert rec["data"]["city"] == "Peoria Heights"  # the update itself went through

    body = ok(client.patch(url, json={"release": ["name"], "reason": "licence renewed under the CRM name"}))
    assert (body["pinned"], body["released"]) == ([], ["name"])
    rec = golden(client, gid)
    assert rec["data"]["name"] == "Riverside Dental Practice LLC"
    assert rec["provenance"]["name"]["system"] == "crm" and rec["pins"] == []
    assert [(e["action"], e["actor"]) for e in audit(client, entity_id=gid) if e["action"] in ("pin", "release")] == [
        ("pin", "ana"), ("release", "steward")]
    assert [v["actor"] for v in ok(client.get(f"{url}/history"))["versions"]][-1] == "steward"


def test_a_null_pin_blanks_a_field(client) -> None:
    gid = golden_id(client, "crm", [{**OTHER, "Id": "R-1", "Email": "front@riverside.example"}])
    ok(client.patch(f"/api/v1/golden/customer/{gid}", json={"pins": {"email": None}, "reason": "mailbox closed"}))
    rec = golden(client, gid)
    assert "email" not in rec["data"]
    assert rec["provenance"]["email"]["rule"] == "pin"


def test_pins_of_a_merged_record_move_to_the_survivor(client) -> None:
    a, b = two_customers(client)
    ok(client.patch(f"/api/v1/golden/customer/{b}", json={"pins": {"phone": "+13095550100"}, "reason": "called"}))
    ok(client.post("/api/v1/golden/customer/merge", json={"survivor": a, "merged": [b], "reason": "dup"}))
    rec = golden(client, a)
    assert rec["data"]["phone"] == "+13095550100"
    assert [p["field"] for p in rec["pins"]] == ["phone"]
    problem(client.patch(f"/api/v1/golden/customer/{b}", json={"pins": {"name": "x"}, "reason": "late"}), 409)


@pytest.mark.parametrize("payload, status", [
    ({"pins": {"nickname": "Riv"}, "reason": "x"}, 422),
    ({"pins": {"name": 123}, "reason": "x"}, 422),
    ({"pins": {"name": ["Riverside"]}, "reason": "x"}, 422),
    ({"pins": {"party_type": "robot"}, "reason": "x"}, 422),
    ({"pins": {"email": "not an address"}, "reason": "x"}, 422),
    ({"pins": {"postal_code": "12345678901"}, "reason": "x"}, 422),
    ({"pins": {"date_of_birth": "yesterday"}, "reason": "x"}, 422),
    ({"release": ["nickname"], "reason": "x"}, 422),
    ({"release": ["name"], "reason": "x"}, 404),
    ({"pins": {"name": "Riverside"}}, 422),
    ({"pins": {"name": "Riverside"}, "reason": ""}, 422),
    ({"reason": "nothing to do"}, 422),
], ids=["unknown-field", "number-for-string", "list-for-string", "not-in-code-list", "pattern", "too-long",
        "not-a-date", "release-unknown-field", "release-without-pin", "no-reason", "empty-reason", "nothing"])
def test_refused_pins_change_nothing(client, app, payload, status) -> None:
    gid = golden_id(client, "crm", [{**OTHER, "Id": "R-1"}])
    before = snapshot(client, app, [gid])
    problem(client.patch(f"/api/v1/golden/customer/{gid}", json=payload), status)
    assert snapshot(client, app, [gid]) == before


def test_pins_on_unknown_records_are_404(client) -> None:
    problem(client.patch("/api/v1/golden/customer/CUS-99999999", json={"pins": {"name": "x"}, "reason": "x"}), 404)
    problem(client.patch("/api/v1/golden/widget/CUS-1", json={"pins": {"name": "x"}, "reason": "x"}), 404)


# -- survivorship: per-field rules of the governance and pins (the strategies are in test_survivorship)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ERP = Member("sap-erp", "100", 2, T0, {"party_type": "organization", "name": "SPRINGFIELD GENERAL HOSPITAL",
                                       "email": "ap@sgh.example", "city": "Springfield", "gln": GLN_A})
CRM = Member("crm", "A-1", 1, T0 + dt.timedelta(hours=1),
             {"party_type": "organization", "name": "Springfield General Hospital", "email": "orders@sgh.example",
              "phone": "+12175550100"})
PIN = Pin(7, "Springfield General", "ana", "legal name", T0)


@pytest.mark.parametrize("field, winner", [
    ("name", "sap-erp"),         # default: ERP first
    ("gln", "sap-erp"),
    ("email", "crm"),            # contact data: CRM first
    ("phone", "crm"),            # only the CRM has one
    ("party_type", "crm"),
    ("city", "sap-erp"),
])
def test_customer_rules_pick_per_field(governance, field, winner) -> None:
    for members in ([ERP, CRM], [CRM, ERP]):
        data, prov = survive(governance.domains["customer"], governance.rules["customer"], members)
        assert prov[field]["system"] == winner
        assert prov[field]["rule"] == "source_priority"
        assert data[field] == (ERP if winner == "sap-erp" else CRM).payload[field]


@pytest.mark.parametrize("pins, field, value", [
    ({"name": PIN}, "name", "Springfield General"),
    ({"state": Pin(8, "IL", "ana", "from licence", T0)}, "state", "IL"),          # no source has one
    ({"email": Pin(9, None, "ana", "mailbox closed", T0)}, "email", None),        # a null pin blanks it
], ids=["overrides", "adds", "blanks"])
@pytest.mark.parametrize("members", [[ERP], [ERP, CRM]], ids=["one-member", "two-members"])
def test_pins_win(governance, members, pins, field, value) -> None:
    plain, _ = survive(governance.domains["customer"], governance.rules["customer"], members)
    data, prov = survive(governance.domains["customer"], governance.rules["customer"], members, pins)
    assert data.get(field) == value and (field in data) is (value is not None)
    (pin,) = pins.values()
    assert prov[field] == {"pin": pin.id, "actor": "ana", "reason": pin.reason, "at": T0.isoformat(), "rule": "pin"}
    assert {k: v for k, v in data.items() if k != field} == {k: v for k, v in plain.items() if k != field}


def test_a_pin_at_a_naive_time_reads_as_utc(governance) -> None:
    naive = Pin(1, "X", "ana", "r", dt.datetime(2026, 1, 1))
    _, prov = survive(governance.domains["customer"], governance.rules["customer"], [ERP], {"name": naive})
    assert prov["name"]["at"] == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize("strategy, field, winner", [
    (Strategy("most_recent"), "name", "A-1"),
    (Strategy("most_complete"), "name", "100"),   # ERP carries five fields, CRM four
    (Strategy("max"), "email", "A-1"),            # "orders@" > "ap@"
    (Strategy("min"), "email", "100"),
])
def test_strategies_through_survive(governance, strategy, field, winner) -> None:
    rules = governance.rules["customer"]
    custom = dataclasses.replace(rules, fields={**rules.fields, field: strategy})
    _, prov = survive(governance.domains["customer"], custom, [ERP, CRM])
    assert (prov[field]["source_key"], prov[field]["rule"]) == (winner, strategy.strategy)


def test_pinned_identifier_is_checked_and_claimed(client) -> None:
    """A pinned GLN must carry a valid check digit, and the golden record is then found by it."""
    from helpers import gln

    body = post(client, "crm", "customer", [crm_account("001PIN0000000001", "Pinnable Clinic")])
    gid = body["results"][0]["golden_id"]
    bad = client.patch(f"/api/v1/golden/customer/{gid}", json={"pins": {"gln": "5391234567891"}, "reason": "x"})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    good = gln("539123456789")
    ok = client.patch(f"/api/v1/golden/customer/{gid}", json={"pins": {"gln": good}, "reason": "from the invoice"})
    assert ok.status_code == 200, ok.get_json()
    found = client.get(f"/api/v1/golden/customer?gln={good}").get_json()["items"]
    assert [r["id"] for r in found] == [gid]


def test_record_level_lineage_names_the_pin_and_its_steward(client) -> None:
    gid = post(client, "crm", "customer", [crm_account("001LIN0000000001", "Lineage Clinic")])["results"][0]["golden_id"]
    resp = client.patch(f"/api/v1/golden/customer/{gid}", json={"pins": {"name": "Lineage Clinic Inc"},
                                                               "reason": "legal name"}, headers={"X-Test-As": "ana"})
    assert resp.status_code == 200
    graph = client.get(f"/api/v1/lineage/golden/customer/{gid}").get_json()
    name = graph["fields"]["name"]
    assert name["value"] == "Lineage Clinic Inc" and name["rule"] == "pin"
    assert name["steward"]["actor"] == "ana" and name["steward"]["reason"] == "legal name"
    assert {"id": "steward:ana", "type": "steward", "actor": "ana"} in graph["nodes"]
    assert graph["fields"]["city"]["system"] == "crm"


def test_one_chunk_with_a_fuzzy_review_and_an_identifier_conflict(client) -> None:
    """Both kinds of task in one write (found at 100,000 records: the conflict task has no score)."""
    acme = {"vendorId": "V-1", "companyName": "Acme Medical Devices", "gln": gln("401234500001"),
            "dunsNumber": "150483782", "addressLine1": "Industriestrasse 5", "city": "Berlin", "postalCode": "10115",
            "countryCode": "DE"}
    post(client, "supplier-portal", "supplier", [acme])
    conflict = {**acme, "vendorId": "V-2", "gln": gln("401234500002")}  # same DUNS, another GLN
    near = {k: v for k, v in acme.items() if k not in ("gln", "dunsNumber")}
    near.update(vendorId="V-3", addressLine1="Industriestrasse 50", postalCode="10119")  # scores 0.63
    body = post(client, "supplier-portal", "supplier", [near, conflict])
    assert results(body) == ["review", "review"]
    found = tasks(client, domain="supplier")
    assert sorted(t["score"] is None for t in found) == [False, True]


@pytest.mark.parametrize("ids", [["A"], ["A", "D"], ["E", "A", "B", "C", "D"], ["X"], [], ["A", "A", "C"],
                                 ["P"], ["Q", "P"], ["R", "P", "Q"]])
def test_merge_chains_resolve_together_as_one_by_one(app, ids) -> None:
    from sqlalchemy import event

    from mdm.models import GoldenRecord
    from mdm.services.tasks import resolve, resolve_many

    # A was merged into B, B into C; P and Q into each other (never made, but resolve stops on it)
    chains = {"A": "B", "B": "C", "C": None, "D": None, "E": "C", "P": "Q", "Q": "P", "R": "P"}
    statements = []
    with app.extensions["mdm.sessionmaker"]() as s:
        s.add_all([GoldenRecord(id=g, domain="customer", status="merged" if into else "active", merged_into=into,
                                version=1, data={}) for g, into in chains.items()])
        s.flush()
        engine = s.get_bind()
        count = lambda *args: statements.append(args[2])
        event.listen(engine, "before_cursor_execute", count)
        try:
            together = resolve_many(s, ids)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        expected = {"A": "C", "B": "C", "C": "C", "D": "D", "E": "C", "X": "X", "P": "P", "Q": "Q", "R": "P"}
        assert together == {g: expected[g] for g in ids}
        assert {g: resolve(s, g) for g in ids} == together
        assert len(statements) <= 3  # one query per step of the longest chain (A, B, C), not one per id
        s.rollback()
