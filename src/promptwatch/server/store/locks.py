"""Advisory locks on PostgreSQL: exactly one worker process runs a background job at a time, and processes that
start at once on one database take turns at creating its schema and its first account. SQLite is served by
one process, so there every lock is granted at once."""

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


def wait_for_lock(conn: Connection, name: str) -> None:
    """Take the named lock for the rest of `conn`'s transaction, waiting while another process holds it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id(name)})


@contextmanager
def holding(engine: Engine, name: str) -> Iterator[None]:
    """The named lock held while the block runs (its writes in transactions of their own), on a connection
    kept for it: the lock goes when the block ends, however it ends."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn, conn.begin():
        wait_for_lock(conn, name)
        yield
