"""initial schema

Revision ID: 0001
Revises: 

"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('instance_role', sa.String(length=20), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('latency_hourly',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tracking_tenant', sa.String(length=256), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('template_name', sa.String(length=256), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_latency_hourly_account_id_accounts'), ondelete='CASCADE'),
    sa.UniqueConstraint('account_id', 'hour', 'project_id', 'tracking_tenant', 'model', 'template_name', 'bucket', name=op.f('uq_latency_hourly_account_id_hour_project_id_tracking_tenant_model_template_name_bucket'))
    )
    op.create_table('login_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_login_tokens'))
    )
    op.create_table('memberships',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_memberships_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.UniqueConstraint('account_id', 'user_id', name=op.f('uq_memberships_account_id_user_id'))
    )
    op.create_table('price_overrides',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('input_per_mtok', sa.Float(), nullable=False),
    sa.Column('output_per_mtok', sa.Float(), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_price_overrides_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_overrides'))
    )
    with op.batch_alter_table('price_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_price_overrides_account_model', ['account_id', 'model', 'effective_from'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_projects_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_projects_account_id_name'))
    )
    op.create_table('tombstones',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_tombstones_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'kind', 'object_id', name=op.f('pk_tombstones'))
    )
    op.create_table('usage_hourly',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tracking_tenant', sa.String(length=256), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('template_name', sa.String(length=256), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('total_tokens', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_usage_hourly_account_id_accounts'), ondelete='CASCADE'),
    sa.UniqueConstraint('account_id', 'hour', 'project_id', 'tracking_tenant', 'model', 'template_name', name=op.f('uq_usage_hourly_account_id_hour_project_id_tracking_tenant_model_template_name'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key_id', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_api_keys_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_api_keys_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_api_keys_key_id'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index('ix_api_keys_account', ['account_id'], unique=False)

    op.create_table('sessions',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('tracking_tenant', sa.String(length=256), nullable=True),
    sa.Column('session_name', sa.String(length=1000), nullable=True),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_error', sa.Boolean(), nullable=False),
    sa.Column('steps_count', sa.Integer(), nullable=True),
    sa.Column('activity_count', sa.Integer(), nullable=False),
    sa.Column('llm_calls', sa.Integer(), nullable=False),
    sa.Column('prompt_tokens', sa.Integer(), nullable=False),
    sa.Column('completion_tokens', sa.Integer(), nullable=False),
    sa.Column('total_tokens', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sessions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_sessions')),
    sa.UniqueConstraint('account_id', 'id', name=op.f('uq_sessions_account_id_id'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sessions_account_project_start', ['account_id', 'project_id', 'start_time'], unique=False)
        batch_op.create_index('ix_sessions_account_start', ['account_id', 'start_time'], unique=False)
        batch_op.create_index('ix_sessions_account_tenant_start', ['account_id', 'tracking_tenant', 'start_time'], unique=False)

    op.create_table('activities',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('parent_activity_id', sa.String(length=200), nullable=True),
    sa.Column('activity_type', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('provider', sa.String(length=100), nullable=True),
    sa.Column('template_name', sa.String(length=256), nullable=True),
    sa.Column('template_version', sa.String(length=100), nullable=True),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('completion_tokens', sa.Integer(), nullable=True),
    sa.Column('total_tokens', sa.Integer(), nullable=True),
    sa.Column('tokens_counted', sa.Boolean(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=True),
    sa.Column('price_version', sa.String(length=100), nullable=True),
    sa.Column('ttft_ms', sa.Float(), nullable=True),
    sa.Column('feedback_label', sa.Integer(), nullable=True),
    sa.Column('feedback_rating', sa.Integer(), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_activities_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_pk'], ['sessions.pk'], name=op.f('fk_activities_session_pk_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_activities')),
    sa.UniqueConstraint('account_id', 'id', name=op.f('uq_activities_account_id_id'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_account_model', ['account_id', 'model', 'session_pk'], unique=False)
        batch_op.create_index('ix_activities_account_template', ['account_id', 'template_name', 'session_pk'], unique=False)
        batch_op.create_index('ix_activities_session', ['session_pk', 'start_time'], unique=False)

    op.create_table('activity_bodies',
    sa.Column('activity_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body', sa.LargeBinary().with_variant(postgresql.BYTEA(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_activity_bodies_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['activity_pk'], ['activities.pk'], name=op.f('fk_activity_bodies_activity_pk_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_pk', name=op.f('pk_activity_bodies'))
    )

    create_search_index()


def create_search_index() -> None:
    """Full-text index over activity text: contentless FTS5 on SQLite, a tsvector table on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE activity_search USING fts5(body, content='', tokenize='unicode61', detail='none')")
    else:
        op.execute(
            "CREATE TABLE activity_search (activity_pk BIGINT PRIMARY KEY REFERENCES activities(pk) "
            "ON DELETE CASCADE, account_id BIGINT NOT NULL, tsv tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_activity_search_tsv ON activity_search USING gin (tsv)")


def downgrade() -> None:
    op.execute("DROP TABLE activity_search")
    op.drop_table('activity_bodies')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_session')
        batch_op.drop_index('ix_activities_account_template')
        batch_op.drop_index('ix_activities_account_model')

    op.drop_table('activities')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sessions_account_tenant_start')
        batch_op.drop_index('ix_sessions_account_start')
        batch_op.drop_index('ix_sessions_account_project_start')

    op.drop_table('sessions')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_api_keys_account')

    op.drop_table('api_keys')
    op.drop_table('usage_hourly')
    op.drop_table('tombstones')
    op.drop_table('projects')
    with op.batch_alter_table('price_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_price_overrides_account_model')

    op.drop_table('price_overrides')
    op.drop_table('memberships')
    op.drop_table('login_tokens')
    op.drop_table('latency_hourly')
    op.drop_table('users')
    op.drop_table('accounts')
