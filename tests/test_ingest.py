"""Ingestion end to end through the HTTP API on a real database (DESIGN.md §3)."""

from __future__ import annotations

import pytest
from helpers import gln, gtin, post, results

G1 = gtin("0401234512345")
G2 = gtin("0401234512346")


def plm_part(pn: str, g: str, **extra) -> dict:
    return {"PartNumber": pn, "Revision": "B", "Name": "Coronary stent system 3.0 x 18 mm", "GTIN": g,
            "BrandName": "Arteria", "ModelNumber": "AR-3018", "RegulatoryClass": "Class III",
            "SterileFlag": "Y", "SterilizeBeforeUse": "N", "ShelfLifeMonths": "24", **extra}


def sap_material(matnr: str, g: str, **extra) -> dict:
    return {"MATNR": matnr, "MAKTX": "STENT ARTERIA 3.0X18", "EAN11": g.lstrip("0"), "MEINS": "ST",
            "ZZ_BRAND": "ARTERIA", "MHDHB": "730", **extra}


def test_same_gtin_from_two_systems_is_one_golden_record(client) -> None:
    first = post(client, "plm", "product", [plm_part("PN-1", G1)])
    assert results(first) == ["created"]
    golden_id = first["results"][0]["golden_id"]
    assert golden_id.startswith("PRD-")

    assert first["results"][0]["reasons"][0]["message"] == f"no golden record holds gtin {G1}"
    second = post(client, "sap-erp", "product", [sap_material("000000000000100023", G1)])
    assert results(second) == ["linked"]
    assert second["results"][0]["reasons"][0] == {"rule": "identifier:gtin", "severity": "info",
                                                  "message": f"equal valid identifier: gtin {G1}"}
    assert second["results"][0]["golden_id"] == golden_id

    rec = client.get(f"/api/v1/golden/product/{golden_id}").get_json()
    # PLM wins design data, SAP wins the material number (rules/product.yaml)
    assert rec["data"]["brand_name"] == "Arteria"
    assert rec["data"]["erp_material_number"] == "000000000000100023"
    assert rec["data"]["shelf_life_days"] == 720
    assert rec["provenance"]["brand_name"] == {"system": "plm", "source_key": "PN-1", "version": 1,
                                               "rule": "source_priority"}
    assert rec["provenance"]["erp_material_number"]["system"] == "sap-erp"
    assert rec["version"] == 2
    assert {s["system"] for s in rec["sources"]} == {"plm", "sap-erp"}


def test_loading_the_same_batch_twice_is_unchanged(client) -> None:
    batch = [plm_part("PN-1", G1), plm_part("PN-2", G2)]
    assert results(post(client, "plm", "product", batch)) == ["created", "created"]
    again = post(client, "plm", "product", batch)
    assert results(again) == ["unchanged", "unchanged"]
    assert again["results"][0]["reasons"][0]["message"] == "same content as version 1"
    changes = client.get("/api/v1/changes").get_json()["items"]
    assert [c["kind"] for c in changes] == ["created", "created"]


def test_update_creates_versions_and_history(client) -> None:
    created = post(client, "plm", "product", [plm_part("PN-1", G1)])
    gid = created["results"][0]["golden_id"]
    updated = post(client, "plm", "product", [plm_part("PN-1", G1, Revision="C")])
    res = updated["results"][0]
    assert (res["result"], res["golden_id"], res["version"]) == ("linked", gid, 2)
    assert res["reasons"][0]["message"] == f"new version of a source record linked to {gid}"
    hist = client.get(f"/api/v1/golden/product/{gid}/history").get_json()["versions"]
    assert [h["data"]["plm_revision"] for h in hist] == ["B", "C"]
    first = client.get(f"/api/v1/golden/product/{gid}?version=1").get_json()
    assert first["data"]["plm_revision"] == "B"
    as_of = client.get(f"/api/v1/golden/product/{gid}", query_string={"as_of": hist[0]["created_at"]}).get_json()
    assert as_of["version"] == 1


