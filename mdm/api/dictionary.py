"""The field dictionary as a contract: domains, fields, code lists, JSON Schemas, mappings; governance versions."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from ..db import get_session
from ..errors import GovernanceError, MDMError, NotFound
from ..governance import current
from ..models import GovernanceVersion, iso, to_utc
from .golden import _domain
from .schemas import (
    DictionaryIndexSchema,
    GovernanceReloadSchema,
    GovernanceVersionSchema,
    GovernanceVersionSummarySchema,
)


class AsOfSchema(Schema):
    as_of = fields.DateTime(metadata={"description": "ISO 8601 time: only the version in force then"})


class ContentRefused(MDMError):
    status = 422
    title = "Invalid governance content"


blp = Blueprint("dictionary", __name__, description="Field dictionary, mappings and governance versions")


@blp.route("/dictionary")
class DictionaryIndex(MethodView):
    @blp.response(200, DictionaryIndexSchema)
    def get(self) -> dict[str, Any]:
        """Domains and systems the hub knows, under the governance content in force."""
        gov = current()
        return {
            "governance_hash": gov.content_hash,
            "domains": [{"domain": d.name, "label": d.label, "label_zh": d.label_zh, "description": d.description,
                         "owner": d.owner, "id_prefix": d.id_prefix, "fields": len(d.fields)}
                        for d in gov.domains.values()],
            "systems": [{"system": s.name, "kind": s.kind, "site": s.site, "owner": s.owner, "writes": list(s.writes),
                         "reads": list(s.reads)} for s in gov.systems.values()],
        }


@blp.route("/dictionary/<string:domain>")
class DictionaryDomain(MethodView):
    @blp.response(200)
    def get(self, domain: str) -> dict[str, Any]:
        """One domain's fields with labels (English and Chinese), classification, owner and code lists."""
        gov = current()
        d = gov.domains[_domain(domain)]
        used = {f.code_list for f in d.fields.values() if f.code_list}
        lists = {**{n: gov.code_lists[n] for n in used if n in gov.code_lists}, **d.raw.get("code_lists", {})}
        return {**{k: v for k, v in d.raw.items() if k != "code_lists"}, "code_lists": lists}


@blp.route("/dictionary/<string:domain>/schema")
class DictionarySchema(MethodView):
    @blp.response(200)
    def get(self, domain: str) -> dict[str, Any]:
        """The JSON Schema a mapped record of the domain must satisfy."""
        return current().record_schemas[_domain(domain)]


@blp.route("/dictionary/mappings/<string:system>")
class DictionaryMapping(MethodView):
    @blp.response(200)
    def get(self, system: str) -> dict[str, Any]:
        """How one system's fields map to canonical fields, with transforms."""
        gov = current()
        rel = f"dictionary/mappings/{system}.yaml"
        if rel not in gov.snapshot:
            raise NotFound("mapping of system", system)
        return gov.snapshot[rel]


@blp.route("/governance/versions")
class GovernanceVersions(MethodView):
    @blp.arguments(AsOfSchema, location="query")
    @blp.response(200, GovernanceVersionSummarySchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """Every governance version the hub has run under, newest first; `as_of` gives the one in force then."""
        gov = current()
        q = select(GovernanceVersion).order_by(GovernanceVersion.id.desc())
        if args.get("as_of"):
            q = q.where(GovernanceVersion.loaded_at <= to_utc(args["as_of"])).limit(1)
        rows = get_session().scalars(q).all()
        return [{"id": r.id, "content_hash": r.content_hash, "loaded_at": iso(r.loaded_at),
                 "current": r.content_hash == gov.content_hash} for r in rows]


@blp.route("/governance/versions/<int:version_id>")
class GovernanceVersionOne(MethodView):
    @blp.response(200, GovernanceVersionSchema)
    def get(self, version_id: int) -> dict[str, Any]:
        """One governance version with the full content snapshot it was loaded from."""
        r = get_session().get(GovernanceVersion, version_id)
        if r is None:
            raise NotFound("governance version", str(version_id))
        return {"id": r.id, "content_hash": r.content_hash, "loaded_at": iso(r.loaded_at),
                "current": r.content_hash == current().content_hash, "snapshot": r.snapshot}


@blp.route("/governance/reload")
class GovernanceReload(MethodView):
    @blp.response(200, GovernanceReloadSchema)
    def post(self) -> dict[str, Any]:
        """Load the governance content again without a restart; refused with every problem when invalid."""
        from ..auth.http import actor
        from ..governance import reload

        old = current().content_hash
        try:
            gov, version_id = reload(current_app._get_current_object(), actor=actor())  # type: ignore[attr-defined]
        except GovernanceError as exc:
            raise ContentRefused(exc.detail + "; the content in force stays", exc.errors) from None
        return {"content_hash": gov.content_hash, "governance_version_id": version_id,
                "changed": gov.content_hash != old}


@blp.route("/rules")
class RulesIndex(MethodView):
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """Survivorship, matching and quality rules of every domain, as in force, with the rule kinds known."""
        from ..quality import CHECKS

        gov = current()
        return {"governance_hash": gov.content_hash, "kinds": sorted(CHECKS),
                "domains": {d: gov.snapshot.get(f"rules/{d}.yaml") for d in gov.rules}}


@blp.route("/rules/<string:domain>")
class RulesDomain(MethodView):
    @blp.response(200)
    def get(self, domain: str) -> dict[str, Any]:
        """One domain's rules as in force: survivorship, identifier matching, quality rules."""
        return current().snapshot[f"rules/{_domain(domain)}.yaml"]
