"""failed sessions: a session holding an activity with an error is a failed session

The session list's `has_error` filter reads the session's flag; ingest now sets it when one of the session's
activities has an error, and this sets it on the sessions stored before. Nothing to undo on downgrade: the
flag stays as it is, as a re-sent failed activity would have left it.

Revision ID: 0019_failed_sessions
Revises: 0017_search_cjk_bigrams
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_failed_sessions"
down_revision = "0017_search_cjk_bigrams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE sessions SET is_error = :failed WHERE is_error = :fine AND pk IN "
            "(SELECT session_pk FROM activities WHERE error IS NOT NULL)"
        ).bindparams(failed=True, fine=False)
    )


def downgrade() -> None:
    pass
