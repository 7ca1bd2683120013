"""The cache's lookup counts held in memory: a flush adds them to each namespace's row of the day and to the
entries served; a flush that fails keeps them for the next one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from promptwatch.server.services.cache_tally import CacheTally
from promptwatch.server.store import prompt_cache as store
from promptwatch.server.store.tables.accounts import accounts
from promptwatch.server.store.tables.prompt_cache import cache_entries, cache_lookups
from tests.support.databases import current_store

LATE = datetime(2026, 11, 29, 23, 59, 59, tzinfo=timezone.utc)
DAY, NEXT_DAY = datetime(2026, 11, 29, tzinfo=timezone.utc), datetime(2026, 11, 30, tzinfo=timezone.utc)
ACCOUNT = 4242


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


def add_account(engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(accounts).values(id=ACCOUNT, name="tally", created_at=DAY))


def counted(engine) -> list[tuple]:
    columns = cache_lookups.c
    with engine.connect() as conn:
        query = select(columns.namespace, columns.day, columns.lookups, columns.hits).order_by(columns.day)
        return [tuple(row) for row in conn.execute(query.where(columns.account_id == ACCOUNT))]


def test_a_flush_adds_the_counts_to_their_days_and_to_the_entries_served(engine):
    add_account(engine)
    with engine.begin() as conn:
        store.upsert_entry(
            conn,
            {
                "account_id": ACCOUNT, "namespace": "faq", "id": "e1", "template_identity": "", "input_values": None,
                "prompt_text": None, "embedder": "client", "vector_count": 0, "dims": 1, "embedding": b"\0\0\0\0",
                "result": "r", "hits": 5, "created_at": DAY, "updated_at": DAY,
            },
        )  # fmt: skip
        pk = conn.execute(select(cache_entries.c.pk)).scalar_one()
    tally = CacheTally(engine)
    tally.count(ACCOUNT, "faq", LATE, pk)
    tally.count(ACCOUNT, "faq", LATE, None)
    tally.count(ACCOUNT, "faq", LATE + timedelta(seconds=2), pk)  # after midnight: the next day's row
    tally.flush()
    tally.flush()  # nothing left: adds nothing
    assert counted(engine) == [("faq", DAY, 2, 1), ("faq", NEXT_DAY, 1, 1)]
    with engine.connect() as conn:
        hits, last = conn.execute(select(cache_entries.c.hits, cache_entries.c.last_hit_at)).one()
    assert (hits, last) == (7, LATE + timedelta(seconds=2))


def test_a_failed_flush_keeps_the_counts_for_the_next(engine):
    tally = CacheTally(engine)
    tally.count(ACCOUNT, "faq", LATE, None)
    tally.count(ACCOUNT, "faq", LATE, None)
    with pytest.raises(IntegrityError):  # no such account yet: its counts break the foreign key
        tally.flush()
    tally.count(ACCOUNT, "faq", LATE, None)
    add_account(engine)
    tally.flush()
    assert counted(engine) == [("faq", DAY, 3, 0)]
