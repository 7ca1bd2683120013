"""The cache's counts with two server processes on one database, each with its counts in memory: what one
deletes, the other's flush does not bring back, and a hit it counted never lands on another entry."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from promptwatch.schema.prompt_loop import CacheEntryCreate, CacheLookup
from promptwatch.server.services.credentials import Caller
from promptwatch.server.services.prompt_cache import PromptCacheService
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store.deletion import delete_account_data
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.accounts import accounts
from promptwatch.server.store.tables.prompt_cache import cache_entries, cache_lookups
from tests.support.databases import current_store

CREATED = datetime(2026, 11, 1, tzinfo=timezone.utc)
FIRST, SECOND = Caller(4242, "admin"), Caller(4243, "admin")
VECTOR = [0.6, 0.8, 0.0]


@pytest.fixture
def workers(backend, tmp_path):
    """Two processes' cache services on one database, each with its own engine and counts."""
    with current_store(backend, tmp_path) as engine:
        with engine.begin() as conn:
            for caller in (FIRST, SECOND):
                conn.execute(insert(accounts).values(id=caller.account_id, name="cache", created_at=CREATED))
        settings = Settings(data_dir=tmp_path, database_url=engine.url.render_as_string(hide_password=False))
        runtimes = [Runtime.build(settings, make_engine(settings.database_url)) for _ in range(2)]
        yield [PromptCacheService(runtime) for runtime in runtimes], engine
        for runtime in runtimes:
            runtime.engine.dispose()


def flush(service: PromptCacheService) -> None:
    service._rt.cache_tally.flush()


def test_p18_lookups_of_an_account_deleted_by_another_process_are_not_written(workers):
    (first, _second), engine = workers
    first.add(FIRST, "faq", CacheEntryCreate(result="Settings.", embedding=VECTOR))
    assert first.lookup(FIRST, "faq", CacheLookup(embedding=VECTOR))["hit"] is True
    with engine.begin() as conn:
        delete_account_data(conn, FIRST.account_id, CREATED)
    flush(first)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).where(cache_lookups.c.account_id == FIRST.account_id)).scalar_one()
    assert rows == 0


def test_a_hit_on_an_entry_cleared_by_another_process_never_lands_on_another_accounts_entry(workers):
    (first, second), engine = workers
    first.add(FIRST, "faq", CacheEntryCreate(result="Settings.", embedding=VECTOR))
    assert first.lookup(FIRST, "faq", CacheLookup(embedding=VECTOR))["hit"] is True
    assert second.clear(FIRST, "faq", None) == 1
    second.add(SECOND, "faq", CacheEntryCreate(result="Billing.", embedding=VECTOR))  # on SQLite: the same pk
    flush(first)
    with engine.connect() as conn:
        columns = cache_entries.c
        query = select(columns.hits, columns.last_hit_at).where(columns.account_id == SECOND.account_id)
        assert tuple(conn.execute(query).one()) == (0, None)
