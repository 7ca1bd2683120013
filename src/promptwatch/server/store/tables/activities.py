"""Activities: light columns for listing and filtering, the large payload in `activity_bodies`."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ..types import Blob, JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, surrogate_pk

activities = Table(
    "activities",
    metadata,
    surrogate_pk(),
    account_fk(),
    Column("session_pk", SurrogateKey, ForeignKey("sessions.pk", ondelete="CASCADE"), nullable=False),
    Column("id", String(200), nullable=False),
    Column("parent_activity_id", String(200), nullable=True),
    Column("activity_type", String(30), nullable=False),
    Column("name", String(500), nullable=True),
    Column("position", Integer, nullable=True),
    Column("start_time", UtcDateTime(), nullable=False),
    Column("end_time", UtcDateTime(), nullable=True),
    Column("error", Text, nullable=True),
    Column("model", String(200), nullable=True),
    Column("provider", String(100), nullable=True),
    Column("template_name", String(256), nullable=True),
    Column("template_version", String(100), nullable=True),
    Column("prompt_tokens", Integer, nullable=True),
    Column("completion_tokens", Integer, nullable=True),
    Column("total_tokens", Integer, nullable=True),
    Column("tokens_counted", Boolean, nullable=False, default=False),
    Column("cost", Float, nullable=True),
    Column("price_version", String(100), nullable=True),
    Column("cache_namespace", String(512), nullable=True),  # set on a call served from the semantic cache
    Column("saved_cost", Float, nullable=True),  # what a cache hit would have cost (its own cost is 0)
    Column("ttft_ms", Float, nullable=True),
    Column("feedback_label", Integer, nullable=True),
    Column("feedback_rating", Integer, nullable=True),
    Column("tags", JsonDoc, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "id"),
    Index("ix_activities_session", "session_pk", "start_time"),
    Index("ix_activities_account_start", "account_id", "start_time", "pk"),  # the list of calls, newest first
    Index("ix_activities_account_model", "account_id", "model", "session_pk"),
    Index("ix_activities_account_template", "account_id", "template_name", "session_pk"),
    # the list of calls filtered to failed calls or to a thumbs: such rows are few, and the time index would read
    # every activity to find none
    Index(
        "ix_activities_failed",
        "account_id",
        "start_time",
        "pk",
        sqlite_where=text("error IS NOT NULL"),
        postgresql_where=text("error IS NOT NULL"),
    ),
    Index(
        "ix_activities_feedback",
        "account_id",
        "feedback_label",
        "start_time",
        "pk",
        sqlite_where=text("feedback_label IS NOT NULL"),
        postgresql_where=text("feedback_label IS NOT NULL"),
    ),
    Index(
        "ix_activities_cache_hits",
        "account_id",
        "cache_namespace",
        sqlite_where=text("cache_namespace IS NOT NULL"),
        postgresql_where=text("cache_namespace IS NOT NULL"),
    ),
)

activity_bodies = Table(
    "activity_bodies",
    metadata,
    Column("activity_pk", SurrogateKey, ForeignKey("activities.pk", ondelete="CASCADE"), primary_key=True),
    account_fk(),
    Column("body", Blob, nullable=False),  # zstd-compressed JSON of every field not in `activities`
)
