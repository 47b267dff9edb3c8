"""Fixes from the security review: each case once let something through that it should not have."""

from __future__ import annotations

import re

import pytest
from helpers import post
from signing import PASSWORD, bearer, principal
from sqlalchemy import func, select
from test_console import csrf_of, signed_in
from test_ingest import G1, plm_part
from test_steward import SGH, crm_person

from mdm.auth import principals
from mdm.models import AuditEvent, GoldenRecord


def test_a_consumer_cannot_confirm_a_masked_identifier_by_searching(app, client, raw_client) -> None:
    post(client, "crm", "customer", [crm_person("P-1", "Okonkwo", "Adaeze", "1971-04-09", NPI__c="1234567893")])
    resp = raw_client.get("/api/v1/golden/customer?national_id=1234567893", headers=bearer(app, "bi", "consumer",
                                                                                            password=None))
    assert resp.status_code == 403 and "national_id" in resp.get_json()["detail"]
    steward = raw_client.get("/api/v1/golden/customer?national_id=1234567893", headers=bearer(app, "st", "steward"))
    assert steward.status_code == 200


@pytest.mark.parametrize("version", [None, "", "x", "-1"])
def test_a_console_post_must_say_which_version_it_saw(app, client, raw_client, version) -> None:
    gid = post(client, "sap-erp", "customer", [SGH])["results"][0]["golden_id"]
    c = signed_in(app, raw_client, "ana", "steward")
    form = {"csrf_token": csrf_of(c.get(f"/golden/customer/{gid}").get_data(as_text=True)), "field": "name",
            "value": "X", "reason": "r", "meaning": "approval", "password": PASSWORD}
    if version is not None:
        form["version"] = version
    page = c.post(f"/golden/customer/{gid}/pin", data=form, follow_redirects=True).get_data(as_text=True)
    assert "which version you saw" in page
    assert client.get(f"/api/v1/golden/customer/{gid}").get_json()["version"] == 1


def test_the_console_pins_a_boolean_as_a_boolean(app, client, raw_client) -> None:
    gid = post(client, "plm", "product", [plm_part("PN-1", G1)])["results"][0]["golden_id"]
    c = signed_in(app, raw_client, "ana", "steward")
    page = c.get(f"/golden/product/{gid}").get_data(as_text=True)
    resp = c.post(f"/golden/product/{gid}/pin", data={
        "csrf_token": csrf_of(page), "field": "is_sterile", "value": "no", "reason": "label reprint",
        "meaning": "approval", "password": PASSWORD, "version": "1"})
    assert resp.status_code == 303
    assert client.get(f"/api/v1/golden/product/{gid}").get_json()["data"]["is_sterile"] is False


def test_the_dashboard_shows_a_consumer_only_what_the_api_would(app, raw_client) -> None:
    page = signed_in(app, raw_client, "bi", "consumer").get("/").get_data(as_text=True)
    assert "Quality scorecard" not in page and "open tasks" not in page and "quarantined records" not in page
    assert 'href="/golden/product"' in page


def test_console_pages_are_not_cached_and_run_no_script(app, raw_client) -> None:
    resp = signed_in(app, raw_client, "ana", "steward").get("/")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]


def test_a_stranger_cannot_lock_a_steward_out(app, client) -> None:
    principal(app, "ana", "steward")
    with app.extensions["mdm.sessionmaker"]() as s:
        for _ in range(8):  # failures under her name from another address
            with pytest.raises(principals.MDMError):
                principals.check_credentials(s, "ana", "guess", remote="203.0.113.9")
            s.commit()
        # she still signs in from her own address, and still signs with her password
        assert principals.check_credentials(s, "ana", PASSWORD, remote="127.0.0.1").name == "ana"
        assert principals.check_credentials(s, "ana", PASSWORD, remote="127.0.0.1", purpose="signature")
        throttled = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "sign_in_throttled"))
    assert throttled == 1  # one entry per window, not one per refused attempt


def test_serving_refuses_a_database_with_active_demo_accounts(app) -> None:
    from mdm.demo import accounts

    accounts.ensure(app.extensions["mdm.sessionmaker"])
    app.config.update(TESTING=False, DEMO=False)
    with pytest.raises(principals.MDMError, match="demo accounts"):
        accounts.refuse_outside_demo(app)
    app.config["DEMO"] = True
    accounts.refuse_outside_demo(app)


def test_pagination_links_keep_filters_encoded(app, client, raw_client) -> None:
    post(client, "plm", "product", [plm_part("PN-1", G1)])
    c = signed_in(app, raw_client, "insp", "auditor")
    # enough entries for a second page under a filter that needs encoding
    with app.extensions["mdm.sessionmaker"]() as s:
        from mdm.audit import append
        from mdm.audit.log import entry

        append(s, [entry("a&b", "note", "x", str(i)) for i in range(60)])
        s.commit()
        assert s.scalar(select(func.count()).select_from(GoldenRecord)) == 1
    page = c.get("/audit?actor=a%26b").get_data(as_text=True)
    link = re.search(r'href="(/audit\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "actor=a%26b" in link
    assert "a&amp;b" in c.get(link).get_data(as_text=True)
