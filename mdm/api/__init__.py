"""HTTP API under /api/v1 (flask-smorest); every error is application/problem+json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

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


class HubApi(Api):
    """flask-smorest's Api with the hub's problem+json error body."""

    def handle_http_exception(self, error):  # type: ignore[override]
        return problems.from_http_exception(error)


def init_api(app: Flask) -> None:
    api = HubApi(app, spec_kwargs={"info": {"description": "Golden records for medical-device master data."}})
    for module in (sources, golden, steward, xref, dictionary, quality, changes, audit, lineage, principals):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.register_blueprint(health.bp)
    problems.init_app(app)
    app.extensions["mdm.api"] = api
