"""The one registry of customer data.

Every table that holds customer data is declared here with what export, deletion, retention, redaction
and encryption must do with it; those jobs are driven by this list, and a test fails when a table with an
`account_id` column is neither registered nor listed as not holding customer data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Table

from .tables import accounts as accounts_tables
from .tables import activities as activity_tables
from .tables import credentials, sessions, usage

RetentionClass = Literal["content", "aggregate", "account", "billing"]


@dataclass(frozen=True)
class CustomerTable:
    table: Table
    scope: str  # how a row reaches its account: "account_id" or a join description
    export_kind: str  # the JSON Lines file name in an export archive
    delete_cascade: str  # what deleting the parent does to its rows
    retention_class: RetentionClass
    redaction: tuple[str, ...] = ()  # columns that hold free customer text
    encrypted: tuple[str, ...] = ()  # columns encrypted at rest when the account has a key


CUSTOMER_TABLES: tuple[CustomerTable, ...] = (
    CustomerTable(accounts_tables.accounts, "id", "account", "account deletion", "account"),
    CustomerTable(accounts_tables.memberships, "account_id", "members", "account deletion", "account"),
    CustomerTable(accounts_tables.projects, "account_id", "projects", "account deletion", "account"),
    CustomerTable(credentials.api_keys, "account_id", "api_keys", "account or project deletion", "account"),
    CustomerTable(
        sessions.sessions,
        "account_id",
        "sessions",
        "session, project, tenant or account deletion",
        "content",
        redaction=("session_name", "metadata"),
    ),
    CustomerTable(sessions.tombstones, "account_id", "tombstones", "account deletion", "account"),
    CustomerTable(
        activity_tables.activities,
        "account_id",
        "activities",
        "cascades from its session",
        "content",
        redaction=("error",),
    ),
    CustomerTable(
        activity_tables.activity_bodies,
        "account_id",
        "activity_bodies",
        "cascades from its activity",
        "content",
        redaction=("body",),
        encrypted=("body",),
    ),
    CustomerTable(usage.usage_hourly, "account_id", "usage_hourly", "account deletion", "aggregate"),
    CustomerTable(usage.latency_hourly, "account_id", "latency_hourly", "account deletion", "aggregate"),
    CustomerTable(usage.price_overrides, "account_id", "price_overrides", "account deletion", "account"),
)

# Tables that hold no customer data, each with the reason.
NON_CUSTOMER_TABLES: dict[str, str] = {
    "users": "people; their memberships are the account's data, the person record is their own",
    "login_tokens": "hashes of short-lived UI tokens of a person",
    "alembic_version": "schema revision",
}

# Full-text index (SQLite FTS5 table / PostgreSQL table) over activity text; purged with its activity.
SEARCH_INDEX = "activity_search"


def registered_table_names() -> set[str]:
    return {entry.table.name for entry in CUSTOMER_TABLES}
