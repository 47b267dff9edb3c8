"""The audit trail for auditors: filter it, and verify the hash chain."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from ..audit.log import verify, view
from ..db import get_session
from ..models import AuditEvent, to_utc

blp = Blueprint("audit", __name__, description="Audit trail (append-only, hash-chained)")


class AuditQuerySchema(Schema):
    entity_type = fields.String()
    entity_id = fields.String()
    actor = fields.String()
    action = fields.String()
    since = fields.AwareDateTime(default_timezone=None)
    until = fields.AwareDateTime(default_timezone=None)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0), metadata={"description": "last seq seen"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntrySchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.String(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    entity_type = fields.String(required=True)
    entity_id = fields.String(required=True)
    reason = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    context = fields.Dict(allow_none=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class VerifySchema(Schema):
    ok = fields.Boolean(required=True)
    entries = fields.Integer(required=True)
    first_problem = fields.Dict(allow_none=True, required=True)





@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Audit entries in chain order, filtered by entity, actor, action and time."""
        a = AuditEvent
        q = select(a).where(a.seq > args["after"])
        for name in ("entity_type", "entity_id", "actor", "action"):
            if args.get(name):
                q = q.where(getattr(a, name) == args[name])
        if args.get("since"):
            q = q.where(a.at >= to_utc(args["since"]))
        if args.get("until"):
            q = q.where(a.at <= to_utc(args["until"]))
        rows = get_session().scalars(q.order_by(a.seq).limit(args["limit"] + 1)).all()
        page = rows[: args["limit"]]
        return {"items": [view(e) for e in page],
                "next_after": page[-1].seq if len(rows) > args["limit"] else None}


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @blp.response(200, VerifySchema)
    def get(self) -> dict[str, Any]:
        """Recompute the whole chain; name the first entry that was changed, deleted, inserted or reordered."""
        return verify(get_session())
