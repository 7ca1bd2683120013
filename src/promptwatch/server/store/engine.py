"""Creating the SQLAlchemy engine: SQLite in WAL mode with secure_delete, or PostgreSQL with a connect timeout.

No engine puts stored values in its errors, which end up in logs: bound parameters are hidden
(`hide_parameters`), and PostgreSQL's detail of a refused value, which repeats it (`Key (email)=(...) already
exists`, `Failing row contains (...)`: the whole row), is left out of the message (it stays in `orig.diag`)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MethodType

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.pool import NullPool

CONNECT_TIMEOUT_SECONDS = 10  # the default of PROMPTWATCH_DATABASE_CONNECT_TIMEOUT_SECONDS


def make_engine(url: str, connect_timeout_seconds: int = CONNECT_TIMEOUT_SECONDS) -> Engine:
    """The engine of the database at `url`. A PostgreSQL server that takes no connection within
    `connect_timeout_seconds` (down, or behind a network that accepts and never answers) is an error, not a
    wait of minutes; a `connect_timeout` in the URL comes first."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        _bind_none_and_bytes_directly()
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        engine.begin = MethodType(_begin_immediate, engine)  # engine.connect() stays a deferred reader
        return engine
    # JSON read back as orjson reads a request body (an integer beyond 64 bits is a float), so that every
    # stored value can be answered again: JSONB keeps 1.2e29 as a 30-digit integer, which no response holds
    return _postgresql_engine(
        parsed,
        connect_timeout_seconds,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        json_deserializer=orjson.loads,
    )


def _postgresql_engine(url: URL, connect_timeout_seconds: int, **options) -> Engine:
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": connect_timeout_seconds}
    engine = create_engine(url, connect_args=connect_args, hide_parameters=True, **options)
    event.listen(engine, "handle_error", _without_refused_values)
    return engine


def _without_refused_values(context: ExceptionContext) -> None:
    """A value PostgreSQL refuses (a data exception, class 22, or a constraint, class 23) keeps the first line
    of its message, without the DETAIL that repeats stored values; a data exception's first line quotes the value
    it could not read (`invalid input syntax for type integer: "…"`), which it keeps without it."""
    error = context.original_exception
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate[:2] not in ("22", "23") or not error.args:
        return
    full = str(error)
    first = full.split("\n", 1)[0]
    if sqlstate[:2] == "22" and '"' in first:  # the value: from the first quote to the last
        before, _, rest = first.partition('"')
        after = rest.rpartition('"')[2] if '"' in rest else ""
        first = f'{before}"…"{after}'
    if first == full:
        return
    error.args = (first,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and wrapped.args:
        wrapped.args = (str(wrapped.args[0]).replace(full, first), *wrapped.args[1:])


@contextmanager
def probing(engine: Engine, timeout_seconds: int) -> Iterator[Engine]:
    """An engine on `engine`'s database for a check that must answer within a few times `timeout_seconds`
    (readiness): on PostgreSQL its connections are new ones, made within the timeout (a pooled connection,
    through a network that stalled, can wait for ever for its reply), and the server cancels each statement
    past the timeout. On SQLite, `engine` itself."""
    if engine.dialect.name != "postgresql":
        yield engine
        return
    probe = _postgresql_engine(engine.url, timeout_seconds, poolclass=NullPool)
    event.listen(probe, "begin", lambda conn: _statement_timeout(conn, timeout_seconds))
    try:
        yield probe
    finally:
        probe.dispose()


def _statement_timeout(connection: Connection, seconds: int) -> None:
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")


def _bind_none_and_bytes_directly() -> None:
    """Python's sqlite3 binds an int, float or str as it is, but looks any other value up in its adapter
    registry first, and a miss raises and discards an exception inside: about 0.4 µs. None and bytes are a
    third of what the writer binds, so they get adapters that return them unchanged (sqlite3 then binds them
    as NULL and as a blob, as before). The registry is the process's: other users of sqlite3 see the same."""
    sqlite3.register_adapter(type(None), _unchanged)
    sqlite3.register_adapter(bytes, _unchanged)


def _unchanged(value):
    return value


WAL_KEPT_BYTES = 64 * 2**20  # what a write-ahead log started over keeps of its file
WAL_RESTART_BYTES = 2 * WAL_KEPT_BYTES  # past this, `restart_long_wal` starts the log over
WAL_RESTART_WAIT_MS = 100
BUSY_TIMEOUT_MS = 30_000


def restart_long_wal(engine: Engine, limit: int = WAL_RESTART_BYTES) -> None:
    """SQLite's automatic checkpoints copy the write-ahead log into the database after a commit, but the log
    starts over only when no reader is reading from it at that moment. Under steady ingest some request is
    always reading, so it never did: the log grew to 8.9 GB over a million activities, and every read
    searches it. Past `limit` a RESTART checkpoint waits for the log's readers (each a request's
    short read) so that the next commit writes from its start, and the file is cut to WAL_KEPT_BYTES. The
    batch writer calls this at most once a second; a stat of the file is all it costs below the limit. A reader
    that holds the log longer (an export) makes it give up after WAL_RESTART_WAIT_MS, to try again later."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    try:
        size = os.stat(f"{engine.url.database}-wal").st_size
    except OSError:
        return
    if size > limit:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={WAL_RESTART_WAIT_MS}")  # a long reader: try again later
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(RESTART)")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """A writer that reads first must hold the write lock from the start: a deferred transaction that
    upgrades after another writer committed fails at once with "database is locked" instead of waiting."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":  # VACUUM and friends run outside transactions
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_immediate") else "BEGIN")


def _begin_immediate(engine: Engine):
    """`engine.begin()` on SQLite: a transaction meant to write takes the write lock at BEGIN."""
    return Engine.begin(engine.execution_options(sqlite_immediate=True))


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction whose statements all see one moment, so that what several queries read agrees
    (a session's totals and its activities) while the writer commits: a deferred BEGIN on SQLite, REPEATABLE
    READ on PostgreSQL (its default gives each statement a moment of its own)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
