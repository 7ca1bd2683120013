"""search without positions: PostgreSQL's full-text index keeps the words of an activity, not where they are

Text search matches words and prefixes, never phrases (as SQLite's index, `detail=none`), so the positions
only made each row larger: 2.1 KB on average instead of 1.2 KB for a 1.7 KB activity, stored out of line, and
a search that tests activities one by one read each row's out-of-line chunks. Existing rows are stripped here;
SQLite is unchanged.

Revision ID: 0011_search_without_positions
Revises: 0010_session_sort_start_time
"""

from alembic import op

revision = "0011_search_without_positions"
down_revision = "0010_session_sort_start_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE activity_search SET tsv = strip(tsv)")


def downgrade() -> None:
    """Positions cannot be recovered from the index; a row indexed again gets them back."""
