"""Migrations run up and down on SQLite and PostgreSQL; start-up refuses an out-of-date schema."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store import session_queries
from promptwatch.server.store.bodies import encode_body
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import _config, current_revision, downgrade, head_revision, upgrade
from promptwatch.server.store.session_queries import SessionFilter
from promptwatch.server.store.tables import load_all
from promptwatch.server.store.tables.accounts import projects
from promptwatch.server.store.tables.activities import activities, activity_bodies
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)


def test_upgrade_downgrade_upgrade(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(load_all().tables) <= set(inspect(engine).get_table_names())
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        engine.dispose()


def test_the_start_up_check_agrees_with_alembic(backend, tmp_path):
    """The check reads revision ids without Alembic: it must name the same heads and current revisions."""
    script = ScriptDirectory.from_config(_config())
    assert head_revision() == ",".join(sorted(script.get_heads()))
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        for target in (*script.get_bases(), "heads"):
            upgrade(engine, target)
            with engine.connect() as conn:
                alembic_says = MigrationContext.configure(conn).get_current_heads()
            assert current_revision(engine) == (",".join(sorted(alembic_says)) or None)
        engine.dispose()


def test_up_refuses_an_out_of_date_schema(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM alembic_version")
            conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES ('0001')")  # an earlier one
        engine.dispose()
        result = subprocess.run(
            [sys.executable, "-m", "promptwatch.cli", "up", "--port", "1", "--data-dir", str(tmp_path)],
            env={"PROMPTWATCH_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "promptwatch db upgrade" in result.stderr


def test_migrations_create_exactly_what_the_tables_declare(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = [d for d in compare_metadata(context, load_all()) if "activity_search" not in str(d)]
        engine.dispose()
        assert diff == [], f"write a migration for: {diff}"


def test_a_downgrade_that_rebuilds_a_table_keeps_the_rows_that_reference_it(backend, tmp_path):
    """Undoing 0008 copies `activities` without two columns (SQLite alters a table by rebuilding it); the bodies
    that reference the activities must survive the old copy's drop."""
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            conn.execute(projects.insert(), {"account_id": account, "name": "p", "created_at": NOW})
            session_pk = conn.execute(
                sessions.insert().returning(sessions.c.pk),
                {"account_id": account, "id": "s", "start_time": NOW, "source": "native", "updated_at": NOW},
            ).scalar_one()
            activity_pk = conn.execute(
                activities.insert().returning(activities.c.pk),
                {
                    "account_id": account,
                    "session_pk": session_pk,
                    "id": "a",
                    "activity_type": "log",
                    "start_time": NOW,
                    "updated_at": NOW,
                },
            ).scalar_one()
            conn.execute(activity_bodies.insert(), {"activity_pk": activity_pk, "account_id": account, "body": b"x"})
        downgrade(engine, "0006_cache_lookup_index")
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(select(activity_bodies.c.activity_pk)).scalars().all() == [activity_pk]
            if backend == "sqlite":  # the keys are on again for the connections that follow
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        engine.dispose()


def test_postgresql_search_keeps_words_without_positions_and_0011_strips_older_rows(tmp_path):
    """Text search matches words and prefixes, never phrases: positions only made each index row larger."""
    from promptwatch.server.store import search

    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, "0010_session_sort_start_time")
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            conn.execute(
                sessions.insert(),
                {"account_id": account, "id": "s", "start_time": NOW, "updated_at": NOW, "source": "native"},
            )
            session_pk = conn.execute(select(sessions.c.pk)).scalar_one()
            for number in (1, 2):
                conn.execute(
                    activities.insert(),
                    {"account_id": account, "session_pk": session_pk, "id": f"a{number}", "activity_type": "log",
                     "start_time": NOW, "updated_at": NOW},
                )  # fmt: skip
            first, second = conn.execute(select(activities.c.pk).order_by(activities.c.pk)).scalars()
            conn.exec_driver_sql(
                "INSERT INTO activity_search VALUES (%(pk)s, %(account)s, to_tsvector('simple', 'refund the refund'))",
                {"pk": first, "account": account},
            )
        upgrade(engine)
        with engine.begin() as conn:
            search.index(conn, [(second, account, "refund the refund")])
            stored = conn.exec_driver_sql("SELECT tsv::text FROM activity_search ORDER BY activity_pk").scalars()
            assert list(stored) == ["'refund' 'the'", "'refund' 'the'"]
        engine.dispose()


