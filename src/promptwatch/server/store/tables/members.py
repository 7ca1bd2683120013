"""Who may do what inside an account beyond the membership row: the projects a membership is limited to,
and invitations of new members (only a hash of the invitation token is stored)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, PrimaryKeyConstraint, String, Table

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, account_fk, created_at, surrogate_pk

# A membership with rows here sees only these projects' sessions; without rows it sees the whole account.
membership_projects = Table(
    "membership_projects",
    metadata,
    account_fk(),
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", SurrogateKey, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("account_id", "user_id", "project_id"),
)

invitations = Table(
    "invitations",
    metadata,
    surrogate_pk("id"),
    account_fk(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("email", String(320), nullable=False),
    Column("role", String(20), nullable=False),
    Column("projects", JsonDoc, nullable=True),  # project names the membership will be limited to
    Column("invited_by", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    created_at(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("accepted_at", UtcDateTime(), nullable=True),
    Column("accepted_by", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Index("ix_invitations_account", "account_id", "created_at"),
    sqlite_autoincrement=True,  # the audit log names them `invitation:<id>`: a deleted one's id is never reused
)
