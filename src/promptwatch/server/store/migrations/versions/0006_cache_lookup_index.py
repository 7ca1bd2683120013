"""cache lookup index: a partition's latest entry in one index seek

Revision ID: 0006_cache_lookup_index
Revises: 0004_prompt_loop
"""

from alembic import op

revision = "0006_cache_lookup_index"
down_revision = "0004_prompt_loop"
branch_labels = None
depends_on = None

_OLD = ["account_id", "namespace", "template_identity", "embedder"]
_NEW = [*_OLD, "vector_count", "dims", "updated_at", "pk"]


def upgrade() -> None:
    with op.batch_alter_table("cache_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_cache_entries_lookup")
        batch_op.create_index("ix_cache_entries_partition_latest", _NEW, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cache_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_cache_entries_partition_latest")
        batch_op.create_index("ix_cache_entries_lookup", _OLD, unique=False)
