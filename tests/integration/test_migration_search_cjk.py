"""Migration 0017 indexes the stored activities whose text holds Chinese or Japanese again, as pairs of
neighbouring characters, on SQLite and PostgreSQL; what it indexed is deleted cleanly, and its downgrade
leaves the index as the store before it removes rows."""

from __future__ import annotations

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store import deletion
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import downgrade, upgrade
from tests.support.databases import fresh_database

from .test_migrations import NOW, _matching, _sqlite_indexed_words, sessions_found, stored_with_errors

BEFORE = "0016_failed_and_feedback_indexes"
STORED = {  # error, body, and the text the store indexed it with before 0017 (a run of characters one word)
    "tokyo": (None, {"prompt": [{"role": "user", "text": "我住在东京大学附近"}]}, "我住在东京大学附近"),
    "tower": ("タイムアウト: 東京", {"text": "東京タワーに行きたい"}, "タイムアウト: 東京\n東京タワーに行きたい"),
    "gpt": (None, {"text": "GPT模型"}, "GPT模型"),
    "down": (None, {"text": "the system is down"}, "the system is down"),
    "sealed": ("東京", None, ""),  # an encrypted body is never indexed
}
TOWER_BEFORE = {"タイムアウト", "東京", "東京タワーに行きたい"}
ERROR_PAIRS = {"タイ", "イム", "ムア", "アウ", "ウト", "ト", "東京", "京"}
TOWER_PAIRS = ERROR_PAIRS | {"東京", "京タ", "タワ", "ワー", "ーに", "に行", "行き", "きた", "たい", "い"}
DOWN = {"the", "system", "is", "down"}


def test_0017_indexes_chinese_and_japanese_again_as_pairs_and_they_are_deleted_cleanly(backend, tmp_path):
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

            for q in ("东京", "东京大学", "大学附近", "近"):
                assert found(q) == {session_pks["tokyo"]}, q
            for q in ("東京", "タワー", "タイムアウト", "行きたい"):
                assert found(q) == {session_pks["tower"]}, q
            assert found("模型") == found("GPT") == found("gpt模型") == {session_pks["gpt"]}
            assert found("system") == {session_pks["down"]} and found("京都") == set()
            assert _matching(conn, "我住在东京大学附近") == set()  # the whole run is no longer a word
            deletion.delete_sessions(conn, account, [session_pks[name] for name in ("tokyo", "gpt", "sealed")], NOW)
            assert found("东京") == found("模型") == found("GPT") == set()
            if backend == "sqlite":  # a row removed by other text than it was indexed with leaves words behind
                assert _sqlite_indexed_words(conn) == TOWER_PAIRS | DOWN
        downgrade(engine, BEFORE)
        with engine.begin() as conn:
            assert _matching(conn, "タワ") == set()
            assert _matching(conn, "東京タワーに行きたい") == {activity_pks["tower"]}
            if backend == "sqlite":
                assert _sqlite_indexed_words(conn) == TOWER_BEFORE | DOWN
        upgrade(engine)
        with engine.begin() as conn:
            assert _matching(conn, "タワ") == {activity_pks["tower"]}
            assert _matching(conn, "東京タワーに行きたい") == set()
        engine.dispose()
