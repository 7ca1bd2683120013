"""Sessions with their running totals, and the tombstones that keep deleted objects from coming back."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, surrogate_pk

sessions = Table(
    "sessions",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("id", String(200), nullable=False),
    Column("project_id", SurrogateKey, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    Column("tracking_tenant", String(256), nullable=True),
    Column("session_name", String(1000), nullable=True),
    Column("start_time", UtcDateTime(), nullable=False),
    Column("end_time", UtcDateTime(), nullable=True),
    Column("is_error", Boolean, nullable=False, default=False),
    Column("steps_count", Integer, nullable=True),
    Column("activity_count", Integer, nullable=False, default=0),
    Column("llm_calls", Integer, nullable=False, default=0),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("total_tokens", Integer, nullable=False, default=0),
    Column("cost", Float, nullable=False, default=0.0),
    Column("tags", JsonDoc, nullable=True),
    Column("metadata", JsonDoc, nullable=True),
    Column("source", String(20), nullable=False),  # native | legacy | otlp | import
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "id"),
    Index("ix_sessions_account_start", "account_id", "start_time"),
    Index("ix_sessions_account_project_start", "account_id", "project_id", "start_time"),
    Index("ix_sessions_account_tenant_start", "account_id", "tracking_tenant", "start_time"),
    # the list's cost and token orders (session_order.SORTS), alone and within a project or a tenant: SQLite
    # plans without statistics and would walk a whole order for a project or tenant its index cannot serve.
    # Ties, frequent in these orders, are broken by pk, which each index holds so that no page needs a sort;
    # the start time rides along, so that a time range is read in the order without the table (session_order).
    # Every session delta rewrites these entries (their price on ingest: docs/benchmarks.md).
    Index("ix_sessions_account_cost", "account_id", "cost", "pk", "start_time"),
    Index("ix_sessions_account_tokens", "account_id", "total_tokens", "pk", "start_time"),
    Index("ix_sessions_account_project_cost", "account_id", "project_id", "cost", "pk", "start_time"),
    Index("ix_sessions_account_project_tokens", "account_id", "project_id", "total_tokens", "pk", "start_time"),
    Index("ix_sessions_account_tenant_cost", "account_id", "tracking_tenant", "cost", "pk", "start_time"),
    Index("ix_sessions_account_tenant_tokens", "account_id", "tracking_tenant", "total_tokens", "pk", "start_time"),
)

tombstones = Table(
    "tombstones",
    metadata,
    account_fk(),
    Column("kind", String(20), nullable=False),  # session | activity
    Column("object_id", String(200), nullable=False),
    Column("deleted_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "kind", "object_id"),
)
