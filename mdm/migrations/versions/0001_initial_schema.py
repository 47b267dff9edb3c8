"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 03:58:06.362562
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


DOMAINS = ("product", "lot", "equipment", "supplier", "customer")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Golden ids come from one sequence per domain there (see mdm.services.ids).
        for domain in DOMAINS:
            op.execute(sa.schema.CreateSequence(sa.Sequence(f"golden_id_seq_{domain}")))
    op.create_table('change_event',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('golden_id', sa.String(length=24), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('change_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_event_golden_id'), ['golden_id'], unique=False)

    op.create_table('golden_record',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into', sa.String(length=24), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.create_index('ix_golden_domain_status_id', ['domain', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_golden_record_updated_at'), ['updated_at'], unique=False)

    op.create_table('governance_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('content_hash')
    )
    op.create_table('id_counter',
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('domain')
    )
    op.create_table('identifier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.Column('golden_id', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain', 'value', 'kind', 'scope', name='uq_identifier_domain_value_kind_scope')
    )
    with op.batch_alter_table('identifier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identifier_golden_id'), ['golden_id'], unique=False)

    op.create_table('ingest_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_uuid', sa.String(length=36), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('governance_version_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['governance_version_id'], ['governance_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_uuid')
    )
    op.create_table('source_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('source_key', sa.String(length=256), nullable=False),
    sa.Column('site', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('golden_id', sa.String(length=24), nullable=True),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('latest_hash', sa.String(length=64), nullable=False),
    sa.Column('accepted_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'domain', 'source_key')
    )
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.create_index('ix_source_domain_status', ['domain', 'status'], unique=False)
        batch_op.create_index('ix_source_golden', ['golden_id'], unique=False)

    op.create_table('golden_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('golden_id', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('provenance', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('governance_version_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ),
    sa.ForeignKeyConstraint(['governance_version_id'], ['governance_version.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('golden_id', 'version')
    )
    op.create_table('match_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('source_record_id', sa.Integer(), nullable=True),
    sa.Column('golden_id', sa.String(length=24), nullable=True),
    sa.Column('candidate_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('governance_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['governance_version_id'], ['governance_version.id'], ),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_record.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('match_task', schema=None) as batch_op:
        batch_op.create_index('ix_task_status_domain', ['status', 'domain'], unique=False)

    op.create_table('rejected_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reasons', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_run.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rejected_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_record_run_id'), ['run_id'], unique=False)

    op.create_table('source_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_record_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('unknown_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('issues', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('governance_version_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['governance_version_id'], ['governance_version.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_run.id'], ),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_record_id', 'version')
    )
    with op.batch_alter_table('source_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_version_run_id'), ['run_id'], unique=False)

    op.create_table('xref_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_record_id', sa.Integer(), nullable=False),
    sa.Column('golden_id', sa.String(length=24), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['ingest_run.id'], ),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_record.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('xref_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xref_event_golden_id'), ['golden_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xref_event_source_record_id'), ['source_record_id'], unique=False)



def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for domain in DOMAINS:
            op.execute(sa.schema.DropSequence(sa.Sequence(f"golden_id_seq_{domain}")))
    with op.batch_alter_table('xref_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xref_event_source_record_id'))
        batch_op.drop_index(batch_op.f('ix_xref_event_golden_id'))

    op.drop_table('xref_event')
    with op.batch_alter_table('source_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_version_run_id'))

    op.drop_table('source_version')
    with op.batch_alter_table('rejected_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_record_run_id'))

    op.drop_table('rejected_record')
    with op.batch_alter_table('match_task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_domain')

    op.drop_table('match_task')
    op.drop_table('golden_version')
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.drop_index('ix_source_golden')
        batch_op.drop_index('ix_source_domain_status')

    op.drop_table('source_record')
    op.drop_table('ingest_run')
    with op.batch_alter_table('identifier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identifier_golden_id'))

    op.drop_table('identifier')
    op.drop_table('id_counter')
    op.drop_table('governance_version')
    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_record_updated_at'))
        batch_op.drop_index('ix_golden_domain_status_id')

    op.drop_table('golden_record')
    with op.batch_alter_table('change_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_event_golden_id'))

    op.drop_table('change_event')
