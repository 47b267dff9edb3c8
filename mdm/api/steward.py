"""Steward work over HTTP: the review queue, decisions, merge, unmerge and pins (DESIGN.md §5).

Until access control lands, the acting person is named by the `X-MDM-Actor` header (default
`steward`); every action also needs a reason, which goes into the audit trail.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..db import get_session
from ..governance import DOMAINS, current
from ..lineage import emitter as lineage_emitter
from ..services import steward, tasks

blp = Blueprint("steward", __name__, description="Steward review queue, merge, unmerge and pins")


def actor() -> str:
    return (request.headers.get("X-MDM-Actor") or "steward").strip()[:128] or "steward"


def _factory() -> Any:
    return current_app.extensions["mdm.sessionmaker"]


def lineage(action: str, domain: str, golden_ids: list[str], reason: str | None) -> None:
    """One OpenLineage run of `mdm.steward.<action>` per golden record touched, after the commit."""
    emitter = lineage_emitter()
    if emitter is None:
        return
    who = actor()
    for gid in golden_ids:
        emitter.submit(emitter.steward_action, action, str(uuid.uuid4()), gid, domain, who, reason)


class TaskQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "closed", "all"]))
    domain = fields.String(validate=validate.OneOf(DOMAINS))
    assignee = fields.String()
    after = fields.Integer(metadata={"description": "id of the last task of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=50)


class TaskSchema(Schema):
    id = fields.Integer(required=True)
    domain = fields.String(required=True)
    status = fields.String(required=True)
    score = fields.Float(allow_none=True, metadata={"description": "best match probability among the candidates"})
    reason = fields.String(required=True)
    golden_id = fields.String(allow_none=True, metadata={"description": "the golden record of the incoming record"})
    candidate_ids = fields.List(fields.String(), required=True)
    assignee = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    revision = fields.Integer(required=True)
    governance_version_id = fields.Integer(allow_none=True)
    created_at = fields.String(required=True)
    source = fields.Dict()
    explanation = fields.Dict(allow_none=True,
                              metadata={"description": "values compared, comparator, level, weight and total"})
    sides = fields.List(fields.Dict(), metadata={"description": "both sides: the golden records as they are now"})


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(tasks.DECISIONS))
    reason = fields.String(required=True, validate=validate.Length(min=1))
    candidate = fields.String(metadata={"description": "which candidate, when the task has several"})
    revision = fields.Integer(metadata={"description": "the task revision the steward looked at"})


class DecisionResultSchema(Schema):
    task = fields.Integer(required=True)
    decision = fields.String(required=True)
    merge = fields.Dict()
    remembered = fields.Integer()
    task_view = fields.Nested(TaskSchema)


class AssignSchema(Schema):
    assignee = fields.String(required=True, allow_none=True)
    revision = fields.Integer()


class MergeSchema(Schema):
    survivor = fields.String(required=True, metadata={"description": "keeps its id"})
    merged = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(required=True, validate=validate.Length(min=1))


class MergeResultSchema(Schema):
    survivor = fields.String(required=True)
    merged = fields.List(fields.String(), required=True)
    version = fields.Integer(allow_none=True)
    moved = fields.Integer()


class UnmergeSchema(Schema):
    system = fields.String(required=True)
    source_key = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))


class UnmergeResultSchema(Schema):
    golden_id = fields.String(required=True)
    version = fields.Integer(allow_none=True)
    target = fields.String(required=True)
    target_version = fields.Integer(allow_none=True)
    how = fields.String(required=True, metadata={"description": "restored (earlier id), rematched or created"})
    source = fields.Dict()


class PatchSchema(Schema):
    pins = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict,
                       metadata={"description": "field -> value; wins over every source until released"})
    release = fields.List(fields.String(), load_default=list)
    reason = fields.String(required=True, validate=validate.Length(min=1))


class PatchResultSchema(Schema):
    golden_id = fields.String(required=True)
    version = fields.Integer(allow_none=True)
    pinned = fields.List(fields.String())
    released = fields.List(fields.String())


@blp.route("/tasks")
class TaskList(MethodView):
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The review queue: tasks in id order, filtered by status, domain and assignee."""
        session = get_session()
        rows = tasks.list_tasks(session, status=args["status"], domain=args.get("domain"),
                                assignee=args.get("assignee"), after=args.get("after"), limit=args["limit"] + 1)
        page = rows[:args["limit"]]
        return {"items": [tasks.task_view(session, t) for t in page],
                "next_after": page[-1].id if len(rows) > args["limit"] else None}


@blp.route("/tasks/<int:task_id>")
class Task(MethodView):
    @blp.response(200, TaskSchema)
    def get(self, task_id: int) -> dict[str, Any]:
        """One task with both sides and the explanation."""
        session = get_session()
        return tasks.task_view(session, tasks.get_task(session, task_id), full=True)


@blp.route("/tasks/<int:task_id>/decision")
class TaskDecision(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, DecisionResultSchema)
    def post(self, body: dict[str, Any], task_id: int) -> dict[str, Any]:
        """Decide a task: `merge` or `not_a_match` (remembered; wins over later scores). Reason required."""
        out = steward.decide(_factory(), current(), task_id, body["decision"], actor=actor(), reason=body["reason"],
                             candidate=body.get("candidate"), revision=body.get("revision"))
        view = out["task_view"]
        touched = [g for g in [view["golden_id"], *view["candidate_ids"]] if g]
        lineage("task_decision", view["domain"], touched, body["reason"])
        return out


@blp.route("/tasks/<int:task_id>/assign")
class TaskAssign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, TaskSchema)
    def post(self, body: dict[str, Any], task_id: int) -> dict[str, Any]:
        """Assign a task to a steward (null: unassign)."""
        return steward.assign(_factory(), task_id, body["assignee"], actor=actor(), revision=body.get("revision"))


@blp.route("/golden/<string:domain>/merge")
class Merge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, MergeResultSchema)
    def post(self, body: dict[str, Any], domain: str) -> dict[str, Any]:
        """Merge golden records into a survivor, which keeps its id; the others answer with `merged_into`."""
        out = steward.merge_records(_factory(), current(), domain, body["survivor"], body["merged"], actor=actor(),
                                    reason=body["reason"])
        lineage("merge", domain, [out["survivor"], *out["merged"]], body["reason"])
        return out


@blp.route("/golden/<string:domain>/<string:golden_id>/unmerge")
class Unmerge(MethodView):
    @blp.arguments(UnmergeSchema)
    @blp.response(200, UnmergeResultSchema)
    def post(self, body: dict[str, Any], domain: str, golden_id: str) -> dict[str, Any]:
        """Take a source record out of a golden record: back to its earlier id, or re-matched (never-match remembered)."""
        out = steward.unmerge_record(_factory(), current(), domain, golden_id, body["system"], body["source_key"],
                                     actor=actor(), reason=body["reason"])
        lineage("unmerge", domain, [out["golden_id"], out["target"]], body["reason"])
        return out
