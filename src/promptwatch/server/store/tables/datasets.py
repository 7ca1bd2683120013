"""Datasets: named collections of examples per account (optionally per project). An item's input, expected
output and metadata are one payload blob (zstd JSON, encrypted with the account's key when it has one);
label, notes and the link to the activity it came from are plain columns."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from ..types import Blob, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

datasets = Table(
    "datasets",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=True),
    Column("project_id", SurrogateKey, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name"),
)

dataset_items = Table(
    "dataset_items",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("dataset_pk", SurrogateKey, ForeignKey("datasets.pk", ondelete="CASCADE"), nullable=False),
    Column("id", String(64), nullable=False),
    Column("payload", Blob, nullable=False),  # {"input", "expected_output", "metadata"}, see store/bodies.py
    Column("source_session_id", String(200), nullable=True),
    Column("source_activity_id", String(200), nullable=True),
    Column("label", Integer, nullable=True),  # 1 good, 0 bad
    Column("notes", Text, nullable=True),
    created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "id"),
    Index("ix_dataset_items_dataset", "dataset_pk", "pk"),
)
