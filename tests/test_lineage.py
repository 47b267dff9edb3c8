"""Lineage: OpenLineage events valid against the vendored spec, the emitter, record-level lineage API."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.server
import json
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from helpers import gtin, post
from jsonschema import Draft202012Validator, FormatChecker
from openlineage.client.serde import Serde
from referencing import Registry, Resource
from sqlalchemy import event as sa_event
from sqlalchemy import select

from mdm.api.lineage import blp
from mdm.governance import current
from mdm.lineage import LineageEmitter, emitter, run_event, steward_event
from mdm.lineage.events import NAMESPACE_RE
from mdm.models import IngestRun, LineageEvent, QualityStat
from mdm.quality.stats import field_rules

SPEC_DIR = Path(__file__).parent / "openlineage_spec"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
G1 = gtin("0401234512345")
T0 = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.timezone.utc)


# -- spec validation ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry() -> Registry:
    resources = []
    for path in sorted(SPEC_DIR.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, key, facet) for every facet of a run event."""
    yield from (("run.facets", k, f) for k, f in (event["run"].get("facets") or {}).items())
    yield from (("job.facets", k, f) for k, f in (event["job"].get("facets") or {}).items())
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for ds in event.get(side) or []:
            for where in ("facets", extra):
                yield from ((f"{side}.{where}", k, f) for k, f in (ds.get(where) or {}).items())


def spec_errors(registry: Registry, event: dict[str, Any]) -> list[str]:
    """Errors of the event against RunEvent, and of each facet against the $def its _schemaURL names."""
    def check(ref: str, instance: Any, where: str) -> list[str]:
        validator = Draft202012Validator({"$ref": ref}, registry=registry, format_checker=FormatChecker())
        return [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(instance)]

    errors = check(RUN_EVENT, event, "event")
    for where, key, facet in _facets(event):
        url = facet["_schemaURL"]
        file_url = url.split("#", 1)[0]
        try:
            facet_file = registry.contents(file_url)
        except Exception:  # noqa: BLE001
            errors.append(f"{where}.{key}: {url} is not in the vendored spec")
            continue
        if key not in facet_file.get("properties", {}):
            errors.append(f"{where}.{key}: {file_url} names its facet {list(facet_file.get('properties', {}))}")
        errors += check(url, facet, f"{where}.{key}")
    return errors


def absolute_uri(value: str) -> bool:
    parsed = urlparse(value)
    return bool(parsed.scheme and parsed.netloc)


def writable_pairs(gov) -> list[tuple[str, str]]:
    return [(s.name, d) for s in gov.systems.values() for d in s.writes]


def stat_rows(gov, domain: str) -> list[dict[str, Any]]:
    """Rule rows as `RunStats.rows` gives them: field rules and configured rules, some failing."""
    rows = [{"rule_id": rid, "kind": rid.rsplit(".", 1)[-1], "severity": "error", "evaluated": 10, "failed": 0}
            for rids in field_rules(gov.domains[domain]).values() for rid in rids]
    rows += [{"rule_id": c.rule.id, "kind": c.kind, "severity": c.rule.severity, "evaluated": 10, "failed": i % 2}
             for i, c in enumerate(gov.rules[domain].checks)]
    return rows


def build(gov, event_type: str, system: str, domain: str) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if event_type != "START":
        kw = {"stats": stat_rows(gov, domain),
              "counts": {"created": 3, "linked": 2, "unchanged": 1, "review": 0, "quarantined": 1, "rejected": 1}}
    if event_type == "FAIL":
        try:
            raise RuntimeError("database went away")
        except RuntimeError as exc:
            kw["error"] = exc
    return Serde.to_dict(run_event(gov, event_type, str(uuid.uuid4()), system, domain, T0, **kw))


@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL"])
def test_ingest_events_of_every_system_and_domain_are_valid(registry, governance, event_type: str) -> None:
    pairs = writable_pairs(governance)
    assert len(pairs) > 10
    for system, domain in pairs:
        event = build(governance, event_type, system, domain)
        assert spec_errors(registry, event) == [], (system, domain)


