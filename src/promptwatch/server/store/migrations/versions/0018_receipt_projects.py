"""receipt projects: a deletion receipt names the project its requester was limited to

A project-limited caller lists only the receipts of deletions made within its own project; receipts of
account-wide deletions (and every receipt written before) stay NULL and show to account-wide callers only.

Revision ID: 0018_receipt_projects
Revises: 0002_lifecycle
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_receipt_projects"
down_revision = "0002_lifecycle"  # deletion_receipts is created by 0002_lifecycle
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deletion_receipts") as batch:
        batch.add_column(sa.Column("project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deletion_receipts") as batch:
        batch.drop_column("project_id")
