"""Typed SQLAlchemy models of DESIGN.md §4 (the store of the hub).

The current xref of a source record is `SourceRecord.golden_id`; `XrefEvent` keeps every link and
unlink. `Identifier` is the claim of one identifier value by one golden record: its unique
constraint is what keeps two golden records from ever holding the same GTIN, even under concurrent
writers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """An aware UTC datetime; a naive one (SQLite, or a caller without an offset) is taken as UTC."""
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc) if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC; SQLite hands back naive datetimes, and everything the hub writes is UTC."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).isoformat()


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JsonType, list[Any]: JsonType, dt.datetime: DateTime(timezone=True)}


class GovernanceVersion(Base):
    __tablename__ = "governance_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    snapshot: Mapped[dict[str, Any]]


class IngestRun(Base):
    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    system: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    governance_version_id: Mapped[int | None] = mapped_column(ForeignKey("governance_version.id"))
    actor: Mapped[str] = mapped_column(String(128), default="system")
    error: Mapped[str | None] = mapped_column(Text)


class GoldenRecord(Base):
    __tablename__ = "golden_record"
    __table_args__ = (
        Index("ix_golden_domain_status_id", "domain", "status", "id"),
        # a merge re-points the records merged into the one it retires; only merged records are indexed
        Index("ix_golden_merged_into", "merged_into", sqlite_where=text("merged_into IS NOT NULL"),
              postgresql_where=text("merged_into IS NOT NULL")),
        # following merge chains reads this small index instead of each record's row (0012)
        Index("ix_golden_merged_chain", "id", "merged_into", sqlite_where=text("merged_into IS NOT NULL"),
              postgresql_where=text("merged_into IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(default=1)
    data: Mapped[dict[str, Any]]
    # share of the domain's rules the golden data passes, 0-100 (issue: scorecards per golden record)
    quality_score: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class GoldenVersion(Base):
    __tablename__ = "golden_version"
    __table_args__ = (UniqueConstraint("golden_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_record.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="active")
    data: Mapped[dict[str, Any]]
    provenance: Mapped[dict[str, Any]]
    explanation: Mapped[dict[str, Any] | None]
    quality: Mapped[dict[str, Any] | None]
    governance_version_id: Mapped[int | None] = mapped_column(ForeignKey("governance_version.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    actor: Mapped[str] = mapped_column(String(128), default="system")
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SourceRecord(Base):
    __tablename__ = "source_record"
    __table_args__ = (
        UniqueConstraint("system", "domain", "source_key"),
        Index("ix_source_golden", "golden_id"),
        Index("ix_source_domain_status", "domain", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(32))
    source_key: Mapped[str] = mapped_column(String(256))
    site: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    golden_id: Mapped[str | None] = mapped_column(ForeignKey("golden_record.id"))
    latest_version: Mapped[int] = mapped_column(default=1)
    latest_hash: Mapped[str] = mapped_column(String(64))
    # The version survivorship reads: the newest one that passed validation.
    accepted_version: Mapped[int | None]
    # A copy of that version's payload (SQL NULL when there is none), so that scoring a candidate
    # reads this one row rather than the row, a version index entry and the version: three random
    # pages per candidate in a hub whose pages are mostly on disk. The version stays the record.
    # Deferred: loading a source record (a golden record's sources, deletion) does not decode it.
    accepted_payload: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"), deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SourceVersion(Base):
    __tablename__ = "source_version"
    __table_args__ = (UniqueConstraint("source_record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    raw: Mapped[dict[str, Any]]
    unknown_fields: Mapped[list[Any]] = mapped_column(default=list)
    issues: Mapped[list[Any]] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"), index=True)
    governance_version_id: Mapped[int | None] = mapped_column(ForeignKey("governance_version.id"))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class XrefEvent(Base):
    __tablename__ = "xref_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), index=True)
    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_record.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    actor: Mapped[str] = mapped_column(String(128), default="system")
    reason: Mapped[str | None] = mapped_column(Text)
    # why the hub linked it: the match explanation (values, comparators, levels, weights, total)
    explanation: Mapped[dict[str, Any] | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Identifier(Base):
    __tablename__ = "identifier"
    # value second: look-ups are "domain = ? AND value IN (...)" and must not scan a whole domain.
    # the look-up index holds the golden id too, so that finding who holds an identifier reads no row (0009)
    __table_args__ = (
        UniqueConstraint("domain", "value", "kind", "scope", name="uq_identifier_domain_value_kind_scope"),
        Index("ix_identifier_lookup", "domain", "value", "kind", "scope", "golden_id"),
        # a golden record's identifiers without reading the rows (0012)
        Index("ix_identifier_golden", "golden_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(128))
    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_record.id"))


class ChangeEvent(Base):
    __tablename__ = "change_event"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    golden_id: Mapped[str] = mapped_column(String(24), index=True)
    domain: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    data: Mapped[dict[str, Any]]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatchTask(Base):
    __tablename__ = "match_task"
    __table_args__ = (Index("ix_task_status_domain", "status", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    source_record_id: Mapped[int | None] = mapped_column(ForeignKey("source_record.id"))
    golden_id: Mapped[str | None] = mapped_column(String(24))
    candidate_ids: Mapped[list[Any]]
    reason: Mapped[str] = mapped_column(Text)
    explanation: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="open")
    # best match probability among the candidates (None for identifier conflicts)
    score: Mapped[float | None]
    assignee: Mapped[str | None] = mapped_column(String(128))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None]
    # bumped on every change: the ETag stewards send back so that two of them cannot both decide
    revision: Mapped[int] = mapped_column(default=1)
    governance_version_id: Mapped[int | None] = mapped_column(ForeignKey("governance_version.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatchKey(Base):
    """One blocking key (or term-frequency key) of the accepted version of one source record.

    Candidates are read by `domain = ? AND key IN (...)` on the index, never by scanning a domain.
    """

    __tablename__ = "match_key"
    __table_args__ = (Index("ix_match_key_domain_key_source", "domain", "key", "source_record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(240))
    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), index=True)


class MatchKeyCount(Base):
    """How many source records hold a key: caps over-frequent blocking keys, weighs common values less."""

    __tablename__ = "match_key_count"
    # SQLite: the table is the B-tree of its key, one page per count read or added to (0008)
    __table_args__ = ({"sqlite_with_rowid": False},)

    domain: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class MatchDecision(Base):
    """A steward's remembered decision about two source records: `never` or `must` match.

    Decisions win over any later score. A decision is revoked, never deleted, when a later steward
    action contradicts it (a merge of two records once marked never-match).
    """

    __tablename__ = "match_decision"
    __table_args__ = (Index("ix_decision_left", "left_id"), Index("ix_decision_right", "right_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    left_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"))   # the smaller source record id
    right_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("match_task.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(128))


class GoldenPin(Base):
    """A steward's value for one field of a golden record; it wins over every source until released."""

    __tablename__ = "golden_pin"
    __table_args__ = (Index("ix_pin_golden_active", "golden_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    golden_id: Mapped[str] = mapped_column(ForeignKey("golden_record.id"))
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JsonType)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_at: Mapped[dt.datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(128))
    release_reason: Mapped[str | None] = mapped_column(Text)


class RejectedRecord(Base):
    """A received record the hub could not even key (not an object, no source key): kept verbatim."""

    __tablename__ = "rejected_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"), index=True)
    system: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(32))
    position: Mapped[int | None]
    raw: Mapped[Any] = mapped_column(JsonType)
    reasons: Mapped[list[Any]]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QualityStat(Base):
    """How often one rule was evaluated and failed in one ingest run (the run's own record; the
    scorecards read the running totals in `QualityTotal`)."""

    __tablename__ = "quality_stat"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_run.id"), index=True)
    domain: Mapped[str] = mapped_column(String(32))
    system: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    evaluated: Mapped[int]
    failed: Mapped[int]
    governance_version_id: Mapped[int | None] = mapped_column(ForeignKey("governance_version.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QualityTotal(Base):
    """How often one rule was evaluated and failed over all runs of one system: the scorecards' rule
    section, kept as runs finish so that neither it nor the run grows with the number of runs.

    A single-record run adds one `quality_stat` row per rule; an index of those by rule touched a
    page per rule and run (about a quarter of what a single-record upsert wrote), and summing them read
    every row ever written.
    """

    __tablename__ = "quality_total"
    __table_args__ = (UniqueConstraint("domain", "system", "rule_id", "kind", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(32))
    system: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    evaluated: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEvent(Base):
    """One entry of the append-only, hash-chained audit trail (21 CFR Part 11 §11.10(e)).

    `hash` is an HMAC over the entry and the previous entry's hash; the key lives in configuration,
    never in the database, so a database user cannot rewrite the chain unnoticed.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"), Index("ix_audit_actor", "actor"))

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # at, actor, action and entity are columns for filtering; `body` holds the whole entry as the
    # exact canonical JSON the hash covers (who, what, when, why, before, after, context).
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # not indexed: see migration 0009


class LineageEvent(Base):
    """An OpenLineage run event as emitted, kept for the lineage API whatever the transport did with it."""

    __tablename__ = "lineage_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_uuid: Mapped[str] = mapped_column(String(36), index=True)
    event_type: Mapped[str] = mapped_column(String(16))
    job_namespace: Mapped[str] = mapped_column(String(256))
    job_name: Mapped[str] = mapped_column(String(256), index=True)
    event_time: Mapped[dt.datetime]
    event: Mapped[dict[str, Any]]
    delivered: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)


class IdCounter(Base):
    """Next golden-id number per domain on databases without sequences (SQLite)."""

    __tablename__ = "id_counter"

    domain: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_value: Mapped[int] = mapped_column(default=1)


class Principal(Base):
    """A person (`user`, signs in with a password) or a `system` account (bearer tokens only).

    `display_name` is the printed name on signature manifests (21 CFR Part 11 §11.50).
    """

    __tablename__ = "principal"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16))
    system: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))


class ApiToken(Base):
    """A bearer token (`api`) or a browser session (`session`); only the SHA-256 of the secret is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principal.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="api")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class SignInFailure(Base):
    """A failed sign-in or credential confirmation, counted to rate-limit guessing."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_name_at", "name", "at"),
                      Index("ix_sign_in_failure_remote_at", "remote", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    remote: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Signature(Base):
    """An electronic signature manifest (21 CFR Part 11 §11.50, §11.70) on one golden version.

    `record_hash` binds the manifest to the exact version signed: SHA-256 over the version's content
    and the manifest; recomputed whenever the version is shown, so a changed version or manifest shows.
    """

    __tablename__ = "signature"
    __table_args__ = (Index("ix_signature_golden_version", "golden_id", "golden_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    golden_id: Mapped[str] = mapped_column(String(24))
    golden_version: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    meaning: Mapped[str] = mapped_column(String(16))
    signer: Mapped[str] = mapped_column(String(64))
    printed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[int | None]
    record_hash: Mapped[str] = mapped_column(String(64))
