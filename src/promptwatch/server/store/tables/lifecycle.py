"""Deletion receipts and retention policies."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, UniqueConstraint

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk

deletion_receipts = Table(
    "deletion_receipts",
    metadata,
    Column("id", String(36), primary_key=True),
    account_fk(),
    Column("kind", String(30), nullable=False),  # session | activity | project | tenant | time_range | account | ...
    Column("target", String(200), nullable=False),  # an id, or a hash of an identifying value
    Column("counts", JsonDoc, nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("unreadable_at", UtcDateTime(), nullable=False),
    Column("purged_at", UtcDateTime(), nullable=True),
    Column("project_id", SurrogateKey, nullable=True),  # the project its requester was limited to; NULL: none
    Index("ix_deletion_receipts_account", "account_id", "requested_at"),
)

retention_policies = Table(
    "retention_policies",
    metadata,
    account_fk(),
    Column("project_id", SurrogateKey, nullable=False, default=0),  # 0: the account's default
    Column("content_days", Integer, nullable=True),  # sessions, activities, payloads
    Column("aggregate_days", Integer, nullable=True),  # hourly cost and usage roll-ups
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "project_id"),
)
