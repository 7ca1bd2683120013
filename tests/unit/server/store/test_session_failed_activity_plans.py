"""The session list's `has_failed_activities` filter and the tallies of a page never read every activity: the
sessions with a failed activity come from the failed activities' partial index while they are few (on SQLite,
read by pk and sorted: SQLite plans without statistics and would walk the whole order to find them), else the
list walks its order and tests each session by its own activities, as it does for the sessions without one.
PostgreSQL, with every other way made dear, must at least be able to read them from an index."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from promptwatch.server.store import search, session_order, session_queries
from promptwatch.server.store.accounts import create_account, ensure_project
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.session_queries import SORTS, SessionFilter
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database
from tests.unit.server.store.test_session_list_plans import twenty_sessions

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
OTHER_FILTERS = {
    "alone": {},
    "project": {"project_id": "p1"},
    "tenant": {"tenant": "acme"},
    "time range": {"since": NOW - timedelta(hours=1)},
    "session outcome": {"has_error": True},
}


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    yield from _stored("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def postgresql_store(tmp_path_factory):
    yield from _stored("postgresql", tmp_path_factory)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


def _stored(backend: str, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory.mktemp(f"failed-plans-{backend}")) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account = create_account(conn, "acme", NOW)
            project = ensure_project(conn, account, "p1", NOW)
            pks = conn.execute(sessions.insert().returning(sessions.c.pk), twenty_sessions(account, project)).scalars()
            conn.execute(
                activities.insert(),
                [
                    {
                        "account_id": account,
                        "session_pk": pk,
                        "id": f"a{pk}-{j}",
                        "activity_type": "llm-prompt",
                        "start_time": NOW,
                        "error": "RateLimitError" if (pk + j) % 9 == 0 else None,
                        "tokens_counted": False,
                        "updated_at": NOW,
                    }
                    for pk in pks
                    for j in range(3)
                ],
            )
        yield engine, account, project
        engine.dispose()


class Walking(search.SqliteMatch):
    """Walks the sessions in the list's order whatever the word: the text search's reads of that order."""

    def matches_up_to(self, cap: int) -> search.Matches | None:
        return None


def _statements(engine, read, wanted: str) -> list:
    """The statements `read(conn)` runs that hold `wanted`."""
    seen = []

    def listener(_conn, _cursor, sql, params, *_rest) -> None:
        if wanted in sql:
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        with engine.connect() as conn:
            read(conn)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert seen
    return seen


def _plan(engine, sql: str, params) -> str:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            return " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))


def _page_plans(engine, account: int, where: SessionFilter, sort: str) -> list[str]:
    """The plans of the statements that read one page of sessions in the list's order, first and next."""
    value = NOW if SORTS[sort][0].name == "start_time" else 0.1
    plans = []
    for after in (None, (value, 5)):

        def read(conn, after=after) -> None:
            session_queries.list_sessions(conn, account, where, 10, sort, after)

        plans += [_plan(engine, sql, params) for sql, params in _statements(engine, read, "ORDER BY")]
    return plans


def _where(filtered: str, project: int, **wanted) -> SessionFilter:
    filters = {name: project if value == "p1" else value for name, value in OTHER_FILTERS[filtered].items()}
    return SessionFilter(**filters, **wanted)


@pytest.mark.parametrize("searched", [False, True], ids=["list", "text search walk"])
@pytest.mark.parametrize("filtered", OTHER_FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_sqlite_reads_the_sessions_of_few_failed_activities_from_them(
    sqlite_store, sort, filtered, searched, monkeypatch
):
    engine, account, project = sqlite_store
    monkeypatch.setattr(search, "text_match", Walking)
    where = _where(filtered, project, has_failed_activities=True, q="x" if searched else None)
    for plan in _page_plans(engine, account, where, sort):
        assert "ix_activities_failed" in plan and "SEARCH sessions USING INTEGER PRIMARY KEY" in plan, plan
        assert "SCAN" not in plan, plan


@pytest.mark.parametrize("wanted", [True, False], ids=["with failed activities", "without"])
@pytest.mark.parametrize("filtered", OTHER_FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_postgresql_can_read_failed_activities_from_an_index(postgresql_store, sort, filtered, wanted):
    engine, account, project = postgresql_store
    for plan in _page_plans(engine, account, _where(filtered, project, has_failed_activities=wanted), sort):
        assert "Seq Scan on activities" not in plan, plan


@pytest.mark.parametrize("searched", [False, True], ids=["list", "text search walk"])
@pytest.mark.parametrize("filtered", OTHER_FILTERS)
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("wanted", [True, False], ids=["with failed activities, many", "without"])
def test_sqlite_walks_its_order_testing_each_session_by_its_own_activities(
    sqlite_store, sort, filtered, searched, wanted, monkeypatch
):
    """With as many failed activities as FEW_MARKED, or for the sessions without one. Time ranges as wide ones
    (of SORTED_RANGE sessions or more), whose order is read from its index."""
    engine, account, project = sqlite_store
    monkeypatch.setattr(search, "text_match", Walking)
    monkeypatch.setattr(session_order, "FEW_MARKED", 1)
    monkeypatch.setattr(session_order, "SORTED_RANGE", 1)
    where = _where(filtered, project, has_failed_activities=wanted, q="x" if searched else None)
    for plan in _page_plans(engine, account, where, sort):
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
        assert "INDEX ix_sessions_account" in plan and "ix_activities_session (session_pk=?)" in plan, plan


def test_a_page_s_tallies_read_its_sessions_activities_alone(store):
    engine, account, _ = store

    def read(conn) -> None:
        pks = [row["pk"] for row in session_queries.list_sessions(conn, account, SessionFilter(), 10, "newest", None)]
        assert session_queries.activity_tallies(conn, pks)

    for sql, params in _statements(engine, read, "GROUP BY"):
        plan = _plan(engine, sql, params)
        assert "ix_activities_session" in plan and "SCAN activities" not in plan and "Seq Scan" not in plan, plan
