"""deletion receipts and retention policies

Revision ID: 0002_lifecycle
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_lifecycle"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "deletion_receipts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("counts", _JSON, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unreadable_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_deletion_receipts_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_receipts")),
    )
    op.create_index("ix_deletion_receipts_account", "deletion_receipts", ["account_id", "requested_at"])
    op.create_table(
        "retention_policies",
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("content_days", sa.Integer(), nullable=True),
        sa.Column("aggregate_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_retention_policies_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("account_id", "project_id", name=op.f("uq_retention_policies_account_id_project_id")),
    )


def downgrade() -> None:
    op.drop_table("retention_policies")
    op.drop_index("ix_deletion_receipts_account", table_name="deletion_receipts")
    op.drop_table("deletion_receipts")
