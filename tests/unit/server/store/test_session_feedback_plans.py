"""The session list's `feedback` filter reads as `has_failed_activities` does: the sessions with a call given
feedback come from those calls' partial index while they are few (on SQLite, read by pk and sorted), else the
list walks its order and tests each session by its own activities. And the list's capped count
(`count_sessions`) agrees with the list it counts, and reads no more than it counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from promptwatch.server.store import search, session_order, session_queries
from promptwatch.server.store.accounts import create_account, ensure_project
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.session_queries import SORTS, SessionFilter
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database
from tests.unit.server.store.test_session_failed_activity_plans import (
    NOW,
    OTHER_FILTERS,
    Walking,
    _page_plans,
    _plan,
    _statements,
    _where,
)
from tests.unit.server.store.test_session_list_plans import twenty_sessions

FEEDBACK = ("up", "down", "any")
LABELS = {0: 1, 1: 0, 2: 7}  # the label of a session's calls by pk % 5 (others have none): up, down, a label of its own


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
    """Twenty sessions of three calls each; a call given a thumbs up, down or a label of its own in some, and a
    failed call in some; and another account with a thumbs up in each of its sessions."""
    with fresh_database(backend, tmp_path_factory.mktemp(f"feedback-plans-{backend}")) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account = create_account(conn, "acme", NOW)
            other = create_account(conn, "globex", NOW)
            project = ensure_project(conn, account, "p1", NOW)
            rows = [*twenty_sessions(account, project), *twenty_sessions(other, ensure_project(conn, other, "p1", NOW))]
            pks = conn.execute(sessions.insert().returning(sessions.c.pk, sessions.c.account_id), rows).all()
            conn.execute(
                activities.insert(),
                [
                    {
                        "account_id": owner,
                        "session_pk": pk,
                        "id": f"a{pk}-{j}",
                        "activity_type": "llm-prompt",
                        "start_time": NOW,
                        "error": "RateLimitError" if (pk + j) % 4 == 0 else None,
                        "feedback_label": (LABELS.get(pk % 5) if owner == account else 1) if j == 1 else None,
                        "tokens_counted": False,
                        "updated_at": NOW,
                    }
                    for pk, owner in pks
                    for j in range(3)
                ],
            )
        yield engine, account, project
        engine.dispose()


@pytest.mark.parametrize("searched", [False, True], ids=["list", "text search walk"])
@pytest.mark.parametrize("filtered", OTHER_FILTERS)
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("feedback", FEEDBACK)
def test_sqlite_reads_the_sessions_of_few_rated_calls_from_them(
    sqlite_store, feedback, sort, filtered, searched, monkeypatch
):
    engine, account, project = sqlite_store
    monkeypatch.setattr(search, "text_match", Walking)
    where = _where(filtered, project, feedback=feedback, q="x" if searched else None)
    for plan in _page_plans(engine, account, where, sort):
        assert "ix_activities_feedback" in plan and "SEARCH sessions USING INTEGER PRIMARY KEY" in plan, plan
        assert "SCAN" not in plan, plan


@pytest.mark.parametrize("searched", [False, True], ids=["list", "text search walk"])
@pytest.mark.parametrize("filtered", OTHER_FILTERS)
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("feedback", FEEDBACK)
def test_sqlite_walks_its_order_when_many_calls_are_rated(
    sqlite_store, feedback, sort, filtered, searched, monkeypatch
):
    """With as many rated calls as FEW_MARKED; time ranges as wide ones, whose order is read from its index."""
    engine, account, project = sqlite_store
    monkeypatch.setattr(search, "text_match", Walking)
    monkeypatch.setattr(session_order, "FEW_MARKED", 1)
    monkeypatch.setattr(session_order, "SORTED_RANGE", 1)
    where = _where(filtered, project, feedback=feedback, q="x" if searched else None)
    for plan in _page_plans(engine, account, where, sort):
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
        assert "INDEX ix_sessions_account" in plan and "ix_activities_session (session_pk=?)" in plan, plan


@pytest.mark.parametrize("filtered", OTHER_FILTERS)
@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("feedback", FEEDBACK)
def test_postgresql_can_read_rated_calls_from_an_index(postgresql_store, feedback, sort, filtered):
    engine, account, project = postgresql_store
    for plan in _page_plans(engine, account, _where(filtered, project, feedback=feedback), sort):
        assert "Seq Scan on activities" not in plan, plan


COUNTED = {
    "all": {},
    "thumbs up": {"feedback": "up"},
    "thumbs down, failed": {"feedback": "down", "has_failed_activities": True},
    "any feedback, none failed, tenant": {"feedback": "any", "has_failed_activities": False, "tenant": "acme"},
    "failed, time range": {"has_failed_activities": True, "since": NOW - timedelta(minutes=9)},
    "project, outcome, any feedback": {"project_id": "p1", "has_error": False, "feedback": "any"},
}


def _counted(name: str, project: int) -> SessionFilter:
    return SessionFilter(**{key: project if value == "p1" else value for key, value in COUNTED[name].items()})


@pytest.mark.parametrize("few", [True, False], ids=["few marked calls", "many"])
@pytest.mark.parametrize("filtered", COUNTED)
def test_the_count_is_the_list_s_length_up_to_its_cap(store, filtered, few, monkeypatch):
    engine, account, project = store
    if not few:
        monkeypatch.setattr(session_order, "FEW_MARKED", 1)
    where = _counted(filtered, project)
    with engine.connect() as conn:
        listed = session_queries.list_sessions(conn, account, where, 100, "newest", None)
        assert 1 < len(listed) <= 20, filtered  # the other account's sessions are not this one's
        for cap in (1, len(listed) - 1, len(listed), 100):
            assert session_queries.count_sessions(conn, account, where, cap) == min(cap, len(listed)), cap


@pytest.mark.parametrize("filtered", COUNTED)
def test_sqlite_counts_from_the_indexes_the_list_reads(sqlite_store, filtered):
    engine, account, project = sqlite_store
    where = _counted(filtered, project)

    def read(conn) -> None:
        session_queries.count_sessions(conn, account, where, 10)

    counts = [(sql, params) for sql, params in _statements(engine, read, "count(") if "FROM sessions" in sql]
    assert len(counts) == 1, counts
    for sql, params in counts:
        plan = _plan(engine, sql, params)
        assert "SCAN sessions" not in plan and "SCAN activities" not in plan, plan
        if where.feedback:
            assert "ix_activities_feedback" in plan, plan
