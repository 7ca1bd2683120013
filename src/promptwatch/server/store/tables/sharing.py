"""Share links a customer created: a read-only view of one object, with expiry, revocation and a view count.
Only a hash of the link's token is stored."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from ..types import UtcDateTime
from . import metadata
from .columns import account_fk, created_at, surrogate_pk

SHARE_KINDS = ("session", "dataset")

share_links = Table(
    "share_links",
    metadata,
    surrogate_pk("id"),
    account_fk(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # session | dataset
    Column("object_id", String(200), nullable=False),  # the session id or the dataset name
    Column("created_by", String(200), nullable=False),  # the audit actor that created it
    created_at(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("views", Integer, nullable=False, default=0),
    Column("last_viewed_at", UtcDateTime(), nullable=True),
    Index("ix_share_links_account", "account_id", "created_at"),
    sqlite_autoincrement=True,  # the audit log and the deletion ledger name links by id: a deleted one's is not reused
)
