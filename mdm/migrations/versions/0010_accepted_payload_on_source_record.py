"""each source record carries a copy of its accepted payload

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:10:00

Scoring a candidate read its accepted payload through a join: the source record row, the entry of
(source record, version) in the unique index of source versions, then the version row. In a hub of
a million records those are three random pages per candidate, mostly on disk, and a near-duplicate
is scored against up to twenty candidates. With the payload of the accepted version copied onto the
source record (written whenever a version is accepted, cleared on deletion), a candidate is one
row. The versions stay the record: the copy is derived and filled here from them, except for records
deleted at source (older hubs kept their accepted version set; nothing reads it). Stop every process
of the older version before upgrading: one writing afterwards would leave copies empty, and a record
without its copy is nobody's candidate.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    op.add_column("source_record", sa.Column("accepted_payload", json, nullable=True))
    op.execute("UPDATE source_record SET accepted_payload = (SELECT v.payload FROM source_version v "
               "WHERE v.source_record_id = source_record.id AND v.version = source_record.accepted_version) "
               "WHERE accepted_version IS NOT NULL AND status <> 'deleted'")


def downgrade() -> None:
    op.drop_column("source_record", "accepted_payload")
