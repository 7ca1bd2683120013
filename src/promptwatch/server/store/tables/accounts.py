"""Accounts (customer organisations), users, their memberships and the projects of an account."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, UniqueConstraint

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

ROLES = ("owner", "admin", "member", "viewer")
INSTANCE_ROLES = ("operator", "staff")

accounts = Table(
    "accounts",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False, default="standard"),  # standard | sandbox
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("settings", JsonDoc, nullable=True),
    created_at(),
)

users = Table(
    "users",
    metadata,
    Column("id", SurrogateKey, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=True),
    Column("instance_role", String(20), nullable=True),  # operator | staff | NULL
    Column("disabled", Boolean, nullable=False, default=False),
    created_at(),
    sqlite_autoincrement=True,  # the audit log names people `user:<id>`: an erased person's id is never reused
)

memberships = Table(
    "memberships",
    metadata,
    account_fk(),
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(20), nullable=False),
    created_at(),
    UniqueConstraint("account_id", "user_id"),
)

projects = Table(
    "projects",
    metadata,
    surrogate_pk("id"),
    account_fk(),
    Column("name", String(256), nullable=False),
    created_at(),
    UniqueConstraint("account_id", "name"),
    sqlite_autoincrement=True,  # receipts and the deletion ledger name projects by id: a deleted one's is not reused
)
