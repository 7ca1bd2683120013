"""session sort start time: the cost and token order indexes carry each session's start time

A time range is then read in those orders from the index alone (store/session_order.py).

Revision ID: 0010_session_sort_start_time
Revises: 0009_session_sort_indexes
"""

from alembic import op

revision = "0010_session_sort_start_time"
down_revision = "0009_session_sort_indexes"
branch_labels = None
depends_on = None

_ORDERS = {  # index -> its columns before this revision; the start time follows them
    "ix_sessions_account_cost": ["account_id", "cost", "pk"],
    "ix_sessions_account_tokens": ["account_id", "total_tokens", "pk"],
    "ix_sessions_account_project_cost": ["account_id", "project_id", "cost", "pk"],
    "ix_sessions_account_project_tokens": ["account_id", "project_id", "total_tokens", "pk"],
    "ix_sessions_account_tenant_cost": ["account_id", "tracking_tenant", "cost", "pk"],
    "ix_sessions_account_tenant_tokens": ["account_id", "tracking_tenant", "total_tokens", "pk"],
}


def upgrade() -> None:
    for name, columns in _ORDERS.items():
        op.drop_index(name, table_name="sessions")
        op.create_index(name, "sessions", [*columns, "start_time"], unique=False)


def downgrade() -> None:
    for name, columns in _ORDERS.items():
        op.drop_index(name, table_name="sessions")
        op.create_index(name, "sessions", columns, unique=False)
