"""Source systems push records: batch upsert, single upsert, delete at source, read back."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..db import get_session
from ..errors import InvalidInput, UnsupportedMediaType, ValidationFailed
from ..governance import current
from ..lineage import emitter as lineage_emitter
from ..services import sources as source_service
from ..services.ingest import Ingestor, check_target
from .body import parse_json, read_batch
from .keys import source_key
from .schemas import (
    BatchQuerySchema,
    BatchResultSchema,
    DeleteResultSchema,
    RecordResultSchema,
    SourceVersionSchema,
)

blp = Blueprint("sources", __name__, description="Source systems push master data")

BATCH_BODY = {
    "description": "records in the system's own field names",
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        "application/x-ndjson": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


def _ingestor(system: str, domain: str) -> Ingestor:
    return Ingestor(current_app.extensions["mdm.sessionmaker"], current(), system, domain,
                    actor=f"system:{system}", chunk_size=current_app.config["INGEST_CHUNK_SIZE"],
                    rules_enabled=bool(current_app.config["QUALITY_RULES"]),
                    lineage=lineage_emitter())


@blp.route("/sources/<string:system>/<string:domain>/records")
class Records(MethodView):
    @blp.arguments(BatchQuerySchema, location="query")
    @blp.response(200, BatchResultSchema)
    @blp.doc(requestBody=BATCH_BODY)
    def post(self, query: dict[str, Any], system: str, domain: str) -> dict[str, Any]:
        """Upsert a batch of records (JSON array, NDJSON or CSV); a result per record."""
        check_target(current(), system, domain)
        records = read_batch(request, current_app.config["MAX_BATCH_RECORDS"])
        summary = _ingestor(system, domain).run(records)
        body = summary.to_dict(with_results=query["results"] != "none")
        if query["results"] == "problems":
            body["results"] = [r for r in body["results"]
                               if any(x["severity"] != "info" for x in r.get("reasons", ()))]
        return body


@blp.route("/sources/<string:system>/<string:domain>/records/<path:key>")
class Record(MethodView):
    @blp.response(200, RecordResultSchema)
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}})
    def put(self, system: str, domain: str, key: str) -> dict[str, Any]:
        """Upsert one record; 422 with the field errors when it is quarantined (it is kept)."""
        gov = current()
        check_target(gov, system, domain)
        if request.mimetype != "application/json":
            raise UnsupportedMediaType(f"send one record as application/json, not {request.mimetype or 'nothing'}")
        raw = parse_json(request.get_data(as_text=True))
        if not isinstance(raw, dict):
            raise InvalidInput("the body must be one JSON object")
        mapping = gov.mappings[(system, domain)]
        key = source_key(system, domain, key)
        key_field = mapping.key
        if key_field in raw and source_key(system, domain, str(raw[key_field])) != key:
            raise InvalidInput(f"the body's {key_field!r} ({raw[key_field]!r}) differs from the URL's key ({key!r})")
        raw[key_field] = key
        result = _ingestor(system, domain).run([raw]).results[0]
        reasons = result.reasons
        if result.result == "unchanged" and any(r["rule"] == "still_quarantined" for r in reasons):
            sr = source_service.source_record(get_session(), system, domain, key)
            reasons = source_service.latest_version(get_session(), sr).issues
        if result.result == "quarantined" or reasons is not result.reasons:
            errors: dict[str, list[str]] = {}
            for r in reasons:
                if r["severity"] == "error":
                    errors.setdefault(r.get("field", "_record"), []).append(r["message"])
            raise ValidationFailed(f"record {key!r} failed validation and is kept in quarantine "
                                   f"(version {result.version})", errors)
        return result.to_dict()

    @blp.response(200, DeleteResultSchema)
    def delete(self, system: str, domain: str, key: str) -> dict[str, Any]:
        """Mark a record deleted at source; its golden record is recomputed (nothing is erased)."""
        return source_service.delete_source(current_app.extensions["mdm.sessionmaker"], current(), system, domain,
                                            source_key(system, domain, key), actor=f"system:{system}")

    @blp.response(200, SourceVersionSchema)
    def get(self, system: str, domain: str, key: str) -> dict[str, Any]:
        """The latest version of a source record as received and mapped, with its issues."""
        check_target(current(), system, domain)
        session = get_session()
        sr = source_service.source_record(session, system, domain, source_key(system, domain, key))
        return source_service.version_view(sr, source_service.latest_version(session, sr))
