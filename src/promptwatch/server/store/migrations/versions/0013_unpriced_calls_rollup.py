"""unpriced calls in the hourly roll-ups: the LLM calls that have no cost because their model has no price

Usage metrics tell "$0" from "no price" by counting such calls. They were counted from the activities at
every request, which read every matching call (0.6 s at 1,000,000 activities) and lost the calls that
retention purged; the roll-ups now count them as they count calls. Here the stored calls are counted into the
roll-up rows they are already in: closed LLM calls with tokens and no cost (a call the provider refused has
no tokens and costs nothing), by the roll-ups' UTC hour, project, tenant, model and template.

Revision ID: 0013_unpriced_calls_rollup
Revises: 0012_search_words_only
"""

from collections import Counter
from datetime import timezone

import sqlalchemy as sa
from alembic import op

revision = "0013_unpriced_calls_rollup"
down_revision = "0012_search_words_only"
branch_labels = None
depends_on = None

_UNPRICED = sa.text(
    "SELECT a.account_id, a.start_time, COALESCE(s.project_id, 0), COALESCE(s.tracking_tenant, ''), "
    "COALESCE(a.model, ''), COALESCE(a.template_name, '') "
    "FROM activities a JOIN sessions s ON s.pk = a.session_pk "
    "WHERE a.activity_type = 'llm-prompt' AND a.end_time IS NOT NULL AND a.total_tokens IS NOT NULL "
    "AND a.cost IS NULL"
)
_COUNT = sa.text(
    "UPDATE usage_hourly SET unpriced_calls = :calls WHERE account_id = :account AND hour = :hour "
    "AND project_id = :project AND tracking_tenant = :tenant AND model = :model AND template_name = :template"
)


def upgrade() -> None:
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unpriced_calls", sa.Integer(), nullable=False, server_default="0"))
    conn = op.get_bind()
    counts = Counter((account, _hour(start), *rest) for account, start, *rest in conn.execute(_UNPRICED))
    if counts:
        conn.execute(_COUNT, [_row(key, calls) for key, calls in counts.items()])


def downgrade() -> None:
    with op.batch_alter_table("usage_hourly", schema=None) as batch_op:
        batch_op.drop_column("unpriced_calls")


def _hour(start):
    """The start's UTC hour as the roll-ups key it: SQLite keeps times as `YYYY-MM-DD HH:MM:SS.ffffff` text,
    PostgreSQL as timestamptz."""
    if isinstance(start, str):
        return start[:13] + ":00:00.000000"
    return start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)  # read in any zone


def _row(key: tuple, calls: int) -> dict:
    account, hour, project, tenant, model, template = key
    return {
        "calls": calls,
        "account": account,
        "hour": hour,
        "project": project,
        "tenant": tenant,
        "model": model,
        "template": template,
    }
