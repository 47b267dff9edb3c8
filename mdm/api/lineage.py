"""Lineage for auditors: where each golden value came from, ingest runs, and the OpenLineage events sent."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..db import get_session
from ..governance import DOMAINS, current
from ..lineage import graph
from .golden import _domain
from .keys import source_key

blp = Blueprint("lineage", __name__, description="Record-level lineage and OpenLineage events")


class GoldenLineageQuerySchema(Schema):
    version = fields.Integer(validate=validate.Range(min=1),
                             metadata={"description": "a past version; default the current one"})


class LineageFieldSchema(Schema):
    value = fields.Raw(allow_none=True)
    system = fields.String(allow_none=True)
    source_key = fields.String(allow_none=True)
    source_version = fields.Integer(allow_none=True)
    rule = fields.String(allow_none=True, metadata={"description": "survivorship strategy that chose the value"})
    run_id = fields.String(allow_none=True, metadata={"description": "ingest run that received the source version"})
    received_at = fields.String(allow_none=True)
    quality = fields.List(fields.Dict(), metadata={"description": "issues recorded with that source version"})
    steward = fields.Dict(metadata={"description": "a steward's pin: pin id, actor, reason and time"})


class LineageNodeSchema(Schema):
    id = fields.String(required=True, metadata={"description": "system:…, run:…, source:…/…@…, field:…"})
    type = fields.String(required=True, validate=validate.OneOf(
        ["system", "run", "source_record_version", "golden_field", "steward"]))
    system = fields.String()
    namespace = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    run_id = fields.String()
    job = fields.String()
    status = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    source_key = fields.String()
    version = fields.Integer()
    received_at = fields.String(allow_none=True)
    field = fields.String()
    value = fields.Raw(allow_none=True)
    rule = fields.String(allow_none=True)
    actor = fields.String()


LineageEdgeSchema = Schema.from_dict({
    "from": fields.String(required=True), "to": fields.String(required=True),
    "type": fields.String(required=True, metadata={"description": "ran, received, won, sent or set"}),
    "rule": fields.String(),
}, name="LineageEdgeSchema")


class GoldenLineageSchema(Schema):
    golden_id = fields.String(required=True)
    domain = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    created_at = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.Nested(LineageFieldSchema), required=True,
                          data_key="fields", attribute="fields")
    nodes = fields.List(fields.Nested(LineageNodeSchema), required=True)
    edges = fields.List(fields.Nested(LineageEdgeSchema), required=True)
    signatures = fields.List(fields.Dict(), metadata={"description": "signature manifests on this version"})


class LineageLinkSchema(Schema):
    action = fields.String(required=True)
    rule = fields.String(allow_none=True)
    run_id = fields.String(allow_none=True)
    actor = fields.String(required=True)
    reason = fields.String(allow_none=True)
    at = fields.String(required=True)


class LineageFedGoldenSchema(Schema):
    golden_id = fields.String(required=True)
    status = fields.String(required=True)
    merged_into = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    linked_now = fields.Boolean(required=True)
    links = fields.List(fields.Nested(LineageLinkSchema), required=True)


class SourceVersionLineageSchema(Schema):
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    run_id = fields.String(allow_none=True)
    received_at = fields.String(required=True)
    issues = fields.List(fields.Dict())
    wins = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                       metadata={"description": "golden id -> fields whose current value comes from this version"})


class SourceLineageSchema(Schema):
    system = fields.String(required=True)
    domain = fields.String(required=True)
    source_key = fields.String(required=True)
    status = fields.String(required=True)
    golden_id = fields.String(allow_none=True, required=True)
    goldens = fields.List(fields.Nested(LineageFedGoldenSchema), required=True)
    versions = fields.List(fields.Nested(SourceVersionLineageSchema), required=True)


class LineageRunsQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))
    domain = fields.String(validate=validate.OneOf(DOMAINS))
    system = fields.String()


class LineageRunSchema(Schema):
    run_id = fields.String(required=True, metadata={"description": "the OpenLineage run id"})
    system = fields.String(required=True)
    domain = fields.String(required=True)
    status = fields.String(required=True)
    job = fields.String(required=True)
    actor = fields.String(required=True)
    started_at = fields.String(required=True)
    finished_at = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    error = fields.String(allow_none=True)
    governance_version_id = fields.Integer(allow_none=True)
    lineage_events = fields.List(fields.String(), required=True,
                                 metadata={"description": "event types stored for the run, in order"})


class LineageRunListSchema(Schema):
    items = fields.List(fields.Nested(LineageRunSchema), required=True)


class LineageEventsQuerySchema(Schema):
    run_id = fields.String()
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class LineageEventSchema(Schema):
    id = fields.Integer(required=True)
    run_id = fields.String(required=True)
    event_type = fields.String(required=True)
    job_namespace = fields.String(required=True)
    job_name = fields.String(required=True)
    event_time = fields.String(required=True)
    delivered = fields.Boolean(required=True)
    error = fields.String(allow_none=True)
    event = fields.Dict(required=True, metadata={"description": "the OpenLineage RunEvent as sent"})


class LineageEventPageSchema(Schema):
    items = fields.List(fields.Nested(LineageEventSchema), required=True)
    next_after = fields.Integer(required=True, metadata={"description": "pass as `after` to continue"})


@blp.route("/lineage/golden/<string:domain>/<string:golden_id>")
class GoldenLineage(MethodView):
    @blp.arguments(GoldenLineageQuerySchema, location="query")
    @blp.response(200, GoldenLineageSchema)
    def get(self, args: dict[str, Any], domain: str, golden_id: str) -> dict[str, Any]:
        """Where each value of a golden version comes from: system, run, source version, rule."""
        return graph.golden_lineage(get_session(), current(), _domain(domain), golden_id, args.get("version"))


@blp.route("/lineage/source/<string:system>/<string:domain>/<path:key>")
class SourceLineage(MethodView):
    @blp.response(200, SourceLineageSchema)
    def get(self, system: str, domain: str, key: str) -> dict[str, Any]:
        """The golden records a source record fed, and the fields each of its versions wins now."""
        return graph.source_lineage(get_session(), system, domain, source_key(system, domain, key))


@blp.route("/lineage/runs")
class Runs(MethodView):
    @blp.arguments(LineageRunsQuerySchema, location="query")
    @blp.response(200, LineageRunListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Ingest runs, newest first, with their counts and the lineage events stored for them."""
        limit = min(args["limit"], current_app.config["MAX_PAGE_SIZE"])
        return {"items": graph.recent_runs(get_session(), limit=limit, domain=args.get("domain"),
                                           system=args.get("system"))}


@blp.route("/lineage/events")
class Events(MethodView):
    @blp.arguments(LineageEventsQuerySchema, location="query")
    @blp.response(200, LineageEventPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Stored OpenLineage events in emission order, after id `after`; filter by run."""
        limit = min(args["limit"], current_app.config["MAX_PAGE_SIZE"])
        items = graph.stored_events(get_session(), after=args["after"], limit=limit, run_id=args.get("run_id"))
        return {"items": items, "next_after": items[-1]["id"] if items else args["after"]}
