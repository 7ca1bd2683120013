"""API keys (public key id + keyed hash of the secret) and the UI's log-in tokens."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from ..types import UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

api_keys = Table(
    "api_keys",
    metadata,
    surrogate_pk("id"),
    Column("key_id", String(200), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    account_fk(),
    Column("project_id", SurrogateKey, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    Column("scope", String(20), nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_by", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    created_at(),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Index("ix_api_keys_account", "account_id"),
)

login_tokens = Table(
    "login_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    created_at(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
)
