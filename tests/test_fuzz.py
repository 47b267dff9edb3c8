"""API fuzzing with schemathesis: generated requests for every operation of the OpenAPI document.

Each operation is called with the token of a role allowed to call it (so requests get past access
control into the handlers), with a bounded number of examples per operation (MDM_FUZZ_EXAMPLES).
Nothing may answer 5xx, and every response must match the schema documented for its status.
The operations are driven through Hypothesis directly (schemathesis' pytest plugin does not run
under pytest 9).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance
from signing import token_for

from mdm import create_app
from mdm.auth import principals

EXAMPLES = int(os.environ.get("MDM_FUZZ_EXAMPLES", "15"))


def _schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _operations() -> list[str]:
    # the document needs no database: an app on an unopened in-memory URL is enough to list it
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    return sorted(r.ok().label for r in _schema(app).get_all_operations())


OPERATIONS = _operations()


def _token(app, case) -> str:
    method = case.method.upper()
    try:
        endpoint, view_args = app.url_map.bind("localhost").match(case.formatted_path, method=method)
    except Exception:  # noqa: BLE001 - a generated path no route takes: any valid token will do
        endpoint, view_args = None, {}
    token = token_for(app, endpoint, method, view_args)
    with app.extensions["mdm.sessionmaker"]() as s:
        alive = principals.caller_for_token(s, token) is not None
    # (outside that session: on SQLite it holds the write lock, and token_for writes)
    if not alive:
        # a generated DELETE /tokens/{id} or PATCH /principals/{name} may have revoked it
        app.extensions["test.tokens"].clear()
        token = token_for(app, endpoint, method, view_args)
    return token


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 40 and "POST /api/v1/sources/{system}/{domain}/records" in OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_server_error_and_documented_responses(label: str, app) -> None:
    operation = next(r.ok() for r in _schema(app).get_all_operations() if r.ok().label == label)
    seen: list[int] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {_token(app, case)}"})
        seen.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
        case.validate_response(response, checks=[response_schema_conformance])

    run()
    assert seen, f"{label}: no request was generated"
