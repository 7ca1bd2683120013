"""The session list's count (`count_sessions`, the API's `total`) gives as many sessions as a brute-force reading
of the store, up to its cap, with and without text search: on SQLite whether the count is read from every match
or by walking the list's order to the cap, on PostgreSQL by either of its routes. The store is the text search's
(`test_session_search`): start times against pks, late activities, another account with the same words."""

from __future__ import annotations

import pytest

from promptwatch.server.store import search, session_queries, session_search
from promptwatch.server.store.session_queries import SessionFilter
from tests.unit.server.store.test_session_search import (
    POSTGRES_ROUTES,
    QUERIES,
    RARE,
    Store,
    _expected,
    _filters,
    _stored,
)


@pytest.fixture(scope="module")
def store(backend, tmp_path_factory):
    yield from _stored(backend, tmp_path_factory)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    yield from _stored("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def postgres_store(tmp_path_factory):
    yield from _stored("postgresql", tmp_path_factory)


def _check_every_count(store: Store, queries=(None, *QUERIES)) -> None:
    account = store.accounts[0]
    with store.engine.connect() as conn:
        for q in queries:
            for extra in _filters(store):
                where = SessionFilter(q=q, **extra)
                expected = len(_expected(store, account, where, "newest"))
                for cap in {1, max(expected - 1, 1), expected + 1, 10**6}:
                    counted = session_queries.count_sessions(conn, account, where, cap)
                    assert counted == min(cap, expected), (q, extra, cap)


def test_counts_equal_brute_force(store):
    _check_every_count(store)


@pytest.mark.parametrize("per_counted", [0, 10**6], ids=["walking to the cap", "from every match"])
def test_each_sqlite_count_route_equals_brute_force(sqlite_store, per_counted, monkeypatch):
    """Every match is read while they are at most MATCHES_PER_COUNTED per session the count may reach."""
    monkeypatch.setattr(session_search, "MATCHES_PER_COUNTED", per_counted)
    _check_every_count(sqlite_store, ("apple", "banana cherry", RARE, "Ban CHE", "zucchini"))


@pytest.mark.parametrize("route", POSTGRES_ROUTES)
def test_each_postgresql_count_route_equals_brute_force(postgres_store, route, monkeypatch):
    common, few = POSTGRES_ROUTES[route]
    monkeypatch.setattr(search, "_common_words", lambda _conn: search._CommonWords(common, 0.0))
    monkeypatch.setattr(search.PostgresMatch, "FEW_MATCHES", few)
    _check_every_count(postgres_store, ("apple", "banana cherry", RARE, "Ban CHE", "zucchini"))