def test_two_different_valid_identifiers_of_one_kind_never_merge(client) -> None:
    a = {"vendorId": "V-1", "companyName": "Acme Medical", "gln": gln("401234500001"), "dunsNumber": "150483782"}
    b = {"vendorId": "V-2", "companyName": "Acme Medical", "gln": gln("401234500002"), "dunsNumber": "150483782"}
    first = post(client, "supplier-portal", "supplier", [a])
    second = post(client, "supplier-portal", "supplier", [b])
    assert results(first) == ["created"]
    assert results(second) == ["review"]
    assert second["results"][0]["golden_id"] != first["results"][0]["golden_id"]
    assert "never merged automatically" in second["results"][0]["reasons"][0]["message"]
    assert client.get("/api/v1/golden/supplier").get_json()["items"].__len__() == 2


def test_lots_match_only_within_their_site(client) -> None:
    post(client, "plm", "product", [plm_part("PN-1", G1)])
    lot = {"batchId": "B-1", "lotNo": "24A001", "gtin": G1, "siteCode": "GAL", "mfgDate": "2024-01-10",
           "expDate": "2026-01-10", "goodQty": 100}
    other_site = {**lot, "batchId": "B-2", "siteCode": "PEN"}
    same_site = {**lot, "batchId": "B-3"}
    body = post(client, "mes", "lot", [lot, other_site, same_site])
    assert results(body) == ["created", "created", "linked"]
    ids = [r["golden_id"] for r in body["results"]]
    assert ids[0] != ids[1] and ids[0] == ids[2]


def test_bad_records_are_quarantined_and_the_rest_accepted(client) -> None:
    bad_gtin = G1[:-1] + str((int(G1[-1]) + 1) % 10)
    batch = [plm_part("PN-1", G1), plm_part("PN-2", bad_gtin, RegulatoryClass="Class IV"), plm_part("PN-3", G2)]
    body = post(client, "plm", "product", batch)
    assert results(body) == ["created", "quarantined", "created"]
    reasons = body["results"][1]["reasons"]
    assert {r["field"] for r in reasons} == {"gtin", "device_class"}
    q = client.get("/api/v1/quarantine", query_string={"domain": "product"}).get_json()["items"]
    assert [i["source_key"] for i in q] == ["PN-2"]
    assert q[0]["raw"]["GTIN"] == bad_gtin
    # the source fixes it: accepted, leaves quarantine
    fixed = post(client, "plm", "product", [plm_part("PN-2", gtin("0401234512399"))])
    assert results(fixed) == ["created"]
    assert client.get("/api/v1/quarantine").get_json()["items"] == []


def test_unknown_fields_are_reported_and_kept(client) -> None:
    body = post(client, "plm", "product", [plm_part("PN-1", G1, SecretSauce="42")])
    assert body["results"][0]["unknown_fields"] == ["SecretSauce"]
    src = client.get("/api/v1/sources/plm/product/records/PN-1").get_json()
    assert src["raw"]["SecretSauce"] == "42"
    assert src["unknown_fields"] == ["SecretSauce"]


def test_records_without_key_are_rejected_and_kept(client, app) -> None:
    from sqlalchemy import select

    from mdm.models import RejectedRecord

    body = post(client, "plm", "product", [{"Name": "no part number"}, ["not", "an", "object"]])
    assert results(body) == ["rejected", "rejected"]
    with app.app_context():
        from mdm.db import get_session

        kept = get_session().scalars(select(RejectedRecord).order_by(RejectedRecord.position)).all()
        assert [k.raw for k in kept] == [{"Name": "no part number"}, ["not", "an", "object"]]


def test_delete_at_source_retires_a_golden_record_without_other_sources(client) -> None:
    gid = post(client, "plm", "product", [plm_part("PN-1", G1)])["results"][0]["golden_id"]
    post(client, "sap-erp", "product", [sap_material("M-1", G1)])
    resp = client.delete("/api/v1/sources/plm/product/records/PN-1")
    assert resp.status_code == 200 and resp.get_json()["result"] == "deleted"
    rec = client.get(f"/api/v1/golden/product/{gid}").get_json()
    assert rec["status"] == "active" and rec["data"]["brand_name"] == "ARTERIA"  # SAP's value now wins
    client.delete("/api/v1/sources/sap-erp/product/records/M-1")
    assert client.get(f"/api/v1/golden/product/{gid}").get_json()["status"] == "retired"
    kinds = [c["kind"] for c in client.get("/api/v1/changes").get_json()["items"]]
    assert kinds == ["created", "updated", "updated", "retired"]
    # the source sends it again: the golden record comes back under the same id
    again = post(client, "plm", "product", [plm_part("PN-1", G1)])
    assert again["results"][0]["golden_id"] == gid
    assert client.get(f"/api/v1/golden/product/{gid}").get_json()["status"] == "active"


