"""Quality: scorecards, the quarantine and retrying it."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.http import actor
from ..db import get_session
from ..governance import current
from ..lineage import emitter as lineage_emitter
from ..services import quality as scorecards
from ..services import quarantine
from .schemas import (
    QualityQuerySchema,
    QualitySummarySchema,
    QuarantinePageSchema,
    QuarantineQuerySchema,
    RetryRequestSchema,
    RetryResultSchema,
)

blp = Blueprint("quality", __name__, description="Data quality: scorecards and quarantine")


@blp.route("/quality/summary")
class QualitySummary(MethodView):
    @blp.arguments(QualityQuerySchema, location="query")
    @blp.response(200, QualitySummarySchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Pass rates per domain, system, rule and run (the trend), and golden-record quality scores."""
        return scorecards.summary(get_session(), args.get("domain"), args["runs"])


@blp.route("/quarantine")
class Quarantine(MethodView):
    @blp.arguments(QuarantineQuerySchema, location="query")
    @blp.response(200, QuarantinePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Source records whose latest version is quarantined, with every reason; filter by rule, site, system."""
        items, next_after = quarantine.page(get_session(), domain=args.get("domain"), system=args.get("system"),
                                            site=args.get("site"), rule=args.get("rule"), after=args["after"],
                                            limit=args["limit"])
        return {"items": items, "next_after": next_after}


@blp.route("/quarantine/retry")
class QuarantineRetry(MethodView):
    @blp.arguments(RetryRequestSchema)
    @blp.response(200, RetryResultSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run quarantined records again under the rules and mappings in force now."""
        return quarantine.retry(current_app.extensions["mdm.sessionmaker"], current(), domain=body.get("domain"),
                                system=body.get("system"), site=body.get("site"), rule=body.get("rule"),
                                keys=body.get("keys"), actor=actor(), reason=body.get("reason"),
                                chunk_size=current_app.config["INGEST_CHUNK_SIZE"], lineage=lineage_emitter())
