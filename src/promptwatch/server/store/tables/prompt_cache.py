"""Semantic-cache entries: per account and namespace, with their vectors, in the database (so deletion
and retention reach them at once; any in-process index is only an accelerator). Beside them, the lookups
and hits of each namespace counted per day (one row per namespace and day, not one per lookup), and the
clears of a day: which namespaces, or which project's namespaces, were cleared when, by keyed hash, so that
another process drops the counts it held of them."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from ..types import Blob, JsonDoc, UtcDateTime
from . import metadata
from .columns import account_fk, created_at, surrogate_pk

cache_entries = Table(
    "cache_entries",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("namespace", String(512), nullable=False),
    Column("id", String(200), nullable=False),  # the client's id (uuid5 of its cache prompt) or ours
    # "<template_name>:<version>" of the published client, or "" (it matches only "")
    Column("template_identity", String(600), nullable=False, default=""),
    Column("input_values", JsonDoc, nullable=True),
    Column("prompt_text", Text, nullable=True),  # the native API's text, read by the differing-token guard
    Column("embedder", String(60), nullable=False),  # "client" (sent vectors) or the server's embedder name
    Column("vector_count", Integer, nullable=False),  # 0: one vector; n: a list of n vectors
    Column("dims", Integer, nullable=False),
    Column("embedding", Blob, nullable=False),  # float32 little-endian, vectors concatenated
    Column("result", Text, nullable=False),
    Column("hits", Integer, nullable=False, default=0),
    Column("last_hit_at", UtcDateTime(), nullable=True),
    created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "namespace", "id"),
    # a lookup's partition, ending in its latest entry: the accelerator's freshness check is one index seek
    Index(
        "ix_cache_entries_partition_latest",
        "account_id",
        "namespace",
        "template_identity",
        "embedder",
        "vector_count",
        "dims",
        "updated_at",
        "pk",
    ),
)

cache_lookups = Table(
    "cache_lookups",
    metadata,
    account_fk(),
    Column("namespace", String(512), nullable=False),
    Column("day", UtcDateTime(), nullable=False),  # the start of the UTC day
    Column("lookups", Integer, nullable=False, default=0),
    Column("hits", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("account_id", "namespace", "day"),
)

cache_clears = Table(
    "cache_clears",
    metadata,
    account_fk(),
    Column("name_hash", String(80), nullable=False),  # the ledger's keyed hash of the namespace or project
    Column("project", Boolean, nullable=False),  # the project's namespaces (`<project>`, `<project>.*`)
    Column("cleared_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "name_hash", "project"),
)