def test_xref_answers_for_a_source_key(client) -> None:
    gid = post(client, "plm", "product", [plm_part("PN-1", G1)])["results"][0]["golden_id"]
    x = client.get("/api/v1/xref/plm/product/PN-1").get_json()
    assert x["golden_id"] == gid
    assert x["history"][0]["action"] == "link"


@pytest.mark.parametrize("fmt, body, ctype", [
    ("csv", "source_key,gtin,brand_name\nC-1,{g},Alpha\nC-2,{g},Alpha\n", "text/csv"),
    ("ndjson", '{{"source_key": "C-1", "gtin": "{g}"}}\n{{"source_key": "C-2", "gtin": "{g}"}}\n',
     "application/x-ndjson"),
])
def test_batch_formats(client, fmt, body, ctype) -> None:
    resp = client.post("/api/v1/sources/csv-import/product/records", data=body.format(g=G1), content_type=ctype)
    assert resp.status_code == 200
    assert results(resp.get_json()) == ["created", "linked"]


def test_single_put_and_validation_failure(client) -> None:
    ok = client.put("/api/v1/sources/plm/product/records/PN-9", json=plm_part("PN-9", G1))
    assert ok.status_code == 200 and ok.get_json()["result"] == "created"
    bad = client.put("/api/v1/sources/plm/product/records/PN-8", json=plm_part("PN-8", "123"))
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    assert "gtin" in bad.get_json()["errors"]
    # kept in quarantine all the same
    src = client.get("/api/v1/sources/plm/product/records/PN-8").get_json()
    assert src["status"] == "quarantined" and src["raw"]["GTIN"] == "123"


def test_identifier_filter_and_pagination(client) -> None:
    post(client, "plm", "product", [plm_part(f"PN-{i}", gtin(f"04012345{i:05d}")) for i in range(7)])
    page1 = client.get("/api/v1/golden/product?limit=3").get_json()
    page2 = client.get(f"/api/v1/golden/product?limit=3&after={page1['next_after']}").get_json()
    page3 = client.get(f"/api/v1/golden/product?limit=3&after={page2['next_after']}").get_json()
    ids = [r["id"] for p in (page1, page2, page3) for r in p["items"]]
    assert len(ids) == 7 == len(set(ids)) and ids == sorted(ids)
    assert page3["next_after"] is None
    target = gtin("0401234500003")
    found = client.get("/api/v1/golden/product", query_string={"gtin": target.lstrip("0")}).get_json()["items"]
    assert [r["data"]["gtin"] for r in found] == [target]


def test_resending_a_quarantined_record_unchanged_still_answers_422(client) -> None:
    bad = plm_part("PN-8", "123")
    assert client.put("/api/v1/sources/plm/product/records/PN-8", json=bad).status_code == 422
    again = client.put("/api/v1/sources/plm/product/records/PN-8", json=bad)
    assert again.status_code == 422 and "gtin" in again.get_json()["errors"]
    body = post(client, "plm", "product", [bad, plm_part("PN-9", G1)], query_string={"results": "problems"})
    assert [r["source_key"] for r in body["results"]] == ["PN-8"]
    assert body["results"][0]["result"] == "unchanged"


def test_url_keys_go_through_the_mapping_key_transforms(client) -> None:
    # plm keys are trimmed and upper-cased by dictionary/mappings/plm.yaml
    assert client.put("/api/v1/sources/plm/product/records/pn-7", json=plm_part("PN-7", G1)).status_code == 200
    assert client.get("/api/v1/sources/plm/product/records/pn-7").get_json()["source_key"] == "PN-7"
    assert client.get("/api/v1/xref/plm/product/pn-7").get_json()["source_key"] == "PN-7"
    assert client.get("/api/v1/xref/nosuch/product/pn-7").status_code == 404
    assert client.get("/api/v1/xref/nosuch/product/pn-7").get_json()["title"] == "Unknown system"


