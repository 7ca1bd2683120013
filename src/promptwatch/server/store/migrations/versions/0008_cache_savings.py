"""cache savings: a cache hit's namespace and saved cost, hits and savings in the hourly roll-ups

Revision ID: 0008_cache_savings
Revises: 0006_cache_lookup_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_cache_savings"
down_revision = "0006_cache_lookup_index"  # cache_entries is created by 0004_prompt_loop
branch_labels = None
depends_on = None

_HITS = sa.text("cache_namespace IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cache_namespace", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("saved_cost", sa.Float(), nullable=True))
    op.create_index(
        "ix_activities_cache_hits",
        "activities",
        ["account_id", "cache_namespace"],
        unique=False,
        sqlite_where=_HITS,
        postgresql_where=_HITS,
    )
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cache_hits", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("saved_cost", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("cache_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_hit_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cache_entries", schema=None) as batch_op:
        batch_op.drop_column("last_hit_at")
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.drop_column("saved_cost")
        batch_op.drop_column("cache_hits")
    op.drop_index("ix_activities_cache_hits", table_name="activities")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("saved_cost")
        batch_op.drop_column("cache_namespace")
