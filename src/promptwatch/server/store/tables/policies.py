"""Versioned policy documents (privacy policy, terms) and who acknowledged which version when (P20)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from ..types import UtcDateTime
from . import metadata
from .columns import SurrogateKey, surrogate_pk

KINDS = ("privacy", "terms")

policy_documents = Table(
    "policy_documents",
    metadata,
    surrogate_pk("id"),
    Column("kind", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("announced_at", UtcDateTime(), nullable=False),
    Column("effective_date", Date, nullable=False),
    UniqueConstraint("kind", "version"),
)

policy_acknowledgements = Table(
    "policy_acknowledgements",
    metadata,
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", SurrogateKey, ForeignKey("policy_documents.id", ondelete="CASCADE"), nullable=False),
    Column("acknowledged_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("user_id", "document_id"),
)
