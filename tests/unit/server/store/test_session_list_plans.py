"""The session list reads every order from an index, alone and within a project or a tenant: a page costs a
page's worth of sessions however many the account holds, and a rare project or tenant never makes it read a
whole order (SQLite plans without statistics, so its plan here is the one a large store gets). A wide time range
is read in the order too; a narrow one, on SQLite, from a start-time index and sorted. On PostgreSQL, whose
planner weighs statistics, an index must at least be able to give the cost and token orders with their pk
tie-break, as many sessions may tie there (at zero, say), within a time range as well."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from promptwatch.server.store import search, session_order, session_queries
from promptwatch.server.store.accounts import create_account, ensure_project
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.session_queries import SORTS, SessionFilter
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database

NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
# filter ("p1" stands for the project's id) -> what the index range must hold besides the account (None: the
# account alone will do)
FILTERS = {
    "none": ({}, None),
    "project": ({"project_id": "p1"}, ("project_id=?",)),
    "tenant": ({"tenant": "acme"}, ("tracking_tenant=?",)),
    "project and tenant": ({"project_id": "p1", "tenant": "acme"}, ("project_id=?", "tracking_tenant=?")),
    "has_error": ({"has_error": True}, None),
    "model": ({"model": "gpt-4o"}, None),
    "time range": ({"since": NOW - timedelta(hours=1)}, None),
    "project and time range": ({"project_id": "p1", "until": NOW + timedelta(hours=1)}, ("project_id=?",)),
}


@pytest.fixture(scope="module")
def postgres_store(tmp_path_factory):
    yield from _stored("postgresql", tmp_path_factory)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    yield from _stored("sqlite", tmp_path_factory)


def _stored(backend: str, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory.mktemp(f"plans-{backend}")) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account = create_account(conn, "acme", NOW)
            project = ensure_project(conn, account, "p1", NOW)
            conn.execute(sessions.insert(), twenty_sessions(account, project))
        yield engine, account, project
        engine.dispose()


def twenty_sessions(account: int, project: int) -> list[dict]:
    """Sessions of one project and tenant, a minute apart, with three costs and token counts among them."""
    return [
        {
            "account_id": account,
            "id": f"s{i}",
            "project_id": project,
            "tracking_tenant": "acme",
            "start_time": NOW - timedelta(minutes=i),
            "cost": i % 3 / 10,
            "total_tokens": i % 3 * 100,
            "source": "native",
            "updated_at": NOW,
        }
        for i in range(20)
    ]


def _where(filtered: str, project: int, q: str | None = None) -> SessionFilter:
    filters, _ = FILTERS[filtered]
    return SessionFilter(**{name: project if value == "p1" else value for name, value in filters.items()}, q=q)


def _list_statements(engine, account: int, where: SessionFilter, sort: str, after: tuple | None) -> list:
    """The statements that read sessions in the list's order for one page."""
    seen = []

    def listener(_conn, _cursor, sql, params, *_rest) -> None:
        seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        with engine.connect() as conn:
            session_queries.list_sessions(conn, account, where, 10, sort, after)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return [(sql, params) for sql, params in seen if "FROM sessions" in sql and "ORDER BY" in sql]


class Walking(search.SqliteMatch):
    """Walks the sessions in the list's order whatever the word: the text search's reads of that order."""

    def matches_up_to(self, cap: int) -> search.Matches | None:
        return None


@pytest.mark.parametrize("searched", [False, True], ids=["list", "text search walk"])
@pytest.mark.parametrize("filtered", FILTERS)
@pytest.mark.parametrize("sort", SORTS)
def test_sqlite_reads_each_order_from_an_index(sqlite_store, sort, filtered, searched, monkeypatch):
    """Time ranges as wide ones (of SORTED_RANGE sessions or more)."""
    engine, account, project = sqlite_store
    monkeypatch.setattr(search, "text_match", Walking)
    monkeypatch.setattr(session_order, "SORTED_RANGE", 1)
    where, bounds = _where(filtered, project, "x" if searched else None), FILTERS[filtered][1]
    value = NOW if SORTS[sort][0].name == "start_time" else 0.1
    for after in (None, (value, 5)):
        statements = _list_statements(engine, account, where, sort, after)
        assert statements
        with engine.connect() as conn:
            for sql, params in statements:
                plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                assert "TEMP B-TREE" not in plan, plan
                assert "SCAN sessions" not in plan, plan
                if bounds:
                    assert any(bound in plan for bound in bounds), plan


@pytest.mark.parametrize("searched", [False, True], ids=["list", "text search walk"])
@pytest.mark.parametrize("filtered", ["time range", "project and time range"])
@pytest.mark.parametrize("sort", ["cost", "tokens"])
def test_sqlite_sorts_a_narrow_time_range_read_from_a_start_time_index(
    sqlite_store, sort, filtered, searched, monkeypatch
):
    """Fewer sessions than SORTED_RANGE in the range: it is counted from a start-time index alone, then read
    from one and sorted."""
    engine, account, project = sqlite_store
    monkeypatch.setattr(search, "text_match", Walking)
    where = _where(filtered, project, "x" if searched else None)
    counted = []

    def listener(_conn, _cursor, sql, params, *_rest) -> None:
        if sql.startswith("SELECT count(*)") and "FROM sessions" in sql:
            counted.append((sql, params))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        statements = _list_statements(engine, account, where, sort, None)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert statements and len(counted) == 1
    with engine.connect() as conn:
        count_plan = " ".join(
            row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {counted[0][0]}", counted[0][1])
        )
        assert "COVERING INDEX" in count_plan and "start_time" in count_plan, count_plan
        for sql, params in statements:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "start_time" in plan and "SCAN sessions" not in plan, plan


@pytest.mark.parametrize("filtered", FILTERS)
@pytest.mark.parametrize("sort", ["cost", "tokens"])
def test_postgresql_gives_the_cost_and_token_orders_with_their_tie_break_from_an_index(postgres_store, sort, filtered):
    """With every other way made dear, the plan has no sort: an index holds the order and the pk after it."""
    engine, account, project = postgres_store
    where = _where(filtered, project)
    for after in (None, (0.1, 5)):
        for sql, params in _list_statements(engine, account, where, sort, after):
            with engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                conn.exec_driver_sql("SET LOCAL enable_sort = off")
                plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
            assert "Sort" not in plan, plan
