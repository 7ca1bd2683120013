"""Column helpers used by every table module."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer

from ..types import UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity.
SurrogateKey = BigInteger().with_variant(Integer(), "sqlite")


def surrogate_pk(name: str = "pk") -> Column:
    return Column(name, SurrogateKey, primary_key=True, autoincrement=True)


def account_fk() -> Column:
    return Column(
        "account_id", SurrogateKey, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=False
    )


def created_at() -> Column:
    return Column("created_at", UtcDateTime(), nullable=False)
