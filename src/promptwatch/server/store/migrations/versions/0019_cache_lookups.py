"""cache lookups: each namespace's lookups and hits counted per day, for its hit rate

Revision ID: 0019_cache_lookups
Revises: 0008_cache_savings
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_cache_lookups"
down_revision = "0008_cache_savings"  # the semantic cache's branch (cache_entries is created by 0004_prompt_loop)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_lookups",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("namespace", sa.String(length=512), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lookups", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_cache_lookups_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "namespace", "day", name=op.f("pk_cache_lookups")),
    )


def downgrade() -> None:
    op.drop_table("cache_lookups")
