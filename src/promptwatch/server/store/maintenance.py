"""Engine-level housekeeping for the cleanup cycle: the physical purge after deletions, expired sandbox
accounts and old roll-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select, text

from .tables.accounts import accounts
from .tables.prompt_cache import cache_lookups
from .tables.usage import latency_hourly, usage_hourly


def expired_sandbox_accounts(conn: Connection, now: datetime) -> list[int]:
    query = select(accounts.c.id).where(
        accounts.c.kind == "sandbox", accounts.c.expires_at.is_not(None), accounts.c.expires_at <= now
    )
    return list(conn.execute(query).scalars())


def delete_aggregates_before(conn: Connection, account_id: int, project_id: int | None, before: datetime) -> int:
    """The hourly roll-ups before `before` (of one project's calls, when given); with the account's own policy
    (no project) also the daily cache lookup counts, which are kept per namespace, not per project."""
    removed = 0
    for table in (usage_hourly, latency_hourly):
        query = delete(table).where(table.c.account_id == account_id, table.c.hour < before)
        if project_id is not None:
            query = query.where(table.c.project_id == project_id)
        removed += conn.execute(query).rowcount
    if project_id is None:
        old_counts = delete(cache_lookups).where(cache_lookups.c.account_id == account_id, cache_lookups.c.day < before)
        removed += conn.execute(old_counts).rowcount
    return removed


def purge_engine_leftovers(engine: Engine, note: Callable[[str, int], None]) -> None:
    """SQLite: merge the full-text index (dropping deleted terms), checkpoint and truncate the WAL, vacuum.
    PostgreSQL: VACUUM, so dead rows and their index entries are gone."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO activity_search(activity_search) VALUES ('optimize')"))
        note("full-text index merged", 1)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        note("database vacuumed, WAL truncated", 1)
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    note("VACUUM", 1)
