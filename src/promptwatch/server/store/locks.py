"""Advisory locks for background jobs: on PostgreSQL exactly one worker process runs a job at a time;
SQLite is served by one process, so there the lock is always granted."""

from __future__ import annotations

import zlib

from sqlalchemy import Connection, text


def lock_id(name: str) -> int:
    return zlib.crc32(f"promptwatch:{name}".encode())


def try_job_lock(conn: Connection, name: str) -> bool:
    """Take the job's lock for the rest of `conn`'s transaction; False when another worker holds it."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id(name)}).scalar())
