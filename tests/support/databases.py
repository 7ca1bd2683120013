"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per use.

PostgreSQL comes from PROMPTWATCH_TEST_POSTGRES_URL (default: the local server, database `test`).
Without it the PostgreSQL tests skip with a message, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ADMIN_URL = os.environ.get("PROMPTWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(_psycopg_dsn(ADMIN_URL), connect_timeout=3):
            return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def require_postgres() -> None:
    problem = postgres_available()
    if problem is None:
        return
    message = f"PostgreSQL is not reachable at {ADMIN_URL} ({problem})"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI must test on PostgreSQL", pytrace=False)
    pytest.skip(message + "; set PROMPTWATCH_TEST_POSTGRES_URL or run with --db sqlite")


@contextmanager
def fresh_database(backend: str, directory: Path):
    """Yield the SQLAlchemy URL of a new, empty database; PostgreSQL ones are dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'promptwatch.db'}"
        return
    require_postgres()
    import psycopg

    name = f"pw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_dsn(ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_psycopg_dsn(ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def current_store(backend: str, directory: Path):
    """Yield an engine on a new database migrated to the current schema, disposed of afterwards."""
    from promptwatch.server.store.engine import make_engine
    from promptwatch.server.store.schema_version import ensure_current

    with fresh_database(backend, directory) as url:
        engine = make_engine(url)
        ensure_current(engine, create_if_empty=True)
        yield engine
        engine.dispose()