@pytest.mark.parametrize("action", ["merge", "unmerge", "correct"])
def test_steward_events_are_valid_and_their_own_jobs(registry, governance, action: str) -> None:
    run = str(uuid.uuid4())
    event = Serde.to_dict(steward_event(governance, action, run, "PRD-000001", "product", T0, "alice",
                                        "same device, two ERP materials"))
    assert spec_errors(registry, event) == []
    assert event["job"] == {"namespace": governance.hub_namespace, "name": f"mdm.steward.{action}",
                            "facets": {"jobType": event["job"]["facets"]["jobType"]}}
    assert event["job"]["facets"]["jobType"]["jobType"] == "STEWARD_ACTION"
    assert event["eventType"] == "COMPLETE"
    params = {p["key"]: p["value"] for p in event["run"]["facets"]["executionParameters"]["parameters"]}
    assert params == {"golden_id": "PRD-000001", "domain": "product", "actor": "alice",
                      "reason": "same device, two ERP materials"}
    assert [d["name"] for d in event["inputs"] + event["outputs"]] == ["golden.product", "golden.product"]


def test_a_facet_outside_the_spec_is_reported(registry, governance) -> None:
    event = build(governance, "START", "plm", "product")
    event["job"]["facets"]["jobType"]["processingType"] = 7
    event["run"]["runId"] = "not-a-uuid"
    errors = spec_errors(registry, event)
    assert any("processingType" in e for e in errors) and any("runId" in e for e in errors)


@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL"])
def test_naming_rules(governance, event_type: str) -> None:
    for system, domain in writable_pairs(governance):
        event = build(governance, event_type, system, domain)
        assert event["job"]["namespace"] == governance.hub_namespace
        assert event["job"]["name"] == f"mdm.ingest.{system}.{domain}"
        job_type = event["job"]["facets"]["jobType"]
        assert (job_type["processingType"], job_type["integration"], job_type["jobType"]) == ("BATCH", "MDM", "INGEST")
        (source,), (golden,) = event["inputs"], event["outputs"]
        assert (source["namespace"], source["name"]) == (governance.systems[system].namespace, f"{system}.{domain}")
        assert (golden["namespace"], golden["name"]) == (governance.hub_namespace, f"golden.{domain}")
        if event_type == "START":
            # START names the datasets; their facets come with the run's COMPLETE or FAIL
            assert "facets" not in source and "facets" not in golden
            lineage_inputs = []
        else:
            lineage_inputs = [i for f in golden["facets"]["columnLineage"]["fields"].values()
                              for i in f["inputFields"]]
        for ds in [event["job"], source, golden, *lineage_inputs]:
            assert NAMESPACE_RE.match(ds["namespace"]), ds["namespace"]
            assert not ds["name"][0].isdigit()
        assert absolute_uri(event["producer"]) and event["producer"] == governance.producer
        assert {f["_producer"] for _, _, f in _facets(event)} == {governance.producer}
        assert dt.datetime.fromisoformat(event["eventTime"]) == T0


