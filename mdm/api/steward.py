"""Steward work over HTTP: the review queue, decisions, merge, unmerge and pins (DESIGN.md §5).

The acting person is the signed-in principal. Every action needs a reason (kept in the audit trail),
If-Match with the ETag of what the steward looked at (see `etags`), and a signature confirmed by the
steward's password: merge, unmerge, pins and task decisions are signed records (21 CFR Part 11).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..auth import principals
from ..auth.http import actor, current_caller, remote_addr
from ..db import get_session
from ..governance import DOMAINS, current
from ..lineage import emitter as lineage_emitter
from ..services import steward, tasks
from ..services.signatures import MEANINGS, SignRequest
from . import etags

blp = Blueprint("steward", __name__, description="Steward review queue, merge, unmerge and pins")


class SignatureNotConfirmed(principals.Forbidden):
    title = "Signature not confirmed"


class SignatureSchema(Schema):
    meaning = fields.String(required=True, validate=validate.OneOf(MEANINGS),
                            metadata={"description": "what the signature means (21 CFR Part 11 §11.50)"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "the signer's password, re-entered for this signature"})


def confirm_signature(body: dict[str, Any]) -> SignRequest:
    """The caller re-enters their password to sign; a wrong one is counted, audited and refused."""
    caller = current_caller()
    sig = body["signature"]
    try:
        return principals.confirm_signature(_factory(), caller.name, sig["password"], sig["meaning"],
                                            remote=remote_addr())
    except principals.AuthenticationFailed:
        g.denied_audited = True  # audited as signature_failed already
        raise SignatureNotConfirmed("the password does not confirm the signature; nothing was changed") from None


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
    signature = fields.Nested(SignatureSchema, required=True)
    candidate = fields.String(metadata={"description": "which candidate, when the task has several"})
    revision = fields.Integer(metadata={"description": "the task revision the steward looked at"})


class DecisionResultSchema(Schema):
    task = fields.Integer(required=True)
    decision = fields.String(required=True)
    merge = fields.Dict()
    remembered = fields.Integer()
    task_view = fields.Nested(TaskSchema)
    signatures = fields.List(fields.Dict(), metadata={"description": "the signature manifests written"})


class AssignSchema(Schema):
    assignee = fields.String(required=True, allow_none=True)
    revision = fields.Integer()


class MergeSchema(Schema):
    survivor = fields.String(required=True, metadata={"description": "keeps its id"})
    merged = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(required=True, validate=validate.Length(min=1))
    signature = fields.Nested(SignatureSchema, required=True)


class MergeResultSchema(Schema):
    survivor = fields.String(required=True)
    merged = fields.List(fields.String(), required=True)
    version = fields.Integer(allow_none=True)
    moved = fields.Integer()
    signatures = fields.List(fields.Dict())


class UnmergeSchema(Schema):
    system = fields.String(required=True)
    source_key = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1))
    signature = fields.Nested(SignatureSchema, required=True)


class UnmergeResultSchema(Schema):
    golden_id = fields.String(required=True)
    version = fields.Integer(allow_none=True)
    target = fields.String(required=True)
    target_version = fields.Integer(allow_none=True)
    how = fields.String(required=True, metadata={"description": "restored (earlier id), rematched or created"})
    source = fields.Dict()
    signatures = fields.List(fields.Dict())


class PatchSchema(Schema):
    pins = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict,
                       metadata={"description": "field -> value; wins over every source until released"})
    release = fields.List(fields.String(), load_default=list)
    reason = fields.String(required=True, validate=validate.Length(min=1))
    signature = fields.Nested(SignatureSchema, required=True)


class PatchResultSchema(Schema):
    golden_id = fields.String(required=True)
    version = fields.Integer(allow_none=True)
    pinned = fields.List(fields.String())
    released = fields.List(fields.String())
    signatures = fields.List(fields.Dict())


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
    def get(self, task_id: int) -> tuple[dict[str, Any], dict[str, str]]:
        """One task with both sides and the explanation."""
        session = get_session()
        task = tasks.get_task(session, task_id)
        return tasks.task_view(session, task, full=True), {
            "ETag": etags.task_etag(task.id, task.revision, tasks.fingerprint(session, task))}


@blp.route("/tasks/<int:task_id>/decision")
class TaskDecision(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, DecisionResultSchema)
    def post(self, body: dict[str, Any], task_id: int) -> dict[str, Any]:
        """Decide a task: `merge` or `not_a_match` (remembered; wins over later scores). Reason, If-Match, signature."""
        expect = etags.expected_revision(task_id)
        sign = confirm_signature(body)
        out = steward.decide(_factory(), current(), task_id, body["decision"], actor=actor(), reason=body["reason"],
                             candidate=body.get("candidate"), revision=body.get("revision"), sign=sign,
                             expect_revision=expect)
        view = out["task_view"]
        touched = [g for g in [view["golden_id"], *view["candidate_ids"]] if g]
        lineage("task_decision", view["domain"], touched, body["reason"])
        return out


@blp.route("/tasks/<int:task_id>/assign")
class TaskAssign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, TaskSchema)
    def post(self, body: dict[str, Any], task_id: int) -> tuple[dict[str, Any], dict[str, str]]:
        """Assign a task to a steward (null: unassign)."""
        out = steward.assign(_factory(), task_id, body["assignee"], actor=actor(), revision=body.get("revision"),
                             expect_revision=etags.expected_revision(task_id))
        session = get_session()
        shown = tasks.fingerprint(session, tasks.get_task(session, task_id))
        return out, {"ETag": etags.task_etag(out["id"], out["revision"], shown)}


@blp.route("/golden/<string:domain>/merge")
class Merge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, MergeResultSchema)
    def post(self, body: dict[str, Any], domain: str) -> dict[str, Any]:
        """Merge golden records into a survivor, which keeps its id; the others answer with `merged_into`."""
        expect = etags.expected_goldens([body["survivor"], *body["merged"]])
        sign = confirm_signature(body)
        out = steward.merge_records(_factory(), current(), domain, body["survivor"], body["merged"], actor=actor(),
                                    reason=body["reason"], sign=sign, expect=expect)
        lineage("merge", domain, [out["survivor"], *out["merged"]], body["reason"])
        return out


@blp.route("/golden/<string:domain>/<string:golden_id>/unmerge")
class Unmerge(MethodView):
    @blp.arguments(UnmergeSchema)
    @blp.response(200, UnmergeResultSchema)
    def post(self, body: dict[str, Any], domain: str, golden_id: str) -> dict[str, Any]:
        """Take a source record out of a golden record: back to its earlier id, or re-matched (never-match remembered)."""
        expect = etags.expected_goldens([golden_id])
        sign = confirm_signature(body)
        out = steward.unmerge_record(_factory(), current(), domain, golden_id, body["system"], body["source_key"],
                                     actor=actor(), reason=body["reason"], sign=sign, expect=expect)
        lineage("unmerge", domain, [out["golden_id"], out["target"]], body["reason"])
        return out