def test_relink_after_delete_is_in_the_xref_history_and_versions_keep_their_status(client) -> None:
    gid = post(client, "plm", "product", [plm_part("PN-1", G1)])["results"][0]["golden_id"]
    client.delete("/api/v1/sources/plm/product/records/PN-1")
    post(client, "plm", "product", [plm_part("PN-1", G1, Revision="D")])
    actions = [h["action"] for h in client.get("/api/v1/xref/plm/product/PN-1").get_json()["history"]]
    assert actions == ["link", "unlink", "link"]
    versions = client.get(f"/api/v1/golden/product/{gid}/history").get_json()["versions"]
    assert [v["status"] for v in versions] == ["active", "retired", "active"]
    assert client.get(f"/api/v1/golden/product/{gid}?version=2").get_json()["status"] == "retired"
    assert client.get(f"/api/v1/golden/product/{gid}?version=1").get_json()["status"] == "active"


def test_data_deleted_at_source_never_comes_back_through_a_quarantined_resend(client) -> None:
    gid = post(client, "csv-import", "product", [
        {"source_key": "P1", "gtin": G1, "brand_name": "FROM-P1", "catalog_number": "CAT-P1"},
        {"source_key": "P2", "gtin": G1, "brand_name": "FROM-P2"},
    ])["results"][0]["golden_id"]
    client.delete("/api/v1/sources/csv-import/product/records/P1")
    bad = post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "shelf_life_days": "abc"}])
    assert results(bad) == ["quarantined"]
    post(client, "csv-import", "product", [{"source_key": "P2", "gtin": G1, "brand_name": "FROM-P2",
                                            "model_number": "m2"}])
    data = client.get(f"/api/v1/golden/product/{gid}").get_json()["data"]
    assert data["brand_name"] == "FROM-P2" and data["model_number"] == "m2" and "catalog_number" not in data
    # a valid resend links it again, and says so
    post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "brand_name": "FROM-P1"}])
    actions = [h["action"] for h in client.get("/api/v1/xref/csv-import/product/P1").get_json()["history"]]
    assert actions == ["link", "unlink", "link"]


def test_a_key_sent_twice_in_one_batch_is_checked_both_times(client) -> None:
    post(client, "plm", "product", [plm_part("PN-1", G1)])
    lot = {"source_key": "L1", "lot_number": "24A1", "gtin": G1, "site": "GAL", "quantity": 5}
    first = post(client, "csv-import", "lot", [lot])["results"][0]
    product = client.get(f"/api/v1/golden/lot/{first['golden_id']}").get_json()["data"]["product_id"]
    body = post(client, "csv-import", "lot", [{**lot, "quantity": 6}, lot])
    assert results(body) == ["linked", "linked"]
    src = client.get("/api/v1/sources/csv-import/lot/records/L1").get_json()
    assert src["version"] == 3 and src["payload"]["product_id"] == product
    audit = client.get("/api/v1/audit", query_string={"entity_id": "csv-import/lot/L1"}).get_json()["items"]
    assert [e["action"] for e in audit] == ["link", "update", "update"]


@pytest.mark.parametrize(("on_error", "result", "severity"), [
    ("quarantine", "quarantined", "error"),
    ("omit", "created", "warning"),
])
def test_a_value_that_does_not_convert_quarantines_or_is_left_out(app, on_error, result, severity) -> None:
    """`on_error: omit` on a mapping field: an unconvertible value is left out with a warning."""
    import dataclasses

    from mdm.services.ingest import Ingestor

    gov = app.extensions["mdm.governance"]
    mapping = gov.mappings[("crm", "customer")]
    fields = [dataclasses.replace(f, on_error=on_error) if f.target == "date_of_birth" else f for f in mapping.fields]
    custom = dataclasses.replace(gov, mappings={**gov.mappings, ("crm", "customer"): dataclasses.replace(
        mapping, fields=fields)})
    raw = {"Id": "P-31FEB", "IsPersonAccount": "true", "FirstName": "Ada", "LastName": "Byron",
           "Birthdate": "02/31/1980", "BillingCountry": "GB"}
    (r,) = Ingestor(app.extensions["mdm.sessionmaker"], custom, "crm", "customer").run([raw]).results
    assert r.result == result
    (problem,) = [x for x in r.reasons if x["rule"] == "mapping.crm.date_of_birth"]
    assert problem["severity"] == severity and problem["value"] == "02/31/1980"
    if result == "created":
        from mdm.models import GoldenRecord

        with app.extensions["mdm.sessionmaker"]() as s:
            data = s.get(GoldenRecord, r.golden_id).data
        assert "date_of_birth" not in data and data["family_name"] == "Byron"


