"""People outside an account's data: pending sign-ups and password resets (hashed one-time tokens), leads
from the public waitlist with the consent they gave, and referral codes with the sign-ups they brought."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text

from ..types import JsonDoc, UtcDateTime
from . import metadata
from .columns import SurrogateKey, created_at, surrogate_pk

action_tokens = Table(
    "action_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(20), nullable=False),  # signup | reset
    Column("email", String(320), nullable=False),
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("payload", JsonDoc, nullable=True),  # signup: password hash, account name, referral code
    created_at(),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
)

leads = Table(
    "leads",
    metadata,
    surrogate_pk("id"),
    Column("email", String(320), nullable=False, unique=True),  # lower-cased
    Column("name", String(200), nullable=True),
    Column("organisation", String(200), nullable=True),
    Column("consent_text", Text, nullable=False),
    Column("consented_at", UtcDateTime(), nullable=False),
    Column("source", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # constants.LEAD_STATUSES
    Column("opted_out_at", UtcDateTime(), nullable=True),
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("became_customer_at", UtcDateTime(), nullable=True),
    created_at(),
)

referral_codes = Table(
    "referral_codes",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    created_at(),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

referrals = Table(
    "referrals",
    metadata,
    surrogate_pk("id"),
    Column("code", String(40), ForeignKey("referral_codes.code", ondelete="CASCADE"), nullable=False),
    Column("inviter_user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("referred_user_id", SurrogateKey, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    created_at(),
)
