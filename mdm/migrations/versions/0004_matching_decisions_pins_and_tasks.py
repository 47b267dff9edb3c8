"""matching, decisions, pins and steward tasks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 06:25:56.388322
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('match_key_count',
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=240), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('domain', 'key')
    )
    op.create_table('golden_pin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('golden_id', sa.String(length=24), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.String(length=128), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('golden_pin', schema=None) as batch_op:
        batch_op.create_index('ix_pin_golden_active', ['golden_id', 'released_at'], unique=False)

    op.create_table('match_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=240), nullable=False),
    sa.Column('source_record_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_record.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('match_key', schema=None) as batch_op:
        batch_op.create_index('ix_match_key_domain_key', ['domain', 'key'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_key_source_record_id'), ['source_record_id'], unique=False)

    op.create_table('match_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('left_id', sa.Integer(), nullable=False),
    sa.Column('right_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['left_id'], ['source_record.id'], ),
    sa.ForeignKeyConstraint(['right_id'], ['source_record.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['match_task.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('match_decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_left', ['left_id'], unique=False)
        batch_op.create_index('ix_decision_right', ['right_id'], unique=False)

    with op.batch_alter_table('match_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('assignee', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('xref_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('xref_event', schema=None) as batch_op:
        batch_op.drop_column('explanation')

    with op.batch_alter_table('match_task', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('decision')
        batch_op.drop_column('assignee')
        batch_op.drop_column('score')

    with op.batch_alter_table('match_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_right')
        batch_op.drop_index('ix_decision_left')

    op.drop_table('match_decision')
    with op.batch_alter_table('match_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_key_source_record_id'))
        batch_op.drop_index('ix_match_key_domain_key')

    op.drop_table('match_key')
    with op.batch_alter_table('golden_pin', schema=None) as batch_op:
        batch_op.drop_index('ix_pin_golden_active')

    op.drop_table('golden_pin')
    op.drop_table('match_key_count')
