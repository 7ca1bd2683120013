"""The playground: per-account LLM provider configs (the API key encrypted with the instance's provider
key, which lives outside the database) and replays of recorded LLM calls, stored beside the original."""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from ..types import Blob, JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

provider_configs = Table(
    "provider_configs",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("name", String(100), nullable=False),
    Column("base_url", String(2000), nullable=False),
    Column("api_key_sealed", Blob, nullable=True),  # AES-GCM: nonce + ciphertext; never returned
    Column("default_model", String(200), nullable=True),
    created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name"),
)

replays = Table(
    "replays",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("activity_pk", SurrogateKey, ForeignKey("activities.pk", ondelete="CASCADE"), nullable=False),
    Column("provider", String(100), nullable=False),
    Column("model", String(200), nullable=True),
    Column("request", JsonDoc, nullable=False),  # messages, settings and the edits applied
    Column("generated", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("latency_ms", Float, nullable=True),
    created_at(),
    Index("ix_replays_activity", "activity_pk", "pk"),
)
