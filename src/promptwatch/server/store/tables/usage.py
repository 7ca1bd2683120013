"""Hourly usage roll-ups (calls, tokens, cost, cache hits and what they saved, latency histogram) and
per-account price overrides.

The roll-ups are written when an LLM activity is first stored closed, so dashboards never scan raw rows
and p50/p95 survive the purge of those rows.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, UniqueConstraint

from ..types import UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

_DIMENSIONS = ("account_id", "hour", "project_id", "tracking_tenant", "model", "template_name")


def _dimension_columns() -> list[Column]:
    return [
        account_fk(),
        Column("hour", UtcDateTime(), nullable=False),
        Column("project_id", SurrogateKey, nullable=False, default=0),  # 0: no project
        Column("tracking_tenant", String(256), nullable=False, default=""),
        Column("model", String(200), nullable=False, default=""),
        Column("template_name", String(256), nullable=False, default=""),
    ]


usage_hourly = Table(
    "usage_hourly",
    metadata,
    *_dimension_columns(),
    Column("calls", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("total_tokens", Integer, nullable=False, default=0),
    Column("cost", Float, nullable=False, default=0.0),
    Column("cache_hits", Integer, nullable=False, default=0),
    Column("saved_cost", Float, nullable=False, default=0.0),
    Column("unpriced_calls", Integer, nullable=False, default=0),  # closed, with tokens, no price for the model
    UniqueConstraint(*_DIMENSIONS),
)

latency_hourly = Table(
    "latency_hourly",
    metadata,
    *_dimension_columns(),
    Column("bucket", Integer, nullable=False),
    Column("count", Integer, nullable=False, default=0),
    UniqueConstraint(*_DIMENSIONS, "bucket"),
)

price_overrides = Table(
    "price_overrides",
    metadata,
    surrogate_pk("id"),
    account_fk(),
    Column("model", String(200), nullable=False),
    Column("input_per_mtok", Float, nullable=False),
    Column("output_per_mtok", Float, nullable=False),
    Column("effective_from", UtcDateTime(), nullable=False),
    created_at(),
    Index("ix_price_overrides_account_model", "account_id", "model", "effective_from"),
)

DIMENSIONS = _DIMENSIONS
