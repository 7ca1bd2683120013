"""failed and feedback indexes: the list of calls finds failed calls and thumbs without reading every activity

Partial indexes: they hold only the activities with an error or a feedback label, so ingest of the others
writes nothing more. Building them reads every activity once.

Revision ID: 0016_failed_and_feedback_indexes
Revises: 0015_search_error_messages
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_failed_and_feedback_indexes"
down_revision = "0015_search_error_messages"
branch_labels = None
depends_on = None

_FAILED = sa.text("error IS NOT NULL")
_FEEDBACK = sa.text("feedback_label IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_activities_failed",
        "activities",
        ["account_id", "start_time", "pk"],
        sqlite_where=_FAILED,
        postgresql_where=_FAILED,
    )
    op.create_index(
        "ix_activities_feedback",
        "activities",
        ["account_id", "feedback_label", "start_time", "pk"],
        sqlite_where=_FEEDBACK,
        postgresql_where=_FEEDBACK,
    )


def downgrade() -> None:
    op.drop_index("ix_activities_feedback", table_name="activities")
    op.drop_index("ix_activities_failed", table_name="activities")