def test_0012_indexes_older_rows_again_to_be_found_by_their_words_and_deleted_cleanly(backend, tmp_path):
    """Before 0012 the index held chat roles. SQLite removes a row by the text it was indexed with, which the
    store computes from the body with the rule of its time: after 0012 a chat stored before it is found by its
    words only and deleted without leaving words behind; the downgrade indexes with the old rule again."""
    from promptwatch.server.store import deletion

    stored = {  # body, and the text the store indexed it with before 0012
        "refund": (
            {"prompt": [{"role": "system", "text": "be terse"}, {"role": "user", "text": "refund my order"}]},
            "system\nbe terse\nuser\nrefund my order",
        ),
        "parcel": (
            {"prompt": [{"role": "user", "text": "track my parcel"}], "generated": "on its way"},
            "user\ntrack my parcel\non its way",
        ),
        "log": ({"text": "the system is down"}, "the system is down"),
    }
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, "0011_search_without_positions")
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            without_errors = {name: (None, body, indexed) for name, (body, indexed) in stored.items()}
            session_pks, activity_pks = stored_with_errors(conn, account, without_errors)
        upgrade(engine)
        with engine.begin() as conn:

            def found(q: str) -> set[int]:
                return sessions_found(conn, account, q)

            assert found("system") == {session_pks["log"]} and found("user") == set()
            assert found("refund") == {session_pks["refund"]} and found("parcel way") == {session_pks["parcel"]}
            deletion.delete_sessions(conn, account, [session_pks["refund"]], NOW)
            assert found("refund") == found("terse") == set()
            if backend == "sqlite":
                conn.exec_driver_sql("INSERT INTO activity_search(activity_search) VALUES ('integrity-check')")
                assert _sqlite_indexed_words(conn) == {"track", "my", "parcel", "on", "its", "way", "the", "system",
                                                       "is", "down"}  # fmt: skip
        downgrade(engine, "0011_search_without_positions")
        with engine.begin() as conn:
            assert _matching(conn, "user") == {activity_pks["parcel"]}
            if backend == "sqlite":  # removed as the store before 0012 removes a row: by the text it gives
                conn.exec_driver_sql(
                    "INSERT INTO activity_search(activity_search, rowid, body) VALUES ('delete', ?, ?)",
                    (activity_pks["parcel"], stored["parcel"][1]),
                )
                conn.exec_driver_sql("INSERT INTO activity_search(activity_search) VALUES ('integrity-check')")
                assert _sqlite_indexed_words(conn) == {"the", "system", "is", "down"}
        engine.dispose()


def _index_as_before_0012(conn, pk: int, account: int, indexed: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO activity_search(rowid, body) VALUES (?, ?)", (pk, indexed))
    else:
        conn.exec_driver_sql(
            "INSERT INTO activity_search VALUES (%(pk)s, %(account)s, strip(to_tsvector('simple', %(text)s)))",
            {"pk": pk, "account": account, "text": indexed},
        )


def stored_with_errors(conn, account: int, stored: dict) -> tuple[dict, dict]:
    """A session of one `log` activity for each of `stored`'s names, each `(error, body, indexed text)`: the body
    stored (None: an encrypted one) and, unless the text is empty, indexed with that text as the store did
    before 0012. Returns ({name: session pk}, {name: activity pk})."""
    session_pks, activity_pks = {}, {}
    for name, (error, body, indexed) in stored.items():
        session_pks[name] = conn.execute(
            sessions.insert().returning(sessions.c.pk),
            {"account_id": account, "id": name, "start_time": NOW, "updated_at": NOW, "source": "native"},
        ).scalar_one()
        activity_pks[name] = pk = conn.execute(
            activities.insert().returning(activities.c.pk),
            {"account_id": account, "session_pk": session_pks[name], "id": name, "activity_type": "log",
             "start_time": NOW, "updated_at": NOW, "error": error},
        ).scalar_one()  # fmt: skip
        blob = b"\x01sealed" if body is None else encode_body(body)
        conn.execute(activity_bodies.insert(), {"activity_pk": pk, "account_id": account, "body": blob})
        if indexed:
            _index_as_before_0012(conn, pk, account, indexed)
    return session_pks, activity_pks


def sessions_found(conn, account: int, q: str) -> set[int]:
    """The pks of the sessions the session list's text search finds."""
    rows = session_queries.list_sessions(conn, account, SessionFilter(q=q), 50, "newest", None)
    return {row["pk"] for row in rows}


def _matching(conn, word: str) -> set[int]:
    """The activities the index holds `word` for, read from the index alone."""
    if conn.dialect.name == "sqlite":
        query = "SELECT rowid FROM activity_search WHERE activity_search MATCH ?"
        return set(conn.exec_driver_sql(query, (word,)).scalars())
    query = "SELECT activity_pk FROM activity_search WHERE tsv @@ to_tsquery('simple', %(word)s)"
    return set(conn.exec_driver_sql(query, {"word": word}).scalars())


def _sqlite_indexed_words(conn) -> set[str]:
    """Every word SQLite's index holds for some row: a row removed by other text than it was indexed with
    leaves words behind, which FTS5's integrity-check cannot see in a contentless table (no text to compare)."""
    conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, activity_search, row)")
    words = set(conn.exec_driver_sql("SELECT term FROM temp.terms").scalars())
    conn.exec_driver_sql("DROP TABLE temp.terms")
    return words


def test_0013_counts_the_stored_unpriced_calls_into_the_roll_ups(backend, tmp_path):
    """Calls stored before 0013 (here: written at head, then the column dropped by the downgrade) are counted
    into the roll-up rows they are in: with tokens and no price, not a priced call, an open one or a refused
    one (no tokens)."""
    from promptwatch.server.store.ingest_writer import write_batch
    from promptwatch.server.store.tables.usage import usage_hourly

    def call(aid: str, model: str, **fields) -> dict:
        record = {"id": aid, "session_id": "s", "activity_type": "llm-prompt", "start_time": NOW, "end_time": NOW}
        return {**record, "model": model, "total_tokens": 10, "body_blob": b"{}", "search_text": "", **fields}

    calls = [
        call("unpriced-1", "in-house"),
        call("unpriced-2", "in-house"),
        call("priced", "gpt-4o", cost=0.01),
        call("open", "in-house", end_time=None),
        call("refused", "in-house", total_tokens=None),
    ]
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
            write_batch(conn, account, [{"id": "s", "project": "p", "start_time": NOW}], calls, NOW)

        def unpriced() -> dict[str, int]:
            with engine.connect() as conn:
                rows = conn.execute(select(usage_hourly.c.model, usage_hourly.c.unpriced_calls)).all()
            return dict(rows)

        assert unpriced() == {"in-house": 2, "gpt-4o": 0}
        downgrade(engine, "0012_search_words_only")
        upgrade(engine)
        assert unpriced() == {"in-house": 2, "gpt-4o": 0}
        engine.dispose()
