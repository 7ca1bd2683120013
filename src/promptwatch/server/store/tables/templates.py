"""Prompt templates, their versions (assigned by the server from the content hash) and labels.

A version row is unique by (template, version) and by (template, given version, content hash), so two
workers that meet the same content agree on one version, and a reverted template gets its version back.
Label moves are kept as a history: the current target is the latest move; rollback appends a move.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

prompt_templates = Table(
    "prompt_templates",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("name", String(256), nullable=False),
    created_at(),
    UniqueConstraint("account_id", "name"),
)

prompt_template_versions = Table(
    "prompt_template_versions",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("template_pk", SurrogateKey, ForeignKey("prompt_templates.pk", ondelete="CASCADE"), nullable=False),
    Column("version", String(140), nullable=False),
    Column("given_version", String(100), nullable=False),  # what the caller sent; "1.0" when none
    Column("seq", Integer, nullable=False),  # 0, 1, 2 ... per (template, given version)
    Column("content_hash", String(64), nullable=False),
    Column("content", JsonDoc, nullable=False),  # the template description without name and version
    Column("source", String(20), nullable=False),  # ingest | api
    created_at(),
    UniqueConstraint("template_pk", "version"),
    UniqueConstraint("template_pk", "given_version", "content_hash"),
    UniqueConstraint("template_pk", "given_version", "seq"),
)

prompt_label_moves = Table(
    "prompt_label_moves",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("template_pk", SurrogateKey, ForeignKey("prompt_templates.pk", ondelete="CASCADE"), nullable=False),
    Column("label", String(100), nullable=False),
    Column("version", String(140), nullable=False),
    Column("moved_at", UtcDateTime(), nullable=False),
    Index("ix_prompt_label_moves_label", "template_pk", "label", "pk"),
)
