"""Downstream systems read golden records: lists, one record, its history, as of a past time."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.http import actor, current_caller
from ..auth.masking import sensitive_fields
from ..auth.principals import Forbidden
from ..auth.roles import clearance
from ..db import get_session
from ..errors import UnknownDomain
from ..governance import DOMAINS, current
from ..models import to_utc
from ..services import golden as svc
from ..services import signatures
from ..services import steward as steward_svc
from . import etags
from .schemas import (
    IDENTIFIER_FILTERS,
    GoldenGetQuerySchema,
    GoldenListQuerySchema,
    GoldenPageSchema,
    GoldenSchema,
    HistorySchema,
)
from .steward import PatchResultSchema, PatchSchema, confirm_signature, lineage

blp = Blueprint("golden", __name__, description="Golden records")


def _domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise UnknownDomain(f"unknown domain {domain!r}; domains are {', '.join(DOMAINS)}")
    return domain



@blp.route("/golden/<string:domain>")
class GoldenList(MethodView):
    @blp.arguments(GoldenListQuerySchema, location="query")
    @blp.response(200, GoldenPageSchema)
    def get(self, args: dict[str, Any], domain: str) -> dict[str, Any]:
        """List golden records of a domain, filtered, in id order (keyset pagination with `after`)."""
        _domain(domain)
        limit = min(args["limit"], current_app.config["MAX_PAGE_SIZE"])
        idents = {k: args[k] for k in IDENTIFIER_FILTERS if args.get(k)}
        hidden = sensitive_fields(current(), clearance(current_caller().role), domain) & set(idents)
        if hidden:
            # a masked value must not be confirmable by searching for it
            raise Forbidden(f"your role has no clearance to search by {', '.join(sorted(hidden))}")
        rows = svc.list_golden(get_session(), current(), domain, status=args.get("status"), after=args.get("after"),
                               limit=limit + 1, updated_since=to_utc(args.get("updated_since")), identifier=idents)
        page = rows[:limit]
        return {"items": [svc.golden_view(r) for r in page],
                "next_after": page[-1].id if len(rows) > limit else None}


@blp.route("/golden/<string:domain>/<string:golden_id>")
class Golden(MethodView):
    @blp.arguments(GoldenGetQuerySchema, location="query")
    @blp.response(200, GoldenSchema)
    def get(self, args: dict[str, Any], domain: str, golden_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        """One golden record with per-field provenance; `as_of` or `version` for a past version."""
        session = get_session()
        rec = svc.get_golden(session, _domain(domain), golden_id)
        version = svc.version_at(session, rec, as_of=to_utc(args.get("as_of")), version=args.get("version"))
        out = svc.golden_view(rec, version)
        out["signatures"] = signatures.of_versions(session, rec.id, [version]).get(version.version, [])
        out["sources"] = svc.sources_of(session, rec.id)
        out["pins"] = steward_svc.pins_of(session, rec.id)
        refs = svc.references(session, current(), rec.domain, out["data"])
        if refs:
            out["references"] = refs
        return out, {"ETag": etags.golden_etag(rec.id, version.version)}

    @blp.arguments(PatchSchema)
    @blp.response(200, PatchResultSchema)
    def patch(self, body: dict[str, Any], domain: str, golden_id: str) -> dict[str, Any]:
        """Steward correction: pin field values (they win until released) or release pins. Reason, If-Match, signature."""
        expect = etags.expected_goldens([golden_id])
        sign = confirm_signature(body)
        out = steward_svc.set_pins(current_app.extensions["mdm.sessionmaker"], current(), _domain(domain), golden_id,
                                   pins=body["pins"], release=body["release"], actor=actor(), reason=body["reason"],
                                   sign=sign, expect=expect)
        lineage("pin" if body["pins"] else "release", domain, [golden_id], body["reason"])
        return out


@blp.route("/golden/<string:domain>/<string:golden_id>/history")
class GoldenHistory(MethodView):
    @blp.response(200, HistorySchema)
    def get(self, domain: str, golden_id: str) -> dict[str, Any]:
        """Every version of a golden record, oldest first, with provenance and explanation."""
        session = get_session()
        rec = svc.get_golden(session, _domain(domain), golden_id)
        return {"id": rec.id, "domain": rec.domain, "versions": svc.history(session, rec)}
