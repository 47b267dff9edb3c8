"""golden records indexed by the record they were merged into

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:50:00

A merge re-points the records already merged into the one it retires (`merged_into`); without an
index that update read the whole golden_record table, a second or more on a domain of a million.
Only merged records are indexed: the rest have no `merged_into`.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_golden_merged_into', 'golden_record', ['merged_into'], unique=False,
                    sqlite_where=sa.text('merged_into IS NOT NULL'),
                    postgresql_where=sa.text('merged_into IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_golden_merged_into', table_name='golden_record')
