"""Mail: the one outbox every message goes through, the contact preferences of every person the instance
knows (users and leads, keyed by e-mail address), and the shared rate-limit windows of public forms."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from ...constants import OUTBOX_STATUSES
from ..types import UtcDateTime
from . import metadata
from .columns import created_at, surrogate_pk

# promotional categories a person can turn off; the others (billing, legal, account) always go (P17)
PROMOTIONAL = ("product_news", "promotions")
CATEGORIES = (*PROMOTIONAL, "billing", "legal", "account")
STATUSES = OUTBOX_STATUSES

outbox = Table(
    "outbox",
    metadata,
    surrogate_pk("id"),
    Column("category", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("body", Text, nullable=True),  # cleared once the message is sent, suppressed or failed
    Column("status", String(20), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_error", String(500), nullable=True),
    created_at(),
    Column("finished_at", UtcDateTime(), nullable=True),
    Index("ix_outbox_status_due", "status", "next_attempt_at"),
)

contact_preferences = Table(
    "contact_preferences",
    metadata,
    Column("email", String(320), primary_key=True),  # lower-cased
    Column("product_news", Boolean, nullable=False, default=True),
    Column("promotions", Boolean, nullable=False, default=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(64), primary_key=True),  # keyed hash of purpose, client and window; no address
    Column("hits", Integer, nullable=False, default=0),
    Column("window_ends_at", UtcDateTime(), nullable=False),
)