def test_ingest_facets_follow_the_mapping_and_the_run(governance) -> None:
    start, complete, fail = (build(governance, t, "plm", "product") for t in ("START", "COMPLETE", "FAIL"))
    source = complete["inputs"][0]
    columns = [f["name"] for f in source["facets"]["schema"]["fields"]]
    assert columns[0] == "PartNumber" and {"GTIN", "BrandName", "View"} <= set(columns)
    assertions = {a["assertion"]: a for a in source["inputFacets"]["dataQualityAssertions"]["assertions"]}
    gtin_check = assertions["product.gtin.check"]
    # the column is the source column the rule's field is mapped from, as the input schema lists it
    assert (gtin_check["success"], gtin_check["column"], gtin_check["params"]["field"]) == (True, "GTIN", "gtin")
    brand = assertions["product.brand_name.required"]
    assert brand["column"] == "BrandName" and brand["severity"] == "warning"
    assert assertions["product.manufacturer.exists"]["params"]["field"] == "manufacturer_id"
    assert any(not a["success"] for a in assertions.values())
    assert "dataQualityAssertions" not in source["facets"]
    assert source["inputFacets"]["inputStatistics"]["rowCount"] == 8

    golden = complete["outputs"][0]
    assert golden["outputFacets"]["outputStatistics"]["rowCount"] == 5  # created + linked
    gtin_lineage = golden["facets"]["columnLineage"]["fields"]["gtin"]
    (field,) = gtin_lineage["inputFields"]
    assert (field["namespace"], field["name"], field["field"]) == ("mssql://plm-db.meddev.example:1433",
                                                                   "plm.product", "GTIN")
    assert field["transformations"] == [{"type": "DIRECT", "subtype": "TRANSFORMATION", "description": "trim, gtin14"}]
    assert golden["facets"]["columnLineage"]["fields"]["device_class"]["transformationDescription"] == \
        "trim, code(7 values)"
    assert golden["facets"]["columnLineage"]["fields"]["shelf_life_days"]["transformationDescription"] == \
        "trim, number, multiply(30), integer"

    assert "nominalTime" in start["run"]["facets"] and "outputFacets" not in start["outputs"][0]
    assert "inputFacets" not in start["inputs"][0]  # no rules evaluated yet: nothing to assert
    assert "errorMessage" not in complete["run"]["facets"]
    error = fail["run"]["facets"]["errorMessage"]
    assert error["message"] == "RuntimeError: database went away" and "Traceback" in error["stackTrace"]
    assert "outputStatistics" not in fail["outputs"][0].get("outputFacets", {})


