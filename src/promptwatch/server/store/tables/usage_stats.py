"""Anonymized product-usage statistics (P4) and the cookieless page-view counter (P5).

The counter tables have no column that could hold an identifier: a day, a name from a fixed vocabulary
(route template or feature) and a count. Accounts that opted out are listed in `stats_opt_outs`.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Integer, PrimaryKeyConstraint, String, Table

from ..types import UtcDateTime
from . import metadata
from .columns import SurrogateKey

feature_counters = Table(
    "feature_counters",
    metadata,
    Column("day", Date, nullable=False),
    Column("feature", String(200), nullable=False),
    Column("count", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("day", "feature"),
)

page_views = Table(
    "page_views",
    metadata,
    Column("day", Date, nullable=False),
    Column("route", String(200), nullable=False),
    Column("count", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("day", "route"),
)

stats_opt_outs = Table(
    "stats_opt_outs",
    metadata,
    Column("account_id", SurrogateKey, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("opted_out_at", UtcDateTime(), nullable=False),
)
