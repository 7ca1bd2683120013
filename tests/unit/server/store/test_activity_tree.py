"""A session's activity tree as every reader walks it: an activity whose parent is not in the session is a
root, and a parent cycle is cut at its member that comes first in the session's order, whatever hangs off
the cycle staying under its parent; the deletion of an activity takes what is under it in that tree."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.deletion import activity_subtree
from promptwatch.server.store.session_detail import shown_parents
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import current_store

NOW = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


def rows(*pairs: tuple[str, str | None]) -> list[dict]:
    """Activities in the session's order, as (id, parent id)."""
    return [{"id": aid, "parent_activity_id": parent} for aid, parent in pairs]


def test_unknown_parents_are_roots_and_known_ones_are_kept():
    found = shown_parents(rows(("child", "root"), ("root", None), ("orphan", "not-sent-yet")))
    assert found == {"child": "root", "root": None, "orphan": None}


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("a", "a")], {"a": None}),
        ([("a", "b"), ("b", "a")], {"a": None, "b": "a"}),
        ([("b", "a"), ("a", "b")], {"b": None, "a": "b"}),
        ([("a", "c"), ("b", "a"), ("c", "b")], {"a": None, "b": "a", "c": "b"}),
        ([("c", "b"), ("b", "a"), ("a", "c")], {"c": None, "b": "a", "a": "c"}),
    ],
)
def test_a_cycle_is_cut_at_its_first_member_in_the_sessions_order(pairs, expected):
    assert shown_parents(rows(*pairs)) == expected


def test_what_hangs_off_a_cycle_stays_under_its_parent_even_when_it_comes_first():
    found = shown_parents(rows(("tail", "b"), ("deeper", "tail"), ("a", "b"), ("b", "a"), ("x", "x"), ("y", "x")))
    assert found == {"tail": "b", "deeper": "tail", "a": None, "b": "a", "x": None, "y": "x"}


def test_a_long_chain_into_a_cycle_is_walked_once():
    chain = [(f"n{i}", f"n{i + 1}") for i in range(50_000)]
    found = shown_parents(rows(*chain, ("n50000", "n0")))
    assert found["n0"] is None and sum(parent is None for parent in found.values()) == 1


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


def test_the_subtree_of_an_activity_on_a_cycle_is_finite_and_follows_the_cut(engine):
    """a ← c ← b ← a, with t under b starting first: a (the earliest member) is the root, b under a, c and
    t under b."""
    parents = {"a": "c", "b": "a", "c": "b", "t": "b", "own": "own"}
    starts = {"t": 0, "a": 1, "b": 2, "c": 3, "own": 4}
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
        values = {"account_id": account, "id": "s", "start_time": NOW, "source": "native", "updated_at": NOW}
        session_pk = conn.execute(insert(sessions).values(values).returning(sessions.c.pk)).scalar()
        conn.execute(
            insert(activities),
            [
                {
                    "account_id": account,
                    "session_pk": session_pk,
                    "id": aid,
                    "parent_activity_id": parent,
                    "activity_type": "log",
                    "start_time": NOW + timedelta(seconds=starts[aid]),
                    "updated_at": NOW,
                }
                for aid, parent in parents.items()
            ],
        )
    with engine.connect() as conn:
        for aid, expected in {"a": "abct", "b": "bct", "c": "c", "t": "t", "own": ["own"]}.items():
            found_session, subtree = activity_subtree(conn, account, aid)
            assert found_session == session_pk and sorted(row["id"] for row in subtree) == sorted(expected), aid
