"""The console through the Flask test client: sign-in, roles, forged posts, languages, translations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from helpers import post
from signing import PASSWORD, principal
from test_steward import SGH, crm_person

import mdm.console

TRANSLATIONS = Path(mdm.console.__file__).parent / "translations" / "zh" / "LC_MESSAGES"


def signed_in(app, raw_client, name: str, role: str, lang: str | None = None):
    principal(app, name, role)
    form = raw_client.get("/auth/sign-in" + (f"?lang={lang}" if lang else "")).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    resp = raw_client.post("/auth/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": csrf,
                                                  "next": "/"})
    assert resp.status_code == 303
    return raw_client


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_pages_need_a_session(raw_client) -> None:
    resp = raw_client.get("/tasks")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/auth/sign-in?next=/tasks")


@pytest.mark.parametrize("role, path, status", [
    ("steward", "/audit", 403), ("auditor", "/audit", 200), ("consumer", "/tasks", 403),
    ("consumer", "/golden/customer", 200), ("admin", "/golden/customer", 403), ("admin", "/dictionary", 200),
    ("steward", "/golden/widget", 404), ("steward", "/tasks/999", 404),
])
def test_pages_follow_the_role(app, raw_client, role, path, status) -> None:
    c = signed_in(app, raw_client, f"a-{role}", role)
    resp = c.get(path)
    assert resp.status_code == status and resp.content_type.startswith("text/html")


def test_a_forged_post_from_an_auditor_is_403_and_audited(app, client, raw_client) -> None:
    gid = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    c = signed_in(app, raw_client, "insp", "auditor")
    page = c.get(f"/golden/customer/{gid}").get_data(as_text=True)
    assert "/pin" not in page and "unmerge-button" not in page
    resp = c.post(f"/golden/customer/{gid}/pin", data={"csrf_token": csrf_of(page), "field": "name", "value": "X",
                                                      "reason": "r", "password": PASSWORD})
    assert resp.status_code == 403
    assert client.get(f"/api/v1/golden/customer/{gid}").get_json()["version"] == 1
    assert client.get("/api/v1/audit", query_string={"action": "access_denied"}).get_json()["items"][0]["actor"] == "insp"


def test_a_steward_post_without_the_csrf_token_is_refused(app, client, raw_client) -> None:
    gid = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    c = signed_in(app, raw_client, "ana", "steward")
    resp = c.post(f"/golden/customer/{gid}/pin", data={"field": "name", "value": "X", "reason": "r",
                                                      "password": PASSWORD})
    assert resp.status_code == 400
    assert client.get(f"/api/v1/golden/customer/{gid}").get_json()["version"] == 1


def test_a_steward_pins_a_value_with_a_signature(app, client, raw_client) -> None:
    gid = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    c = signed_in(app, raw_client, "ana", "steward")
    page = c.get(f"/golden/customer/{gid}").get_data(as_text=True)
    resp = c.post(f"/golden/customer/{gid}/pin", data={"csrf_token": csrf_of(page), "field": "name",
                                                      "value": "Springfield General", "reason": "legal name",
                                                      "meaning": "responsibility", "password": PASSWORD,
                                                      "version": "1"})
    assert resp.status_code == 303
    rec = client.get(f"/api/v1/golden/customer/{gid}").get_json()
    assert rec["data"]["name"] == "Springfield General"
    assert [(s["signer"], s["meaning"], s["action"]) for s in rec["signatures"]] == [("ana", "responsibility", "pin")]
    # the page was read at version 1; the record is at 2 now: a second post from that page is refused
    stale = c.post(f"/golden/customer/{gid}/pin", data={"csrf_token": csrf_of(page), "field": "name", "value": "Y",
                                                       "reason": "r", "meaning": "approval", "password": PASSWORD,
                                                       "version": "1"},
                   follow_redirects=True)
    assert "Precondition failed" in stale.get_data(as_text=True)
    assert client.get(f"/api/v1/golden/customer/{gid}").get_json()["data"]["name"] == "Springfield General"


def test_a_consumer_sees_personal_fields_masked(app, client, raw_client) -> None:
    gid = post(client, "crm", "customer", [crm_person("P-1", "Okonkwo", "Adaeze", "1971-04-09")])[
        "results"][0]["golden_id"]
    c = signed_in(app, raw_client, "bi", "consumer")
    page = c.get(f"/golden/customer/{gid}").get_data(as_text=True)
    assert "Okonkwo" not in page and "1971-04-09" not in page and "***" in page
    steward = signed_in(app, app.test_client(), "ana", "steward")
    assert "Okonkwo" in steward.get(f"/golden/customer/{gid}").get_data(as_text=True)


@pytest.mark.parametrize("accept, query, expected", [
    ("zh-CN,zh;q=0.9", "", "审核队列"), ("en-US,en;q=0.8", "", "Review queue"),
    ("en-US", "?lang=zh", "审核队列"), ("zh-CN", "?lang=en", "Review queue"),
])
def test_the_language_follows_the_browser_or_the_switch(app, raw_client, accept, query, expected) -> None:
    c = signed_in(app, raw_client, "ana", "steward")
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    page = c.get(f"/{query}").get_data(as_text=True)
    assert expected in page


def test_field_labels_come_from_the_dictionary_in_both_languages(app, raw_client) -> None:
    c = signed_in(app, raw_client, "ana", "steward", lang="zh")
    zh = c.get("/dictionary/customer").get_data(as_text=True)
    en = c.get("/dictionary/customer?lang=en").get_data(as_text=True)
    assert "医疗专业人员的姓氏" in zh and "Family (last) name of the healthcare professional" in en


def test_the_compiled_catalog_matches_its_source() -> None:
    with (TRANSLATIONS / "messages.po").open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with (TRANSLATIONS / "messages.mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert po == mo
    assert all(po.values()), [k for k, v in po.items() if not v]


def test_lists_paginate(app, client, raw_client) -> None:
    from helpers import gtin
    from test_ingest import plm_part

    post(client, "plm", "product", [plm_part(f"PN-{i}", gtin(f"{5391234500000 + i}")) for i in range(55)])
    c = signed_in(app, raw_client, "ana", "steward")
    first = c.get("/golden/product").get_data(as_text=True)
    assert first.count('href="/golden/product/PRD-') == 50
    after = re.search(r'href="/golden/product\?after=(PRD-\d+)', first).group(1)
    second = c.get(f"/golden/product?after={after}").get_data(as_text=True)
    assert second.count('href="/golden/product/PRD-') == 5
