"""cache clears: the namespaces (or projects' namespaces) cleared in the last day, by keyed hash

Revision ID: 0023_cache_clears
Revises: 0019_cache_lookups
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_cache_clears"
down_revision = "0019_cache_lookups"  # the semantic cache's branch
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_clears",
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name_hash", sa.String(length=80), nullable=False),
        sa.Column("project", sa.Boolean(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_cache_clears_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "name_hash", "project", name=op.f("pk_cache_clears")),
    )


def downgrade() -> None:
    op.drop_table("cache_clears")
