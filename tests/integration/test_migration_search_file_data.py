"""Migration 0020 indexes again the stored activities whose messages carry file data or a reasoning item's
encrypted content, leaving those values out, on SQLite and PostgreSQL; what it indexed is deleted cleanly, and
its downgrade leaves the index as the store before it removes rows."""

from __future__ import annotations

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store import deletion
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import downgrade, upgrade
from tests.support.databases import fresh_database

from .test_migrations import NOW, _matching, _sqlite_indexed_words, sessions_found, stored_with_errors

BEFORE = "0017_search_cjk_bigrams"
PDF = "JVBERi0xLjcK" * 2000  # base64 of a file, longer than the index takes of an activity
FILE_PART = {"type": "file", "file": {"filename": "a.pdf", "file_data": PDF}}
STORED = {  # error, body, and the text the store indexed it with before 0020 (the file's data first)
    "contract": (
        None,
        {"prompt": [{"role": "user", "content": [FILE_PART]}], "generated": "contract"},
        ("a.pdf\n" + PDF)[:20_000],  # the file's name and data before the reply
    ),
    "down": (None, {"text": "the system is down"}, "the system is down"),
}
DOWN = {"the", "system", "is", "down"}


def test_0020_indexes_again_without_file_data_and_the_rows_are_deleted_cleanly(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, BEFORE)
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            session_pks, _activity_pks = stored_with_errors(conn, account, STORED)
            assert sessions_found(conn, account, "contract") == set()  # crowded out by the file's data
        upgrade(engine)
        with engine.begin() as conn:
            assert sessions_found(conn, account, "contract") == {session_pks["contract"]}
            assert sessions_found(conn, account, "system") == {session_pks["down"]}
            if backend == "sqlite":  # the file's data is out of the index
                assert _sqlite_indexed_words(conn) == {"contract"} | DOWN
        downgrade(engine, BEFORE)
        with engine.begin() as conn:
            assert _matching(conn, "contract") == set()
            if backend == "sqlite":
                assert "contract" not in _sqlite_indexed_words(conn) and len(_sqlite_indexed_words(conn)) > len(DOWN)
        upgrade(engine)
        with engine.begin() as conn:
            deletion.delete_sessions(conn, account, [session_pks["contract"]], NOW)
            assert sessions_found(conn, account, "contract") == set()
            if backend == "sqlite":  # a row removed by other text than it was indexed with leaves words behind
                assert _sqlite_indexed_words(conn) == DOWN
        engine.dispose()