def test_identity_mapping_has_canonical_columns(governance) -> None:
    event = build(governance, "COMPLETE", "csv-import", "customer")
    columns = [f["name"] for f in event["inputs"][0]["facets"]["schema"]["fields"]]
    assert columns == ["source_key", *governance.domains["customer"].fields]
    lineage = event["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert set(lineage) == set(governance.domains["customer"].fields)
    first = next(iter(governance.domains["customer"].fields))
    assert lineage[first]["inputFields"][0]["field"] == first
    assert lineage[first]["transformationType"] == "IDENTITY"


def test_fail_without_a_message_still_says_it_failed(registry, governance) -> None:
    event = Serde.to_dict(run_event(governance, "FAIL", str(uuid.uuid4()), "mes", "lot", T0))
    assert event["run"]["facets"]["errorMessage"]["message"] == "the ingest run failed"
    assert spec_errors(registry, event) == []


# -- emitter ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_openlineage_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client reads its configuration from the environment too; tests start without any."""
    import os

    for name in list(os.environ):
        if name.startswith(("OPENLINEAGE_", "OPENLINEAGE__")):
            monkeypatch.delenv(name)


def _rows(app) -> list[LineageEvent]:
    with app.extensions["mdm.sessionmaker"]() as session:
        return list(session.scalars(select(LineageEvent).order_by(LineageEvent.id)))


def _emitter(app, transport: dict[str, Any] | None = None, instance: Path | None = None) -> LineageEmitter:
    with app.app_context():
        gov = current()
    if transport is not None:
        gov = dataclasses.replace(gov, openlineage={"transport": transport})
    return LineageEmitter(gov, app.extensions["mdm.sessionmaker"], str(instance or app.instance_path))


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_default_file_transport_writes_under_the_instance_folder(app, registry) -> None:
    emitter = _emitter(app)  # lineage/openlineage.yml: file transport, relative path, append
    run = str(uuid.uuid4())
    assert emitter.ingest_started(run, "plm", "product", T0)
    assert emitter.ingest_completed(run, "plm", "product", stats=stat_rows(emitter.gov, "product"),
                                    counts={"created": 1, "linked": 0})
    written = _lines(Path(app.instance_path) / "lineage-events.ndjson")
    rows = _rows(app)
    assert [r.event for r in rows] == written
    assert [(r.event_type, r.run_uuid, r.job_name, r.delivered, r.error) for r in rows] == [
        ("START", run, "mdm.ingest.plm.product", True, None), ("COMPLETE", run, "mdm.ingest.plm.product", True, None)]
    assert rows[0].event_time.replace(tzinfo=dt.timezone.utc) == T0
    for event in written:  # as sent, with the facets the client adds itself
        assert spec_errors(registry, event) == []
    assert emitter.failures == 0


def test_relative_file_path_and_openlineage_config_variable(app, tmp_path, monkeypatch) -> None:
    emitter = _emitter(app, {"type": "file", "log_file_path": "lineage/out.ndjson", "append": True},
                       instance=tmp_path / "inst")
    assert emitter.emit(run_event(emitter.gov, "START", str(uuid.uuid4()), "mes", "equipment", T0))
    assert len(_lines(tmp_path / "inst" / "lineage" / "out.ndjson")) == 1

    config = tmp_path / "ol.yml"
    config.write_text(f"transport:\n  type: file\n  log_file_path: {tmp_path / 'env.ndjson'}\n  append: true\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    assert emitter.emit(run_event(emitter.gov, "START", str(uuid.uuid4()), "mes", "equipment", T0))
    assert len(_lines(tmp_path / "env.ndjson")) == 1
    assert len(_lines(tmp_path / "inst" / "lineage" / "out.ndjson")) == 1


@pytest.fixture()
def receiver() -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """A lineage backend on a random local port: what it was posted, by path."""
    received: list[tuple[str, Any]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_http_transport_posts_the_stored_event(app, receiver) -> None:
    url, received = receiver
    emitter = _emitter(app, {"type": "http", "url": url, "endpoint": "api/v1/lineage"})
    run = str(uuid.uuid4())
    assert emitter.ingest_failed(run, "sap-erp", "lot", "ValueError: bad batch", counts={"rejected": 2})
    (row,) = _rows(app)
    assert received == [("/api/v1/lineage", row.event)]
    assert (row.delivered, row.error, row.event_type) == (True, None, "FAIL")


@pytest.mark.parametrize("kind", ["file", "http"])
def test_transports_send_the_stored_dict_without_converting_again(app, receiver, tmp_path, monkeypatch,
                                                                  kind: str) -> None:
    """The transports' `Serde.to_json` takes the dict the hub made: Serde's own walk never runs."""
    from openlineage.client.serde import Serde

    def walked(*_: Any) -> None:
        raise AssertionError("Serde converted the event again")

    monkeypatch.setattr(Serde, "remove_nulls_and_enums", classmethod(walked))
    url, received = receiver
    path = tmp_path / "handed.ndjson"
    transport = ({"type": "file", "log_file_path": str(path), "append": True} if kind == "file"
                 else {"type": "http", "url": url, "endpoint": "api/v1/lineage"})
    emitter = _emitter(app, transport)
    run = str(uuid.uuid4())
    assert emitter.ingest_completed(run, "plm", "product", stats=stat_rows(emitter.gov, "product"),
                                    counts={"created": 1}, started_at=T0)
    sent = _lines(path) if kind == "file" else [body for _, body in received]
    assert [r.event for r in _rows(app)] == sent and len(sent) == 2
    assert (emitter.failures, [r.delivered for r in _rows(app)]) == (0, [True, True])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_app_emitter_is_created_once_on_first_use(app) -> None:
    assert emitter() is None  # outside an app: ingestion without lineage
    with app.app_context():
        first = emitter()
        assert first is not None and first is emitter() is app.extensions["mdm.lineage"]
        assert first.instance_path == app.instance_path  # the folder the tests moved it to


def test_unreachable_backend_never_raises(app) -> None:
    emitter = _emitter(app, {"type": "http", "url": f"http://127.0.0.1:{_closed_port()}", "timeout": 2,
                             "retry": {"total": 0}})
    assert emitter.ingest_started(str(uuid.uuid4()), "plm", "product") is False
    (row,) = _rows(app)
    assert row.delivered is False and row.error and "Connection" in row.error
    assert emitter.failures == 1


def test_unusable_transport_or_database_never_raises(app, tmp_path) -> None:
    emitter = _emitter(app, {"type": "no-such-transport"})
    assert emitter.ingest_started(str(uuid.uuid4()), "plm", "product") is False
    (row,) = _rows(app)
    assert row.delivered is False and "cannot configure the OpenLineage client" in (row.error or "")

    def broken_factory():
        raise RuntimeError("database is down")

    path = tmp_path / "kept.ndjson"
    offline = LineageEmitter(_emitter(app, {"type": "file", "log_file_path": str(path), "append": True}).gov,
                             broken_factory, str(tmp_path))  # type: ignore[arg-type]
    assert offline.ingest_started(str(uuid.uuid4()), "plm", "product") is True  # sent, not stored
    assert offline.failures == 1 and len(_lines(path)) == 1



def test_background_worker_emits_in_order_after_the_caller_returns(app, tmp_path) -> None:
    path = tmp_path / "bg.ndjson"
    base = _emitter(app, {"type": "file", "log_file_path": str(path), "append": True})
    bg = LineageEmitter(base.gov, app.extensions["mdm.sessionmaker"], str(tmp_path), background=True)
    runs = [str(uuid.uuid4()) for _ in range(5)]
    for run in runs:
        bg.submit(bg.ingest_started, run, "plm", "product", T0)
    assert bg.flush(10)
    assert [e["run"]["runId"] for e in _lines(path)] == runs
    assert len(_rows(app)) == 5 and bg.failures == 0


def test_background_worker_stores_what_queued_up_in_one_transaction(app, tmp_path) -> None:
    """Events that queue while the worker is busy are sent in order and stored with one commit."""
    path = tmp_path / "batch.ndjson"
    base = _emitter(app, {"type": "file", "log_file_path": str(path), "append": True})
    bg = LineageEmitter(base.gov, app.extensions["mdm.sessionmaker"], str(tmp_path), background=True)
    busy = threading.Event()
    bg.submit(busy.wait, 10)  # the worker is held up, as by a slow backend
    runs = [str(uuid.uuid4()) for _ in range(20)]
    for run in runs:
        bg.submit(bg.ingest_completed, run, "plm", "product", stats=[], counts={"created": 1}, started_at=T0)
    commits: list[int] = []
    engine = app.extensions["mdm.engine"]
    listener = lambda conn: commits.append(1)
    sa_event.listen(engine, "commit", listener)
    try:
        busy.set()
        assert bg.flush(10)
    finally:
        sa_event.remove(engine, "commit", listener)
    sent = _lines(path)
    assert [e["run"]["runId"] for e in sent] == [r for r in runs for _ in ("START", "COMPLETE")]
    rows = _rows(app)
    assert [r.event for r in rows] == sent and all(r.delivered for r in rows)
    assert len(commits) == 1 and bg.failures == 0


def test_configured_environment_variables_are_stored_as_sent(app, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MDM_LINEAGE_TEST_SITE", "plant-7")
    path = tmp_path / "env-facet.ndjson"
    base = _emitter(app, {"type": "file", "log_file_path": str(path), "append": True})
    gov = dataclasses.replace(base.gov, openlineage={**base.gov.openlineage,
                                                     "facets": {"environment_variables": ["MDM_LINEAGE_TEST_SITE"]}})
    emitter = LineageEmitter(gov, app.extensions["mdm.sessionmaker"], str(tmp_path))
    assert emitter.ingest_started(str(uuid.uuid4()), "plm", "product", T0)
    (sent,) = _lines(path)
    assert sent["run"]["facets"]["environmentVariables"]["environmentVariables"] == [
        {"name": "MDM_LINEAGE_TEST_SITE", "value": "plant-7"}]
    assert [r.event for r in _rows(app)] == [sent]


# -- record-level lineage API -------------------------------------------------------------------


@pytest.fixture()
def api(app):
    """The test client with the lineage blueprint, registered here until mdm.api registers it."""
    if "lineage" not in app.blueprints:
        app.extensions["mdm.api"].register_blueprint(blp, url_prefix="/api/v1")
    return app.test_client()


def plm_part(pn: str, g: str, **extra: Any) -> dict[str, Any]:
    return {"PartNumber": pn, "Revision": "B", "Name": "Coronary stent system 3.0 x 18 mm", "GTIN": g,
            "BrandName": "Arteria", "ModelNumber": "AR-3018", "RegulatoryClass": "Class III",
            "SterileFlag": "Y", "SterilizeBeforeUse": "N", "ShelfLifeMonths": "24", **extra}


def sap_material(matnr: str, g: str, **extra: Any) -> dict[str, Any]:
    return {"MATNR": matnr, "MAKTX": "STENT ARTERIA 3.0X18", "EAN11": g.lstrip("0"), "MEINS": "ST",
            "ZZ_BRAND": "ARTERIA", "MHDHB": "730", **extra}


MATNR = "000000000000100023"


def test_golden_lineage_names_system_run_and_source_version_per_field(api) -> None:
    plm = post(api, "plm", "product", [plm_part("PN-1", G1, BrandName="")])  # brand missing: a warning
    sap = post(api, "sap-erp", "product", [sap_material(MATNR, G1)])
    gid = plm["results"][0]["golden_id"]
    assert sap["results"][0]["golden_id"] == gid

    resp = api.get(f"/api/v1/lineage/golden/product/{gid}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["golden_id"], body["domain"], body["version"]) == (gid, "product", 2)
    fields = body["fields"]
    assert fields["gtin"] | {"quality": None} == {
        "value": G1, "system": "plm", "source_key": "PN-1", "source_version": 1, "rule": "source_priority",
        "run_id": plm["run_id"], "received_at": fields["gtin"]["received_at"], "quality": None}
    assert [i["rule"] for i in fields["gtin"]["quality"]] == ["product.brand_name.required"]
    assert (fields["brand_name"]["system"], fields["brand_name"]["value"]) == ("sap-erp", "ARTERIA")
    assert (fields["erp_material_number"]["run_id"], fields["erp_material_number"]["quality"]) == (sap["run_id"], [])

    nodes = {n["id"]: n for n in body["nodes"]}
    plm_src, sap_src = "source:plm/PN-1@1", f"source:sap-erp/{MATNR}@1"
    assert {"system:plm", "system:sap-erp", f"run:{plm['run_id']}", f"run:{sap['run_id']}", plm_src, sap_src,
            f"field:{gid}.gtin", f"field:{gid}.brand_name"} <= set(nodes)
    assert nodes["system:sap-erp"]["namespace"] == "sap://erp-prd.meddev.example:3200"
    assert nodes[f"run:{plm['run_id']}"]["job"] == "mdm.ingest.plm.product"
    assert {n["type"] for n in body["nodes"]} == {"system", "run", "source_record_version", "golden_field"}
    edges = {(e["from"], e["to"]): e for e in body["edges"]}
    assert edges[("system:plm", f"run:{plm['run_id']}")]["type"] == "ran"
    assert edges[(f"run:{plm['run_id']}", plm_src)]["type"] == "received"
    assert edges[(plm_src, f"field:{gid}.gtin")] == {"from": plm_src, "to": f"field:{gid}.gtin", "type": "won",
                                                      "rule": "source_priority"}
    assert edges[(sap_src, f"field:{gid}.brand_name")]["type"] == "won"
    assert len(edges) == len(body["edges"])

    first = api.get(f"/api/v1/lineage/golden/product/{gid}", query_string={"version": 1}).get_json()
    assert first["version"] == 1 and {f["system"] for f in first["fields"].values()} == {"plm"}
    assert "system:sap-erp" not in {n["id"] for n in first["nodes"]}


def test_source_lineage_shows_the_golden_record_fed_and_the_fields_won(api) -> None:
    first = post(api, "plm", "product", [plm_part("PN-1", G1)])
    sap = post(api, "sap-erp", "product", [sap_material(MATNR, G1)])
    second = post(api, "plm", "product", [plm_part("PN-1", G1, Revision="C")])
    gid = first["results"][0]["golden_id"]

    body = api.get("/api/v1/lineage/source/plm/product/pn-1").get_json()  # the key as PLM may spell it
    assert (body["source_key"], body["golden_id"], body["status"]) == ("PN-1", gid, "active")
    (golden,) = body["goldens"]
    assert (golden["golden_id"], golden["linked_now"], golden["version"]) == (gid, True, 3)
    assert [(link["action"], link["rule"], link["run_id"]) for link in golden["links"]] == [
        ("link", "new", first["run_id"])]
    v1, v2 = body["versions"]
    assert (v1["version"], v1["run_id"], v1["wins"]) == (1, first["run_id"], {})  # superseded by version 2
    assert v2["run_id"] == second["run_id"] and {"plm_revision", "gtin", "brand_name"} <= set(v2["wins"][gid])
    assert "erp_material_number" not in v2["wins"][gid]

    erp = api.get(f"/api/v1/lineage/source/sap-erp/product/{MATNR}").get_json()
    assert erp["goldens"][0]["links"][0]["rule"] == "identifier:gtin"
    assert erp["goldens"][0]["links"][0]["run_id"] == sap["run_id"]
    assert {"erp_material_number", "unit_of_measure"} <= set(erp["versions"][0]["wins"][gid])


@pytest.mark.parametrize("url, status, title", [
    ("/api/v1/lineage/golden/product/PRD-999999", 404, "Not found"),
    ("/api/v1/lineage/golden/widget/PRD-000001", 404, "Unknown domain"),
    ("/api/v1/lineage/source/nope/product/PN-1", 404, "Unknown system"),
    ("/api/v1/lineage/source/plm/product/PN-404", 404, "Not found"),
    ("/api/v1/lineage/runs?limit=0", 422, None),
    ("/api/v1/lineage/events?after=-1", 422, None),
])
def test_lineage_errors_are_problems(api, url: str, status: int, title: str | None) -> None:
    resp = api.get(url)
    assert resp.status_code == status
    assert resp.mimetype == "application/problem+json"
    if title:
        assert resp.get_json()["title"] == title


def test_unknown_golden_version_is_not_found(api) -> None:
    gid = post(api, "plm", "product", [plm_part("PN-1", G1)])["results"][0]["golden_id"]
    assert api.get(f"/api/v1/lineage/golden/product/{gid}?version=9").status_code == 404


def _emit_run(app, emitter: LineageEmitter, run_uuid: str) -> None:
    """What Ingestor.run does once wired: START, then COMPLETE with the run's rule rows and counts.

    Skipped when ingestion already emitted them, so the test holds before and after the wiring.
    """
    with app.extensions["mdm.sessionmaker"]() as session:
        if session.scalars(select(LineageEvent.id).where(LineageEvent.run_uuid == run_uuid)).first():
            return
        run = session.scalars(select(IngestRun).where(IngestRun.run_uuid == run_uuid)).one()
        stats = [{"rule_id": s.rule_id, "kind": s.kind, "severity": s.severity, "evaluated": s.evaluated,
                  "failed": s.failed} for s in session.scalars(select(QualityStat).where(QualityStat.run_id == run.id))]
    assert stats
    emitter.ingest_started(run.run_uuid, run.system, run.domain, run.started_at)
    emitter.ingest_completed(run.run_uuid, run.system, run.domain, stats=stats, counts=run.counts,
                             event_time=run.finished_at)


def test_runs_and_events_endpoints(app, api, registry) -> None:
    first = post(api, "plm", "product", [plm_part("PN-1", G1), plm_part("PN-2", gtin("0401234512346"))])
    second = post(api, "sap-erp", "product", [sap_material(MATNR, G1)])
    emitter = _emitter(app)
    _emit_run(app, emitter, first["run_id"])
    _emit_run(app, emitter, second["run_id"])

    runs = api.get("/api/v1/lineage/runs").get_json()["items"]
    assert [r["run_id"] for r in runs] == [second["run_id"], first["run_id"]]  # newest first
    assert runs[1] | {"started_at": None, "finished_at": None, "governance_version_id": None} == {
        "run_id": first["run_id"], "system": "plm", "domain": "product", "status": "complete",
        "job": "mdm.ingest.plm.product", "actor": "system:plm", "started_at": None, "finished_at": None,
        "counts": first["counts"], "error": None, "governance_version_id": None,
        "lineage_events": ["START", "COMPLETE"]}
    only_plm = api.get("/api/v1/lineage/runs", query_string={"system": "plm"}).get_json()["items"]
    assert [r["run_id"] for r in only_plm] == [first["run_id"]]
    assert api.get("/api/v1/lineage/runs?domain=lot").get_json()["items"] == []
    assert len(api.get("/api/v1/lineage/runs?limit=1").get_json()["items"]) == 1

    page = api.get("/api/v1/lineage/events", query_string={"run_id": first["run_id"]}).get_json()
    assert [e["event_type"] for e in page["items"]] == ["START", "COMPLETE"]
    complete = page["items"][1]["event"]
    assert complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 2
    assert spec_errors(registry, complete) == []
    assert page["items"][1]["delivered"] is True
    written = _lines(Path(app.instance_path) / "lineage-events.ndjson")
    assert [e["event"] for e in api.get("/api/v1/lineage/events").get_json()["items"]] == written

    seen, after = [], 0
    while True:
        chunk = api.get("/api/v1/lineage/events", query_string={"after": after, "limit": 3}).get_json()
        if not chunk["items"]:
            assert chunk["next_after"] == after
            break
        seen += [e["id"] for e in chunk["items"]]
        after = chunk["next_after"]
    assert len(seen) == 4 and seen == sorted(seen)
    assert re.fullmatch(r"[0-9a-f-]{36}", page["items"][0]["run_id"])



def test_ingestion_through_the_api_emits_start_and_complete_after_commit(app, client, registry) -> None:
    from sqlalchemy import select

    from mdm.models import LineageEvent

    g = gtin("0401234512345")
    body = client.post("/api/v1/sources/plm/product/records",
                       json=[{"PartNumber": "PN-1", "GTIN": g, "Name": "Stent"}]).get_json()
    with app.extensions["mdm.sessionmaker"]() as s:
        rows = s.scalars(select(LineageEvent).where(LineageEvent.run_uuid == body["run_id"])
                         .order_by(LineageEvent.id)).all()
    assert [r.event_type for r in rows] == ["START", "COMPLETE"]
    for row in rows:
        assert spec_errors(registry, row.event) == []
        assert row.job_name == "mdm.ingest.plm.product"
    complete = rows[1].event
    assert complete["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 1


def test_steward_merge_over_http_emits_a_valid_steward_run(client, registry) -> None:
    """A merge through the API is its own OpenLineage run of `mdm.steward.merge`, stored after the commit."""
    from mdm.models import GoldenRecord

    def part(pn: str, body: str, model: str) -> dict[str, Any]:
        return {"PartNumber": pn, "Revision": "B", "Name": f"Coronary stent {model}", "GTIN": gtin(body),
                "BrandName": "Arteria", "ModelNumber": model, "RegulatoryClass": "Class III"}

    a = post(client, "plm", "product", [part("PN-A", "400638133393", "AR-1")])["results"][0]["golden_id"]
    b = post(client, "plm", "product", [part("PN-B", "400638133394", "ZX-9")])["results"][0]["golden_id"]
    resp = client.post("/api/v1/golden/product/merge", json={"survivor": a, "merged": [b], "reason": "same device"},
                       headers={"X-Test-As": "ana"})
    assert resp.status_code == 200, resp.get_json()
    with client.application.extensions["mdm.sessionmaker"]() as s:
        assert s.get(GoldenRecord, b).merged_into == a
        rows = s.scalars(select(LineageEvent).where(LineageEvent.job_name == "mdm.steward.merge")).all()
    assert {r.event["run"]["facets"]["executionParameters"]["parameters"][0]["value"] for r in rows} == {a, b}
    for r in rows:
        assert spec_errors(registry, r.event) == []
        params = {p["key"]: p["value"] for p in r.event["run"]["facets"]["executionParameters"]["parameters"]}
        assert params["actor"] == "ana" and params["reason"] == "same device"
