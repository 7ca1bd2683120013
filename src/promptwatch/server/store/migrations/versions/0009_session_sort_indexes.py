"""session sort indexes: the session list's cost and token orders, alone and within a project or a tenant

Revision ID: 0009_session_sort_indexes
Revises: 0001
"""

from alembic import op

revision = "0009_session_sort_indexes"
down_revision = "0001"  # sessions is created by 0001
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_sessions_account_cost": ["account_id", "cost", "pk"],
    "ix_sessions_account_tokens": ["account_id", "total_tokens", "pk"],
    "ix_sessions_account_project_cost": ["account_id", "project_id", "cost", "pk"],
    "ix_sessions_account_project_tokens": ["account_id", "project_id", "total_tokens", "pk"],
    "ix_sessions_account_tenant_cost": ["account_id", "tracking_tenant", "cost", "pk"],
    "ix_sessions_account_tenant_tokens": ["account_id", "tracking_tenant", "total_tokens", "pk"],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "sessions", columns, unique=False)


def downgrade() -> None:
    for name in reversed(_INDEXES):
        op.drop_index(name, table_name="sessions")
