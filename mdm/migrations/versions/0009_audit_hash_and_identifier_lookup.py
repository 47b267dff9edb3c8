"""audit entries no longer indexed by their hash; identifier look-ups read the index alone

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:10:00

Each entry's hash was declared unique, which kept an index of the hashes: every append inserted
into it at a random place (a hash is random), one page read and written per entry, two or three per
single-record upsert, and in a hub of a million records those pages are mostly not in memory. The
uniqueness proves nothing the chain does not (each hash covers the previous one and the entry's
own sequence number), and the trail is read by sequence and by entity. Verification looks a hash
up only to describe the first break it finds, now with one scan.

Every upsert looks its identifiers up by (domain, value) for the golden record holding them; the
unique index answered where to find the row, and the row (another random page) gave the golden id.
An index that also holds the golden id answers alone.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_INDEXES = ("CREATE INDEX ix_audit_actor ON audit_event (actor)",
            "CREATE INDEX ix_audit_entity ON audit_event (entity_type, entity_id)",
            "CREATE INDEX ix_audit_event_action ON audit_event (action)")


def _sqlite_rebuild(unique_hash: bool) -> None:
    """SQLite cannot drop a table constraint: the table is copied into one declared without it (or with it)."""
    bind = op.get_bind()
    ddl = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_event'")).scalar()
    ddl = re.sub(r",\s*UNIQUE \(hash\)", "", ddl)
    if unique_hash:
        ddl = ddl.rstrip().rstrip(")").rstrip() + ", \n\tUNIQUE (hash)\n)"
    # a renamed table's statement names it in quotes
    op.execute(re.sub(r'^CREATE TABLE "?audit_event"?', "CREATE TABLE audit_event_new", ddl, count=1))
    op.execute("INSERT INTO audit_event_new SELECT * FROM audit_event ORDER BY seq")
    op.execute("DROP TABLE audit_event")
    op.execute("ALTER TABLE audit_event_new RENAME TO audit_event")
    for index in _INDEXES:
        op.execute(index)


def upgrade() -> None:
    op.create_index("ix_identifier_lookup", "identifier", ["domain", "value", "kind", "scope", "golden_id"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(unique_hash=False)
        return
    for uq in sa.inspect(op.get_bind()).get_unique_constraints("audit_event"):
        if uq["column_names"] == ["hash"]:
            op.drop_constraint(uq["name"], "audit_event", type_="unique")


def downgrade() -> None:
    op.drop_index("ix_identifier_lookup", table_name="identifier")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(unique_hash=True)
        return
    op.create_unique_constraint("audit_event_hash_key", "audit_event", ["hash"])
