"""Support grants (a customer's consent to operator staff reading some of its data, for a while) and the
audit log of the account (staff access, grant changes, administrative actions of members)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

GRANT_SCOPES = ("account", "sessions")

support_grants = Table(
    "support_grants",
    metadata,
    surrogate_pk("id"),
    account_fk(),
    Column("scope", String(20), nullable=False),  # account | sessions
    Column("session_ids", JsonDoc, nullable=True),  # the sessions a `sessions` grant covers
    Column("reason", String(500), nullable=False),
    Column("created_by", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    created_at(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoked_by", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Index("ix_support_grants_account_expires", "account_id", "expires_at"),
    sqlite_autoincrement=True,  # named `grant:<id>` in audit entries and by id in the ledger: ids are never reused
)

audit_log = Table(
    "audit_log",
    metadata,
    surrogate_pk("id"),
    account_fk(),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),  # user:<id> | key:<key id> | staff:<id> | system
    Column("action", String(100), nullable=False),  # e.g. key.create, support.read_session
    Column("target", String(500), nullable=True),
    Column("details", JsonDoc, nullable=True),
    Index("ix_audit_log_account_at", "account_id", "at"),
)