def test_a_new_version_sets_only_the_indexed_columns_that_changed(app, client) -> None:
    """Status and golden id are indexed: a new version that keeps them does not set them, on the source
    record nor on its golden record (in a large hub each would cost a random index page), and one
    that changes the status does set it."""
    from sqlalchemy import event

    from mdm.models import SourceRecord

    updates: list[str] = []

    def seen(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("UPDATE SOURCE_RECORD", "UPDATE GOLDEN_RECORD")):
            updates.append(statement.split(" WHERE ")[0])

    engine = app.extensions["mdm.engine"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = post(client, "plm", "product", [plm_part("PN-1", G1)])
        updates.clear()
        assert results(post(client, "plm", "product", [plm_part("PN-1", G1, Revision="C")])) == ["linked"]
        source, golden = sorted(updates, key=lambda u: "golden_record" in u)
        assert "latest_version" in source and "status" not in source and "golden_id" not in source
        assert "accepted_payload" in source
        assert "version" in golden and "status" not in golden
        updates.clear()
        assert results(post(client, "plm", "product", [plm_part("PN-1", G1, RegulatoryClass="Class IV")])) \
            == ["quarantined"]
        (stmt,) = updates
        assert "status" in stmt and "golden_id" not in stmt and "accepted_payload" not in stmt
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with app.extensions["mdm.sessionmaker"]() as s:
        sr = s.query(SourceRecord).filter_by(system="plm", source_key="PN-1").one()
        assert (sr.status, sr.golden_id, sr.latest_version, sr.accepted_version) == (
            "quarantined", first["results"][0]["golden_id"], 3, 2)


def test_a_source_record_carries_the_payload_of_its_accepted_version_through_every_step(app, client) -> None:
    """Matching reads a candidate's payload from its source record alone: the copy must follow the
    accepted version through updates, quarantined versions, deletion and a resend."""
    from sqlalchemy import select

    from mdm.models import SourceRecord, SourceVersion

    def copies() -> dict[str, tuple]:  # type: ignore[type-arg]
        sr, sv = SourceRecord, SourceVersion
        with app.extensions["mdm.sessionmaker"]() as s:
            rows = s.execute(select(sr.source_key, sr.accepted_version, sr.accepted_payload, sv.payload)
                             .outerjoin(sv, (sv.source_record_id == sr.id) & (sv.version == sr.accepted_version)))
            return {key: (accepted, copy, payload) for key, accepted, copy, payload in rows}

    def check(expected: dict[str, int | None]) -> None:
        found = copies()
        assert {k: v[0] for k, v in found.items()} == expected
        for key, (_, copy, payload) in found.items():
            assert copy == payload, key

    post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "brand_name": "ONE"},
                                           {"source_key": "P2", "gtin": G2, "shelf_life_days": "abc"}])
    check({"P1": 1, "P2": None})
    post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "brand_name": "TWO"},
                                           {"source_key": "P2", "gtin": G2, "brand_name": "FIXED"}])
    check({"P1": 2, "P2": 2})
    assert copies()["P1"][1]["brand_name"] == "TWO"
    post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "shelf_life_days": "abc"}])
    check({"P1": 2, "P2": 2})
    client.delete("/api/v1/sources/csv-import/product/records/P1")
    check({"P1": None, "P2": 2})
    post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "shelf_life_days": "abc"}])
    check({"P1": None, "P2": 2})
    post(client, "csv-import", "product", [{"source_key": "P1", "gtin": G1, "brand_name": "BACK"}])
    check({"P1": 6, "P2": 2})
