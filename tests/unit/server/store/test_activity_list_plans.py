"""The list of activities finds failed calls and thumbs from their own partial indexes, in its order: a page of
them costs a page's worth of rows however many activities the account holds without an error or a thumbs
(SQLite plans without statistics, so its plan here is the one a large store gets; PostgreSQL, with every other
way made dear, must at least be able to use them)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from promptwatch.server.store import activity_queries
from promptwatch.server.store.accounts import create_account
from promptwatch.server.store.activity_queries import ActivityFilter
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
# filter -> the index that must drive the page
FILTERS = {
    "failed": (ActivityFilter(has_error=True), "ix_activities_failed"),
    "failed LLM calls of a model": (
        ActivityFilter(has_error=True, activity_type="llm-prompt", model="gpt-4o"),
        "ix_activities_failed",
    ),
    "thumbs down": (ActivityFilter(feedback="down"), "ix_activities_feedback"),
    "thumbs up, LLM calls": (ActivityFilter(feedback="up", activity_type="llm-prompt"), "ix_activities_feedback"),
    "thumbs up, failed": (ActivityFilter(feedback="up", has_error=True), "ix_activities_"),
    "not failed": (ActivityFilter(has_error=False), "ix_activities_account_start"),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request, tmp_path_factory):
    with fresh_database(request.param, tmp_path_factory.mktemp(f"activity-plans-{request.param}")) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account = create_account(conn, "acme", NOW)
            session_pk = conn.execute(
                sessions.insert().returning(sessions.c.pk),
                {"account_id": account, "id": "s1", "start_time": NOW, "source": "native", "updated_at": NOW},
            ).scalar_one()
            conn.execute(
                activities.insert(),
                [
                    {
                        "account_id": account,
                        "session_pk": session_pk,
                        "id": f"a{i}",
                        "activity_type": "llm-prompt",
                        "model": "gpt-4o",
                        "start_time": NOW - timedelta(seconds=i),
                        "error": "RateLimitError" if i % 7 == 0 else None,
                        "feedback_label": i % 2 if i % 5 == 0 else None,
                        "tokens_counted": False,
                        "updated_at": NOW,
                    }
                    for i in range(40)
                ],
            )
        yield engine, account
        engine.dispose()


def _page_statements(engine, account: int, where: ActivityFilter, after: tuple | None) -> list:
    seen = []

    def listener(_conn, _cursor, sql, params, *_rest) -> None:
        if "FROM activities" in sql and "ORDER BY" in sql:
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        with engine.connect() as conn:
            rows = activity_queries.list_activities(conn, account, where, 5, after)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert rows and len(seen) == 1
    return seen


@pytest.mark.parametrize("filtered", FILTERS)
def test_failed_calls_and_thumbs_are_read_from_their_own_index(store, filtered):
    engine, account = store
    where, index = FILTERS[filtered]
    for after in (None, (NOW - timedelta(seconds=10), 30)):
        for sql, params in _page_statements(engine, account, where, after):
            with engine.begin() as conn:
                if engine.dialect.name == "sqlite":
                    plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                    assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
                else:
                    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                    conn.exec_driver_sql("SET LOCAL enable_sort = off")
                    plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
                    if index == "ix_activities_account_start":
                        continue  # PostgreSQL may read the failed calls' index for the others too: no claim
            assert index in plan, plan
