"""The semantic cache's in-process index against a real database: it follows inserts and updates, ranks
by similarity (the weakest input of a list decides), keeps partitions apart, and is only an accelerator: a
delete it cannot see is caught by the caller's re-read, after which the partition is rebuilt."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select

from promptwatch.server.services import cache_matching as m
from promptwatch.server.services.cache_index import VectorIndex
from promptwatch.server.store import prompt_cache as store
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.tables.accounts import accounts
from promptwatch.server.store.tables.prompt_cache import cache_entries
from tests.support.databases import fresh_database

X, Y, XY = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7071, 0.7071, 0.0]
START = datetime(2030, 1, 1, tzinfo=timezone.utc)


class Namespace:
    def __init__(self, engine, account_id: int) -> None:
        self.engine, self.account_id = engine, account_id
        self.part = store.Partition(account_id, "ns", "", "e", 0, 3)
        self.index = VectorIndex()

    def put(self, entry_id: str, vectors, second: int, embedder: str = "e", count: int = 0) -> None:
        moment = START + timedelta(seconds=second)
        row = {
            "account_id": self.account_id, "namespace": "ns", "id": entry_id, "template_identity": "",
            "input_values": None, "prompt_text": None, "embedder": embedder, "vector_count": count, "dims": 3,
            "embedding": m.pack(vectors), "result": entry_id, "hits": 0, "created_at": moment, "updated_at": moment,
        }  # fmt: skip
        with self.engine.begin() as conn:
            store.upsert_entry(conn, row)

    def ranked(self, query, part=None, threshold=0.5) -> list[str]:
        with self.engine.connect() as conn:
            pks = [pk for pk, _ in self.index.ranked(conn, part or self.part, query, threshold)]
            ids = dict(conn.execute(select(cache_entries.c.pk, cache_entries.c.id)).all())
        return [ids.get(pk, "<deleted>") for pk in pks]


@pytest.fixture
def ns(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            account_id = conn.execute(insert(accounts).values(name="a", created_at=START)).inserted_primary_key[0]
        yield Namespace(engine, account_id)
        engine.dispose()


def test_ranks_best_first_and_follows_inserts_and_updates(ns):
    assert ns.ranked([X]) == []
    ns.put("x", [X], 1)
    ns.put("xy", [XY], 2)
    assert ns.ranked([X]) == ["x", "xy"]
    ns.put("y", [Y], 3)  # appended
    assert ns.ranked([Y]) == ["y", "xy"]
    ns.put("x", [Y], 4)  # updated in place: its old vector no longer ranks
    assert ns.ranked([X]) == ["xy"]
    assert sorted(ns.ranked([Y], threshold=0.99)) == ["x", "y"]


def test_a_delete_the_index_cannot_see_is_rebuilt_after_mark_stale(ns):
    ns.put("x", [X], 1)
    ns.put("y", [Y], 2)
    assert ns.ranked([X]) == ["x"]
    with ns.engine.begin() as conn:
        conn.execute(delete(cache_entries).where(cache_entries.c.id == "x"))
    # "y" is still the latest write: the index ranks the deleted entry until the caller's re-read marks it
    assert ns.ranked([X]) == ["<deleted>"]
    ns.index.mark_stale(ns.part)
    assert ns.ranked([X]) == []
    with ns.engine.begin() as conn:
        conn.execute(delete(cache_entries))
    assert ns.ranked([Y]) == []  # the latest write gone: seen without help


def test_partitions_are_apart_and_a_list_of_vectors_is_as_strong_as_its_weakest(ns):
    ns.put("x", [X], 1)
    ns.put("other-embedder", [X], 2, embedder="f")
    ns.put("pair", [X, Y], 3, count=2)
    assert ns.ranked([X]) == ["x"]
    pairs = store.Partition(ns.account_id, "ns", "", "e", 2, 3)
    assert ns.ranked([X, Y], part=pairs) == ["pair"]
    assert ns.ranked([X, X], part=pairs) == []


def test_the_memory_budget_keeps_the_latest_partition(ns):
    ns.index = VectorIndex(budget_bytes=1)
    ns.put("x", [X], 1)
    ns.put("other", [X], 2, embedder="f")
    assert ns.ranked([X]) == ["x"]
    assert ns.ranked([X], part=store.Partition(ns.account_id, "ns", "", "f", 0, 3)) == ["other"]
    assert ns.ranked([X]) == ["x"]
