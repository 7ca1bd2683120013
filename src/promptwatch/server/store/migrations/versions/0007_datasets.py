"""datasets: named collections of examples (input, expected output, metadata, label, notes)

Revision ID: 0007_datasets
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_datasets"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("account_id", _KEY, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("project_id", _KEY, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_datasets_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_datasets_project_id_projects"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_datasets")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_datasets_account_id_name")),
    )
    op.create_table(
        "dataset_items",
        sa.Column("pk", _KEY, autoincrement=True, nullable=False),
        sa.Column("account_id", _KEY, nullable=False),
        sa.Column("dataset_pk", _KEY, nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary().with_variant(postgresql.BYTEA(), "postgresql"), nullable=False),
        sa.Column("source_session_id", sa.String(length=200), nullable=True),
        sa.Column("source_activity_id", sa.String(length=200), nullable=True),
        sa.Column("label", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_dataset_items_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_pk"], ["datasets.pk"], name=op.f("fk_dataset_items_dataset_pk_datasets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_dataset_items")),
        sa.UniqueConstraint("account_id", "id", name=op.f("uq_dataset_items_account_id_id")),
    )
    op.create_index("ix_dataset_items_dataset", "dataset_items", ["dataset_pk", "pk"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dataset_items_dataset", table_name="dataset_items")
    op.drop_table("dataset_items")
    op.drop_table("datasets")
