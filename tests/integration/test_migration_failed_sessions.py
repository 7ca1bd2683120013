"""Migration 0019 flags the stored sessions that hold an activity with an error, on SQLite and PostgreSQL, and
leaves every other session as it was."""

from __future__ import annotations

from sqlalchemy import select

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database

from .test_migrations import NOW, stored_with_errors

BEFORE = "0017_search_cjk_bigrams"
STORED = {"failed": ("TimeoutError: slow", {}, ""), "fine": (None, {"text": "all good"}, "")}


def test_0019_flags_the_sessions_holding_a_failed_activity(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, BEFORE)
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            session_pks, _ = stored_with_errors(conn, account, STORED)
        upgrade(engine)
        with engine.begin() as conn:
            flags = dict(conn.execute(select(sessions.c.pk, sessions.c.is_error)).all())
        assert flags == {session_pks["failed"]: True, session_pks["fine"]: False}
        engine.dispose()
