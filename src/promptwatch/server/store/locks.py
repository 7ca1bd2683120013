"""Advisory locks for background jobs: on PostgreSQL exactly one worker process runs a job at a time;
SQLite is served by one process, so there the lock is always granted."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text


def lock_id(name: str) -> int:
    return zlib.crc32(f"promptwatch:{name}".encode())


def try_job_lock(conn: Connection, name: str) -> bool:
    """Take the job's lock for the rest of `conn`'s transaction; False when another worker holds it."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id(name)}).scalar())


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write. On SQLite it takes the write lock first (waiting up to busy_timeout),
    so a read followed by a write never fails with 'database is locked' when another writer got between."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("UPDATE rate_limits SET hits = hits WHERE 0"))
        yield conn
