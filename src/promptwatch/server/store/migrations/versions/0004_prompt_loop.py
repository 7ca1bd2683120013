"""prompt loop

Revision ID: 0004_prompt_loop
Revises: 0001

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004_prompt_loop'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cache_entries',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('namespace', sa.String(length=512), nullable=False),
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('template_identity', sa.String(length=600), nullable=False),
    sa.Column('input_values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('prompt_text', sa.Text(), nullable=True),
    sa.Column('embedder', sa.String(length=60), nullable=False),
    sa.Column('vector_count', sa.Integer(), nullable=False),
    sa.Column('dims', sa.Integer(), nullable=False),
    sa.Column('embedding', sa.LargeBinary().with_variant(postgresql.BYTEA(), 'postgresql'), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cache_entries_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_cache_entries')),
    sa.UniqueConstraint('account_id', 'namespace', 'id', name=op.f('uq_cache_entries_account_id_namespace_id'))
    )
    with op.batch_alter_table('cache_entries', schema=None) as batch_op:
        batch_op.create_index('ix_cache_entries_lookup', ['account_id', 'namespace', 'template_identity', 'embedder'], unique=False)

    op.create_table('prompt_templates',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_prompt_templates_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_prompt_templates')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_prompt_templates_account_id_name'))
    )
    op.create_table('provider_configs',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('base_url', sa.String(length=2000), nullable=False),
    sa.Column('api_key_sealed', sa.LargeBinary().with_variant(postgresql.BYTEA(), 'postgresql'), nullable=True),
    sa.Column('default_model', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_provider_configs_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_provider_configs')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_provider_configs_account_id_name'))
    )
    op.create_table('test_runs',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.String(length=200), nullable=False),
    sa.Column('test_name', sa.String(length=500), nullable=False),
    sa.Column('session_id', sa.String(length=200), nullable=True),
    sa.Column('evaluation_method', sa.String(length=200), nullable=True),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('overall_score', sa.Float(), nullable=True),
    sa.Column('total_processed', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_test_runs_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_test_runs')),
    sa.UniqueConstraint('account_id', 'run_id', name=op.f('uq_test_runs_account_id_run_id'))
    )
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.create_index('ix_test_runs_account_name', ['account_id', 'test_name', 'start_time'], unique=False)

    op.create_table('prompt_label_moves',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=140), nullable=False),
    sa.Column('moved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_prompt_label_moves_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_pk'], ['prompt_templates.pk'], name=op.f('fk_prompt_label_moves_template_pk_prompt_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_prompt_label_moves'))
    )
    with op.batch_alter_table('prompt_label_moves', schema=None) as batch_op:
        batch_op.create_index('ix_prompt_label_moves_label', ['template_pk', 'label', 'pk'], unique=False)

    op.create_table('prompt_template_versions',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.String(length=140), nullable=False),
    sa.Column('given_version', sa.String(length=100), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_prompt_template_versions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_pk'], ['prompt_templates.pk'], name=op.f('fk_prompt_template_versions_template_pk_prompt_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_prompt_template_versions')),
    sa.UniqueConstraint('template_pk', 'given_version', 'content_hash', name=op.f('uq_prompt_template_versions_template_pk_given_version_content_hash')),
    sa.UniqueConstraint('template_pk', 'given_version', 'seq', name=op.f('uq_prompt_template_versions_template_pk_given_version_seq')),
    sa.UniqueConstraint('template_pk', 'version', name=op.f('uq_prompt_template_versions_template_pk_version'))
    )
    op.create_table('test_results',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('body', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_test_results_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_pk'], ['test_runs.pk'], name=op.f('fk_test_results_run_pk_test_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_test_results')),
    sa.UniqueConstraint('run_pk', 'position', name=op.f('uq_test_results_run_pk_position'))
    )
    op.create_table('annotations',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('session_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('label', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('author', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_annotations_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['activity_pk'], ['activities.pk'], name=op.f('fk_annotations_activity_pk_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author'], ['users.id'], name=op.f('fk_annotations_author_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_pk'], ['sessions.pk'], name=op.f('fk_annotations_session_pk_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_annotations')),
    sa.UniqueConstraint('activity_pk', name=op.f('uq_annotations_activity_pk')),
    sa.UniqueConstraint('session_pk', name=op.f('uq_annotations_session_pk'))
    )
    op.create_table('replays',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('activity_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('request', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('generated', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('completion_tokens', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_replays_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['activity_pk'], ['activities.pk'], name=op.f('fk_replays_activity_pk_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_replays'))
    )
    with op.batch_alter_table('replays', schema=None) as batch_op:
        batch_op.create_index('ix_replays_activity', ['activity_pk', 'pk'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('replays', schema=None) as batch_op:
        batch_op.drop_index('ix_replays_activity')

    op.drop_table('replays')
    op.drop_table('annotations')
    op.drop_table('test_results')
    op.drop_table('prompt_template_versions')
    with op.batch_alter_table('prompt_label_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_prompt_label_moves_label')

    op.drop_table('prompt_label_moves')
    with op.batch_alter_table('test_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_test_runs_account_name')

    op.drop_table('test_runs')
    op.drop_table('provider_configs')
    op.drop_table('prompt_templates')
    with op.batch_alter_table('cache_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_cache_entries_lookup')

    op.drop_table('cache_entries')
