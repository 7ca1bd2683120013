"""The access log (P9): route template, method, status, latency, truncated client address, request id.
No account id, no query string, no header, no body."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table

from ..types import UtcDateTime
from . import metadata
from .columns import surrogate_pk

access_log = Table(
    "access_log",
    metadata,
    surrogate_pk("id"),
    Column("at", UtcDateTime(), nullable=False),
    Column("method", String(10), nullable=False),
    Column("path", String(300), nullable=False),  # the route template, never the raw path
    Column("status", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("client", String(64), nullable=True),  # IPv4 /24 or IPv6 /48
    Column("request_id", String(32), nullable=False),
    Index("ix_access_log_at", "at"),
)
