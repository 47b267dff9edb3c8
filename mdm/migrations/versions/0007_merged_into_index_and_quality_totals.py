"""merged golden records indexed; quality rule totals kept as runs finish

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:50:00

A merge re-points the records already merged into the one it retires (`merged_into`); without an
index that update read the whole golden_record table, a second or more on a domain of a million.
Only merged records are indexed: the rest have no `merged_into`.

The scorecards' rule section summed every `quality_stat` row ever written (one per rule and run:
23 for each single-record upsert of a customer), and the index of those rows by rule took a page
write per rule and run. `quality_total` keeps the sums, added to as each run finishes; it starts
from the rows already there, and the index by rule goes.
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
    op.create_table(
        'quality_total',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('domain', sa.String(length=32), nullable=False),
        sa.Column('system', sa.String(length=64), nullable=False),
        sa.Column('rule_id', sa.String(length=128), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('severity', sa.String(length=8), nullable=False),
        sa.Column('evaluated', sa.BigInteger(), nullable=False),
        sa.Column('failed', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('domain', 'system', 'rule_id', 'kind', 'severity'),
    )
    op.execute("INSERT INTO quality_total (domain, system, rule_id, kind, severity, evaluated, failed) "
               "SELECT domain, system, rule_id, kind, severity, SUM(evaluated), SUM(failed) FROM quality_stat "
               "GROUP BY domain, system, rule_id, kind, severity")
    op.drop_index('ix_quality_stat_domain_rule', table_name='quality_stat')


def downgrade() -> None:
    op.create_index('ix_quality_stat_domain_rule', 'quality_stat', ['domain', 'rule_id'], unique=False)
    op.drop_table('quality_total')
    op.drop_index('ix_golden_merged_into', table_name='golden_record')
