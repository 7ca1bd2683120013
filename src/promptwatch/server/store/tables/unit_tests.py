"""Unit-test runs (upserted by run id, unique per account) and their per-case results (one per order)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

test_runs = Table(
    "test_runs",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("run_id", String(200), nullable=False),
    Column("test_name", String(500), nullable=False),
    Column("session_id", String(200), nullable=True),  # may never exist server-side: no foreign key
    Column("evaluation_method", String(200), nullable=True),
    Column("start_time", UtcDateTime(), nullable=True),
    Column("end_time", UtcDateTime(), nullable=True),
    Column("conditions", JsonDoc, nullable=True),
    Column("overall_score", Float, nullable=True),
    Column("total_processed", Integer, nullable=False, default=0),
    Column("passed", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("extra", JsonDoc, nullable=True),  # unknown fields of the client's payload
    created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "run_id"),
    Index("ix_test_runs_account_name", "account_id", "test_name", "start_time"),
)

test_results = Table(
    "test_results",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("run_pk", SurrogateKey, ForeignKey("test_runs.pk", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),  # the client's `order`, 1-based within the run
    Column("passed", Boolean, nullable=False, default=False),
    Column("score", Float, nullable=True),
    Column("body", JsonDoc, nullable=False),  # the whole TestCaseResult as sent
    created_at(),
    UniqueConstraint("run_pk", "position"),
)
