"""Every error is application/problem+json with type, title, status and detail; nothing half-written."""

from __future__ import annotations

import pytest
from helpers import gtin
from sqlalchemy import func, select

GOOD = {"source_key": "K-1", "gtin": gtin("0401234512345")}


def _count(app, model) -> int:
    from mdm.db import get_session

    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("method, url, kwargs, status", [
    ("get", "/api/v1/no-such-route", {}, 404),
    ("get", "/api/v1/golden/widget", {}, 404),
    ("get", "/api/v1/golden/product/PRD-99999999", {}, 404),
    ("get", "/api/v1/golden/product/PRD-99999999/history", {}, 404),
    ("get", "/api/v1/xref/plm/product/none", {}, 404),
    ("get", "/api/v1/dictionary/widget", {}, 404),
    ("get", "/api/v1/dictionary/mappings/nobody", {}, 404),
    ("get", "/api/v1/governance/versions/999", {}, 404),
    ("delete", "/api/v1/sources/plm/product/records/none", {}, 404),
    ("get", "/api/v1/golden/product?limit=0", {}, 422),
    ("get", "/api/v1/golden/product/PRD-00000001?as_of=yesterday", {}, 422),
    ("get", "/api/v1/changes?after=-1", {}, 422),
    ("patch", "/api/v1/changes", {}, 405),
    # no source account acts for an unknown system: refused before the handler could say 404
    ("post", "/api/v1/sources/nosuch/product/records", {"json": [GOOD]}, 403),
    ("post", "/api/v1/sources/csv-import/widget/records", {"json": [GOOD]}, 404),
    ("post", "/api/v1/sources/plm/lot/records", {"json": [GOOD]}, 403),
    ("post", "/api/v1/sources/csv-import/product/records", {"data": "[{", "content_type": "application/json"}, 400),
    ("post", "/api/v1/sources/csv-import/product/records", {"data": '{"a": 1}', "content_type": "application/json"}, 400),
    ("post", "/api/v1/sources/csv-import/product/records", {"data": '{"a":1}\n{oops', "content_type": "application/x-ndjson"}, 400),
    ("post", "/api/v1/sources/csv-import/product/records", {"data": 'a,b\n1,2,3\n', "content_type": "text/csv"}, 400),
    ("post", "/api/v1/sources/csv-import/product/records", {"data": 'x', "content_type": "application/xml"}, 415),
    ("post", "/api/v1/sources/csv-import/product/records", {"data": b'\xff\xfe[', "content_type": "application/json"}, 400),
    ("put", "/api/v1/sources/csv-import/product/records/K-1", {"data": "x", "content_type": "text/plain"}, 415),
    ("put", "/api/v1/sources/csv-import/product/records/K-1", {"json": [1]}, 400),
    ("put", "/api/v1/sources/csv-import/product/records/K-1", {"json": {"source_key": "K-2"}}, 400),
])
def test_problem_json(client, app, method, url, kwargs, status) -> None:
    from mdm.models import SourceRecord

    resp = getattr(client, method)(url, **kwargs)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.content_type == "application/problem+json"
    body = resp.get_json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert "Traceback" not in resp.get_data(as_text=True)
    assert _count(app, SourceRecord) == 0  # nothing half-written


def test_body_over_the_size_limit_is_413(app) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = app.test_client().post("/api/v1/sources/csv-import/product/records",
                                  data="[" + ",".join(['{"source_key": "x"}'] * 200) + "]",
                                  content_type="application/json")
    assert resp.status_code == 413
    assert resp.content_type == "application/problem+json"


def test_batch_over_the_record_limit_is_413_and_writes_nothing(app) -> None:
    from mdm.models import SourceRecord

    app.config["MAX_BATCH_RECORDS"] = 5
    records = [{"source_key": f"K-{i}"} for i in range(6)]
    resp = app.test_client().post("/api/v1/sources/csv-import/product/records", json=records)
    assert resp.status_code == 413
    assert "MDM_MAX_BATCH_RECORDS" in resp.get_json()["detail"]
    assert _count(app, SourceRecord) == 0


def test_unexpected_errors_are_500_problem_without_trace(app, monkeypatch) -> None:
    from mdm.services import golden

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(golden, "changes", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = app.test_client().get("/api/v1/changes")
    assert resp.status_code == 500
    assert resp.content_type == "application/problem+json"
    assert "secret internals" not in resp.get_data(as_text=True)


def test_openapi_document_lists_the_contract_paths(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = set(spec["paths"])
    for path in ("/api/v1/sources/{system}/{domain}/records", "/api/v1/sources/{system}/{domain}/records/{key}",
                 "/api/v1/golden/{domain}", "/api/v1/golden/{domain}/{golden_id}",
                 "/api/v1/golden/{domain}/{golden_id}/history", "/api/v1/xref/{system}/{domain}/{key}",
                 "/api/v1/dictionary", "/api/v1/dictionary/{domain}", "/api/v1/dictionary/{domain}/schema",
                 "/api/v1/changes"):
        assert path in paths, path
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"/api/v1/docs/assets/swagger-ui-bundle.js" in docs.data
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    assert client.get("/api/v1/docs/assets/../../setup.cfg").status_code == 404


def test_health(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["database"] == "ok"


def test_readyz_reports_schema_state(client) -> None:
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["governance"]


def test_unreachable_database_is_503(tmp_path) -> None:
    from mdm import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    # the token is looked up in the database: that is where the request fails
    resp = app.test_client().get("/api/v1/golden/product", headers={"Authorization": "Bearer mdm_unchecked"})
    assert resp.status_code == 503 and resp.content_type == "application/problem+json"
    assert app.test_client().get("/readyz").status_code == 503


@pytest.mark.parametrize("name, value", [("MAX_BATCH_RECORDS", "lots"), ("INGEST_CHUNK_SIZE", 0),
                                         ("TRUSTED_PROXIES", "two"), ("TRUSTED_PROXIES", -1)])
def test_bad_settings_are_refused_with_their_name(name, value) -> None:
    from mdm import create_app
    from mdm.settings import SettingsError

    with pytest.raises(SettingsError, match=f"MDM_{name}"):
        create_app({name: value, "DATABASE_URL": "sqlite://"})


def test_settings_from_the_environment_are_numbers(monkeypatch) -> None:
    from mdm import create_app

    monkeypatch.setenv("MDM_MAX_BATCH_RECORDS", "1_000")
    assert create_app({"DATABASE_URL": "sqlite://"}).config["MAX_BATCH_RECORDS"] == 1000


def test_cli_on_an_unmigrated_database_says_so_in_one_line(tmp_path) -> None:
    from click.testing import CliRunner

    from mdm.cli import cli

    result = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{tmp_path}/empty.sqlite3", "export", "golden",
                                      "--domain", "product"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "mdm db upgrade" in result.output


def test_cli_output_into_a_closed_pipe_is_not_an_error(runner, client) -> None:
    import subprocess
    import sys

    from helpers import gtin

    client.post("/api/v1/sources/csv-import/product/records",
                json=[{"source_key": f"K-{i:05d}-padding-to-fill-the-pipe", "gtin": gtin(f"04012345{i:05d}")}
                      for i in range(3000)])  # more than a pipe buffer holds
    proc = subprocess.run(
        f"{sys.executable} -m mdm.cli export xref --domain product | head -1",
        shell=True, capture_output=True, text=True, executable="/bin/bash", check=False,
    )
    assert proc.stdout.strip() == "system,source_key,golden_id"
    assert "error" not in proc.stderr
