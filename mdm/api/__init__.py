"""HTTP API under /api/v1 (flask-smorest); every error is application/problem+json."""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from . import (
    audit,
    changes,
    dictionary,
    golden,
    health,
    lineage,
    principals,
    problems,
    quality,
    sources,
    steward,
    xref,
)


class ProblemSchema(Schema):
    """RFC 9457 problem details, the body of every error."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Raw(metadata={"description": "what is wrong, by field or JSON path"})


class HubApi(Api):
    """flask-smorest's Api with the hub's problem+json error body, documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):  # type: ignore[override]
        return problems.from_http_exception(error)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any error (401, 403, 404, 409, 412, 428, ...), as problem details",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_api(app: Flask) -> None:
    api = HubApi(app, spec_kwargs={
        "info": {"description": "Golden records for medical-device master data. Every call needs a bearer token "
                               "(`mdm tokens create`) or a browser session (/auth/sign-in)."},
        "security": [{"bearerAuth": []}]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (sources, golden, steward, xref, dictionary, quality, changes, audit, lineage, principals):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(health.bp)
    problems.init_app(app)
    app.extensions["mdm.api"] = api
