"""merge chains and a golden record's identifiers read from small indexes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:20:00

Following merge chains (`tasks.resolve_many`, for every record that bridged several golden records)
read each golden record's row by its primary key: two random pages per record, the row's holding
its JSON data, in a hub of a million mostly on disk. Only merged records have `merged_into`, so a
partial index of (id, merged_into) over them answers the same question from a few pages that stay
in memory. A golden record's identifiers (the identifier checks of matching and merging) were read
through an index of golden_id and then the rows; the index now carries kind and value, so the rows
are not read.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_MERGED = 'merged_into IS NOT NULL'


def upgrade() -> None:
    op.create_index('ix_golden_merged_chain', 'golden_record', ['id', 'merged_into'], unique=False,
                    sqlite_where=sa.text(_MERGED), postgresql_where=sa.text(_MERGED))
    op.create_index('ix_identifier_golden', 'identifier', ['golden_id', 'kind', 'value'], unique=False)
    op.drop_index('ix_identifier_golden_id', table_name='identifier')


def downgrade() -> None:
    op.create_index('ix_identifier_golden_id', 'identifier', ['golden_id'], unique=False)
    op.drop_index('ix_identifier_golden', table_name='identifier')
    op.drop_index('ix_golden_merged_chain', table_name='golden_record')
