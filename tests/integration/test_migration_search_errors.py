"""Migration 0015 indexes the stored activities that have an error again, with their error's words, on SQLite
and PostgreSQL; what it indexed is deleted cleanly, and its downgrade leaves the index as the store before it
removes rows."""

from __future__ import annotations

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store import deletion
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import downgrade, upgrade
from tests.support.databases import fresh_database

from .test_migrations import NOW, _matching, _sqlite_indexed_words, sessions_found, stored_with_errors

BEFORE = "0014_activity_time_index"
RECORDED = {"name": "exception", "attributes": {"exception.type": "openai.RateLimitError", "exception.message": "429"}}
STORED = {  # error, body, and the text the store indexed it with before 0015 (its body's words alone)
    "refund": (
        "upstream refused",
        {"prompt": [{"role": "user", "text": "refund my order"}], "metadata": {"otel": {"events": [RECORDED]}}},
        "refund my order",
    ),
    "slow": ("TimeoutError: slow", {}, ""),  # no words before: not in the index
    "down": (None, {"text": "the system is down"}, "the system is down"),
    "sealed": ("KeyError: sealed", None, ""),  # an encrypted body is never indexed
}


def test_0015_indexes_the_activities_with_an_error_again_and_they_are_deleted_cleanly(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, BEFORE)
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            session_pks, activity_pks = stored_with_errors(conn, account, STORED)
        upgrade(engine)
        with engine.begin() as conn:

            def found(q: str) -> set[int]:
                return sessions_found(conn, account, q)

            for q in ("refused", "RateLimitError", "openai.RateLimitError", "429 refund"):
                assert found(q) == {session_pks["refund"]}, q
            assert found("TimeoutError") == {session_pks["slow"]} and found("system") == {session_pks["down"]}
            assert found("sealed") == set()
            deletion.delete_sessions(conn, account, [session_pks["refund"], session_pks["sealed"]], NOW)
            assert found("refused") == found("RateLimitError") == found("refund") == set()
            if backend == "sqlite":  # a row removed by other text than it was indexed with leaves words behind
                assert _sqlite_indexed_words(conn) == {"timeouterror", "slow", "the", "system", "is", "down"}
        downgrade(engine, BEFORE)
        with engine.begin() as conn:
            assert _matching(conn, "timeouterror") == set() and _matching(conn, "system") == {activity_pks["down"]}
            if backend == "sqlite":
                assert _sqlite_indexed_words(conn) == {"the", "system", "is", "down"}
        upgrade(engine)
        with engine.begin() as conn:
            assert _matching(conn, "timeouterror") == {activity_pks["slow"]}
        engine.dispose()
