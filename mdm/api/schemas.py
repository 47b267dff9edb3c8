"""marshmallow schemas: what the OpenAPI document says requests and responses look like."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

IDENTIFIER_FILTERS = ("gtin", "udi_di", "gln", "duns", "national_id", "asset_id", "lot_number")


class ReasonSchema(Schema):
    rule = fields.String(required=True)
    kind = fields.String()
    severity = fields.String(required=True)
    message = fields.String(required=True)
    field = fields.String()
    value = fields.Raw(allow_none=True)
    probability = fields.Float(metadata={"description": "match probability of the best candidate (fuzzy matching)"})


class RecordResultSchema(Schema):
    position = fields.Integer(required=True)
    source_key = fields.String(allow_none=True, required=True)
    result = fields.String(required=True, validate=validate.OneOf(
        ["created", "linked", "unchanged", "review", "quarantined", "rejected", "deleted"]))
    golden_id = fields.String()
    version = fields.Integer()
    reasons = fields.List(fields.Nested(ReasonSchema))
    unknown_fields = fields.List(fields.String())


class BatchResultSchema(Schema):
    run_id = fields.String(required=True)
    system = fields.String(required=True)
    domain = fields.String(required=True)
    received = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    seconds = fields.Float(required=True)
    results = fields.List(fields.Nested(RecordResultSchema))


class BatchQuerySchema(Schema):
    results = fields.String(load_default="all", validate=validate.OneOf(["all", "problems", "none"]),
                            metadata={"description": "which per-record results to return"})


class DeleteResultSchema(Schema):
    source_key = fields.String(required=True)
    result = fields.String(required=True)
    golden_id = fields.String(allow_none=True)
    version = fields.Integer()
    golden_version = fields.Integer(allow_none=True)


class SourceVersionSchema(Schema):
    system = fields.String(required=True)
    site = fields.String(allow_none=True)
    domain = fields.String(required=True)
    source_key = fields.String(required=True)
    status = fields.String(required=True)
    golden_id = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    accepted_version = fields.Integer(allow_none=True)
    payload = fields.Dict(required=True)
    raw = fields.Raw(required=True)
    unknown_fields = fields.List(fields.String())
    issues = fields.List(fields.Nested(ReasonSchema))
    received_at = fields.String(required=True)


class GoldenSchema(Schema):
    id = fields.String(required=True)
    domain = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)
    merged_into = fields.String()
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    provenance = fields.Dict()
    governance_version_id = fields.Integer(allow_none=True)
    version_created_at = fields.String()
    actor = fields.String()
    sources = fields.List(fields.Dict())
    pins = fields.List(fields.Dict(), metadata={"description": "active steward pins"})
    references = fields.Dict(metadata={"description": "reference fields whose target was merged: the survivor"})
    quality_score = fields.Float(metadata={"description": "share of the domain's record rules passed, 0-100"})
    quality = fields.Dict(metadata={"description": "score, rules evaluated and failed for this version"})
    signatures = fields.List(fields.Dict(), metadata={
        "description": "signature manifests on this version (signer, printed name, time, meaning, record hash, valid)"})


class GoldenPageSchema(Schema):
    items = fields.List(fields.Nested(GoldenSchema), required=True)
    next_after = fields.String(allow_none=True, required=True,
                               metadata={"description": "pass as `after` for the next page; null on the last page"})


class GoldenListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["active", "merged", "retired"]))
    after = fields.String(metadata={"description": "id of the last record of the previous page"})
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=50)
    updated_since = fields.AwareDateTime(default_timezone=None)
    gtin = fields.String()
    udi_di = fields.String()
    gln = fields.String()
    duns = fields.String()
    national_id = fields.String()
    asset_id = fields.String()
    lot_number = fields.String()


class GoldenGetQuerySchema(Schema):
    as_of = fields.DateTime(metadata={"description": "ISO 8601 time; the version current then"})
    version = fields.Integer(validate=validate.Range(min=1))


class GoldenVersionSchema(Schema):
    version = fields.Integer(required=True)
    status = fields.String(required=True)
    data = fields.Dict(required=True)
    provenance = fields.Dict(required=True)
    explanation = fields.Dict(allow_none=True)
    quality = fields.Dict(allow_none=True)
    actor = fields.String(required=True)
    reason = fields.String(allow_none=True)
    governance_version_id = fields.Integer(allow_none=True)
    created_at = fields.String(required=True)
    signatures = fields.List(fields.Dict())


class HistorySchema(Schema):
    id = fields.String(required=True)
    domain = fields.String(required=True)
    versions = fields.List(fields.Nested(GoldenVersionSchema), required=True)


class XrefEventSchema(Schema):
    action = fields.String(required=True)
    golden_id = fields.String(required=True)
    rule = fields.String(allow_none=True)
    actor = fields.String(required=True)
    reason = fields.String(allow_none=True)
    at = fields.String(required=True)


class XrefSchema(Schema):
    system = fields.String(required=True)
    domain = fields.String(required=True)
    source_key = fields.String(required=True)
    golden_id = fields.String(allow_none=True, required=True)
    merged_into = fields.String(allow_none=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    accepted_version = fields.Integer(allow_none=True)
    history = fields.List(fields.Nested(XrefEventSchema), required=True)


class ChangeSchema(Schema):
    seq = fields.Integer(required=True)
    golden_id = fields.String(required=True)
    domain = fields.String(required=True)
    kind = fields.String(required=True)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)
    at = fields.String(required=True)


class ChangePageSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema), required=True)
    next_after = fields.Integer(required=True, metadata={"description": "pass as `after` to continue the feed"})


class ChangeQuerySchema(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    domain = fields.String(validate=validate.OneOf(["product", "lot", "equipment", "supplier", "customer"]))


DOMAIN_FIELD: dict[str, Any] = {"validate": validate.OneOf(["product", "lot", "equipment", "supplier", "customer"])}


class QuarantineQuerySchema(Schema):
    domain = fields.String(**DOMAIN_FIELD)
    system = fields.String()
    site = fields.String()
    rule = fields.String(metadata={"description": "a rule id, or a prefix such as 'lot.' or 'lot.product'"})
    after = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class RetryRequestSchema(Schema):
    domain = fields.String(**DOMAIN_FIELD)
    system = fields.String()
    site = fields.String()
    rule = fields.String()
    keys = fields.List(fields.String(), validate=validate.Length(min=1, max=10_000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "why the records are retried (kept in the audit trail)"})


class RetryResultSchema(Schema):
    retried = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    runs = fields.List(fields.Dict(), required=True)


class QualityQuerySchema(Schema):
    domain = fields.String(**DOMAIN_FIELD)
    runs = fields.Integer(load_default=20, validate=validate.Range(min=1, max=500))


class QualitySummarySchema(Schema):
    domains = fields.List(fields.Dict(), required=True, metadata={"description": "records accepted / quarantined"})
    systems = fields.List(fields.Dict(), required=True)
    rules = fields.List(fields.Dict(), required=True, metadata={"description": "evaluated / failed over all runs"})
    runs = fields.List(fields.Dict(), required=True, metadata={"description": "latest runs, oldest first: the trend"})
    golden = fields.List(fields.Dict(), required=True, metadata={"description": "golden-record quality scores"})


class GovernanceReloadSchema(Schema):
    content_hash = fields.String(required=True)
    governance_version_id = fields.Integer(required=True)
    changed = fields.Boolean(required=True)


class QuarantinePageSchema(Schema):
    items = fields.List(fields.Nested(SourceVersionSchema), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class DictionaryIndexSchema(Schema):
    governance_hash = fields.String(required=True)
    domains = fields.List(fields.Dict(), required=True)
    systems = fields.List(fields.Dict(), required=True)


class GovernanceVersionSummarySchema(Schema):
    id = fields.Integer(required=True)
    content_hash = fields.String(required=True)
    loaded_at = fields.String(required=True)
    current = fields.Boolean(required=True)


class GovernanceVersionSchema(GovernanceVersionSummarySchema):
    snapshot = fields.Dict(required=True, metadata={"description": "dictionary, rules and lineage as loaded"})
