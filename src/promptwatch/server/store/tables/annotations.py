"""Annotations (thumbs up / down, rating, notes) on an activity or a whole session; one current annotation
per object, deleted with it (foreign keys cascade)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, Table, Text, UniqueConstraint

from ..types import UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

annotations = Table(
    "annotations",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("activity_pk", SurrogateKey, ForeignKey("activities.pk", ondelete="CASCADE"), nullable=True),
    Column("session_pk", SurrogateKey, ForeignKey("sessions.pk", ondelete="CASCADE"), nullable=True),
    Column("label", Integer, nullable=True),  # 1 thumbs up, 0 thumbs down
    Column("rating", Integer, nullable=True),
    Column("notes", Text, nullable=True),
    Column("author", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("activity_pk"),
    UniqueConstraint("session_pk"),
)
