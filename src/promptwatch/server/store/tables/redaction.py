"""What the ingest redaction stage masks, per account (project "") or per project."""

from __future__ import annotations

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import account_fk

redaction_rules = Table(
    "redaction_rules",
    metadata,
    account_fk(),
    Column("project", String(256), nullable=False, default=""),  # "" = the whole account
    Column("config", JsonDoc, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "project"),
)
