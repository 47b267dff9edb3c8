"""quality stats and golden quality

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:25:05.435654
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quality_stat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('rule_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('evaluated', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('governance_version_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['governance_version_id'], ['governance_version.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_run.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quality_stat', schema=None) as batch_op:
        batch_op.create_index('ix_quality_stat_domain_rule', ['domain', 'rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_stat_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality_score', sa.Double(), nullable=True))

    with op.batch_alter_table('golden_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('golden_version', schema=None) as batch_op:
        batch_op.drop_column('quality')

    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.drop_column('quality_score')

    with op.batch_alter_table('quality_stat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_stat_run_id'))
        batch_op.drop_index('ix_quality_stat_domain_rule')

    op.drop_table('quality_stat')
