"""blocking key counts kept in one B-tree on SQLite

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:30:00

Every upsert reads and adds to the counts of its blocking and term-frequency keys (about ten for a
customer). On SQLite a table with a composite primary key is a rowid table plus an index on that
key, so each count was two random pages: the index entry, then the row. Declared WITHOUT ROWID, the
table is the B-tree of its key, one page per count; in a hub of a million records, whose pages are
mostly not in memory, that is ten reads less per upsert. PostgreSQL keeps its table as it is.
"""
from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_CREATE = ('CREATE TABLE {name} (domain VARCHAR(32) NOT NULL, "key" VARCHAR(240) NOT NULL, n INTEGER NOT NULL, '
           'PRIMARY KEY (domain, "key")){options}')


def _rebuild(options: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(_CREATE.format(name="match_key_count_new", options=options))
    op.execute('INSERT INTO match_key_count_new (domain, "key", n) SELECT domain, "key", n FROM match_key_count '
               'ORDER BY domain, "key"')
    op.execute("DROP TABLE match_key_count")
    op.execute("ALTER TABLE match_key_count_new RENAME TO match_key_count")


def upgrade() -> None:
    _rebuild(" WITHOUT ROWID")


def downgrade() -> None:
    _rebuild("")
