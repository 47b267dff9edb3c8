"""blocking keys are no longer counted: their holders are read up to one over the cap

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 02:40:00

A record's blocking keys were counted in `match_key_count` only to skip keys held by more records
than the cap. Every upsert read those counts and added to them: about six random pages of a table
that, in a hub of a million records, is mostly on disk, on top of the index entries it reads to find
who holds the same keys. Reading each key's holders with a limit of one more than the cap answers
the same question from the pages already read. Term frequencies and the size of the domain stay
counted. Downgrading counts the blocking keys again from `match_key`.
"""
from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_BLOCKING = "\"key\" <> '*' AND \"key\" NOT LIKE 'tf.%'"


def upgrade() -> None:
    op.execute(f"DELETE FROM match_key_count WHERE {_BLOCKING}")


def downgrade() -> None:
    op.execute(f'INSERT INTO match_key_count (domain, "key", n) SELECT domain, "key", count(*) FROM match_key '
               f'WHERE {_BLOCKING} GROUP BY domain, "key"')
