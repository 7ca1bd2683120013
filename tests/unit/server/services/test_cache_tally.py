"""The cache's lookup counts held in memory: a flush adds them to each namespace's row of the day and to the
entries served, in one order whatever the order counted; a flush that fails keeps them for the next one. A
deletion's counts never come back, not even those of a lookup under way when it committed, nor those of an
account deleted by another process meanwhile. A reader adds the counts not written yet, each once."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from promptwatch.server.services.cache_tally import CLEAR_MARGIN, CacheTally
from promptwatch.server.services.ledger import DeletionLedger
from promptwatch.server.store import prompt_cache as store
from promptwatch.server.store.tables.accounts import accounts
from promptwatch.server.store.tables.prompt_cache import cache_clears, cache_entries, cache_lookups
from tests.support.databases import current_store

LATE = datetime(2026, 11, 29, 23, 59, 59, tzinfo=timezone.utc)
DAY, NEXT_DAY = datetime(2026, 11, 29, tzinfo=timezone.utc), datetime(2026, 11, 30, tzinfo=timezone.utc)
ACCOUNT, OTHER = 4242, 4243
NAME_HASH = DeletionLedger(Path("unused"), b"test-secret").hash


class Clock:
    """The time the tallies of a test read: LATE, until moved on."""

    def __init__(self) -> None:
        self.at = LATE

    def __call__(self) -> datetime:
        return self.at

    def after_the_clears(self) -> datetime:
        """Past the margin of the clears made so far: a lookup begun now counts."""
        self.at += CLEAR_MARGIN + timedelta(seconds=1)
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


@pytest.fixture
def pool():
    with ThreadPoolExecutor(2) as pool:
        yield pool


def add_account(engine, account_id: int = ACCOUNT) -> None:
    with engine.begin() as conn:
        conn.execute(insert(accounts).values(id=account_id, name="tally", created_at=DAY))


def add_entry(engine, account_id: int, namespace: str, created: datetime = DAY) -> tuple[int, datetime]:
    """A new entry (the newest of the table); (pk, created_at), as a lookup that served it read them."""
    with engine.begin() as conn:
        store.upsert_entry(
            conn,
            {
                "account_id": account_id, "namespace": namespace, "id": f"e-{namespace}", "template_identity": "",
                "input_values": None, "prompt_text": None, "embedder": "client", "vector_count": 0, "dims": 1,
                "embedding": b"\0\0\0\0", "result": "r", "hits": 0, "created_at": created, "updated_at": created,
            },
        )  # fmt: skip
        columns = cache_entries.c
        query = select(columns.pk, columns.created_at).where(columns.account_id == account_id)
        return tuple(conn.execute(query.where(columns.namespace == namespace)).one())


def count(tally: CacheTally, namespace: str, now: datetime = LATE, served=None, account_id: int = ACCOUNT) -> None:
    with tally.lookup(account_id, namespace) as counted:
        counted(now, served)


def counted(engine, account_id: int = ACCOUNT) -> list[tuple]:
    columns = cache_lookups.c
    with engine.connect() as conn:
        query = select(columns.namespace, columns.day, columns.lookups, columns.hits).where(
            columns.account_id == account_id
        )
        return sorted(tuple(row) for row in conn.execute(query))


def entry_hits(engine, pk: int) -> tuple:
    with engine.connect() as conn:
        query = select(cache_entries.c.hits, cache_entries.c.last_hit_at).where(cache_entries.c.pk == pk)
        return tuple(conn.execute(query).one())


@contextmanager
def counts_held(engine):
    """Another transaction holds what a flush writes: SQLite's write lock, or on PostgreSQL an EXCLUSIVE lock
    on the counts' tables (reads pass it, writes wait)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"LOCK TABLE {cache_lookups.name}, {cache_entries.name} IN EXCLUSIVE MODE")
        yield


def waiting(engine, *work: Future) -> None:
    """Until `work` waits for a lock: on PostgreSQL until that many sessions show it, on SQLite (its busy wait
    shows nowhere) for a second."""
    if engine.dialect.name == "sqlite":
        wait(work, timeout=1)
    else:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        deadline = time.monotonic() + 10
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            while conn.execute(query).scalar_one() < len(work) and time.monotonic() < deadline:
                time.sleep(0.02)
    assert not any(future.done() for future in work)


def test_a_flush_adds_the_counts_to_their_days_and_to_the_entries_served(engine, clock):
    add_account(engine)
    served = add_entry(engine, ACCOUNT, "faq")
    with engine.begin() as conn:
        conn.execute(update(cache_entries).values(hits=5))
    tally = CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq", LATE, served)
    count(tally, "faq", LATE)
    count(tally, "faq", LATE + timedelta(seconds=2), served)  # after midnight: the next day's row
    tally.flush()
    tally.flush()  # nothing left: adds nothing
    assert counted(engine) == [("faq", DAY, 2, 1), ("faq", NEXT_DAY, 1, 1)]
    assert entry_hits(engine, served[0]) == (7, LATE + timedelta(seconds=2))


def test_a_failed_flush_keeps_the_counts_for_the_next(engine, clock):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq")
    count(tally, "faq")
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE cache_lookups RENAME TO cache_lookups_away")
    with pytest.raises(DBAPIError):
        tally.flush()
    count(tally, "faq")
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE cache_lookups_away RENAME TO cache_lookups")
    tally.flush()
    assert counted(engine) == [("faq", DAY, 3, 0)]


def test_counts_of_an_account_gone_are_not_written_and_do_not_hold_back_the_others(engine, clock):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq", account_id=99)  # no such account (any more)
    count(tally, "faq")
    tally.flush()
    tally.flush()
    assert counted(engine, 99) == []
    assert counted(engine) == [("faq", DAY, 1, 0)]


def test_p18_an_account_deleted_by_another_process_while_a_flush_runs_is_left_out(engine, clock, pool):
    add_account(engine)
    tally, elsewhere = CacheTally(engine, NAME_HASH, clock), CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq")
    with elsewhere.settled(ACCOUNT) as conn:  # an account's deletion: its counts go, then it is marked deleted
        conn.execute(delete(cache_lookups).where(cache_lookups.c.account_id == ACCOUNT))
        flush = pool.submit(tally.flush)
        waiting(engine, flush)  # for the account's row, which the deletion holds from its start
        conn.execute(update(accounts).where(accounts.c.id == ACCOUNT).values(kind="deleted"))
    flush.result()
    assert counted(engine) == []


def test_p18_a_lookup_made_while_its_namespace_is_cleared_is_not_counted(engine, clock, pool):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq")  # before the clear: goes with it
    with tally.lookup(ACCOUNT, "faq") as late:  # reads before the clear commits, counts after
        with tally.settled(ACCOUNT, "faq") as conn:
            count(tally, "faq")  # while the clear runs
            count(tally, "kept")
            flush = pool.submit(tally.flush)  # writes "kept" (on SQLite once the clear commits), not "faq"
            wait([flush], timeout=1)
            assert store.clear(conn, ACCOUNT, "faq", None) == 0
        late(LATE, None)
    flush.result()
    after = clock.after_the_clears()
    count(tally, "faq", after)  # a lookup begun after the clear counts
    tally.flush()
    assert counted(engine) == [("faq", store.lookup_day(after), 1, 0), ("kept", DAY, 1, 0)]


def test_p18_a_namespace_cleared_by_another_process_takes_the_counts_it_held(engine, clock):
    add_account(engine)
    tally, elsewhere = CacheTally(engine, NAME_HASH, clock), CacheTally(engine, NAME_HASH, clock)  # two processes
    count(tally, "faq")
    count(tally, "kept")
    with elsewhere.settled(ACCOUNT, "faq") as conn:
        store.clear(conn, ACCOUNT, "faq", None)
    tally.flush()
    assert counted(engine) == [("kept", DAY, 1, 0)]
    count(tally, "faq", clock.after_the_clears())  # a lookup after the clear counts
    tally.flush()
    assert [namespace for namespace, *_ in counted(engine)] == ["faq", "kept"]


def test_p18_a_lookup_that_read_before_another_process_cleared_is_not_counted(engine, clock):
    """It may have served an entry the clear deleted: it counts from when it began, not when it counted."""
    add_account(engine)
    tally, elsewhere = CacheTally(engine, NAME_HASH, clock), CacheTally(engine, NAME_HASH, clock)
    served = add_entry(engine, ACCOUNT, "faq")
    with tally.lookup(ACCOUNT, "faq") as late:  # reads the entry ...
        clock.at += timedelta(seconds=2)
        with elsewhere.settled(ACCOUNT, "faq") as conn:  # ... which another process clears ...
            store.clear(conn, ACCOUNT, "faq", None)
        late(clock.after_the_clears(), served)  # ... and counts the hit later
    tally.flush()
    assert counted(engine) == []


def test_p18_a_project_deleted_by_another_process_takes_its_namespaces_counts(engine, clock):
    add_account(engine)
    tally, elsewhere = CacheTally(engine, NAME_HASH, clock), CacheTally(engine, NAME_HASH, clock)
    for namespace in ("shop", "shop.faq", "shop.faq.v2", "shopping", "other.shop"):
        count(tally, namespace)
    with elsewhere.settled(ACCOUNT, project="shop") as conn:
        store.clear_project(conn, ACCOUNT, "shop")
    tally.flush()
    assert [namespace for namespace, *_ in counted(engine)] == ["other.shop", "shopping"]


def test_p18_a_flush_in_another_process_waits_for_a_clear_under_way_and_leaves_its_namespace_out(engine, clock, pool):
    add_account(engine)
    tally, elsewhere = CacheTally(engine, NAME_HASH, clock), CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq")
    with elsewhere.settled(ACCOUNT, "faq") as conn:
        store.clear(conn, ACCOUNT, "faq", None)
        flush = pool.submit(tally.flush)
        waiting(engine, flush)  # for the account's row (PostgreSQL) or the write lock (SQLite)
    flush.result()
    assert counted(engine) == []


def test_clears_are_kept_a_day(engine, clock):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    for namespace in ("a", "b"):
        with tally.settled(ACCOUNT, namespace):
            pass
    with engine.begin() as conn:
        conn.execute(update(cache_clears).values(cleared_at=DAY - store.CLEARS_KEPT))
    with tally.settled(ACCOUNT, "c"):
        pass
    with engine.connect() as conn:
        assert conn.execute(select(cache_clears.c.name_hash)).scalars().all() == [NAME_HASH("c")]


def test_a_deletion_that_fails_keeps_the_counts(engine, clock):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    with pytest.raises(RuntimeError), tally.settled(ACCOUNT, "faq"):
        count(tally, "faq")
        raise RuntimeError("the deletion failed")
    tally.flush()
    assert counted(engine) == [("faq", DAY, 1, 0)]


def test_the_retention_of_old_days_drops_only_their_counts(engine, clock):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq", LATE - timedelta(days=1))
    count(tally, "faq", LATE)
    with tally.lookup(ACCOUNT, "faq") as late:
        with tally.settled(ACCOUNT, before=DAY):
            pass
        late(LATE - timedelta(days=1), None)
    tally.flush()
    assert counted(engine) == [("faq", DAY, 1, 0)]


def test_a_reader_counts_a_batch_being_written_once(engine, clock, pool):
    add_account(engine)
    tally = CacheTally(engine, NAME_HASH, clock)
    count(tally, "faq", LATE, None)
    count(tally, "faq", LATE, add_entry(engine, ACCOUNT, "faq"))

    def read() -> tuple:
        with engine.connect() as conn, tally.unwritten(ACCOUNT) as held:
            return held.lookups, held.last_hit, store.lookups_by_namespace(conn, ACCOUNT)

    with counts_held(engine):
        flush = pool.submit(tally.flush)
        waiting(engine, flush)
        assert pool.submit(read).result(timeout=5) == ({"faq": [2, 1]}, {"faq": LATE}, {})
    flush.result()
    assert read() == ({}, {}, {"faq": (2, 1)})


@pytest.mark.postgresql  # SQLite has one writer at a time
def test_two_processes_flushing_the_same_rows_take_them_in_one_order(engine, clock, pool, backend):
    add_account(engine)
    first, second, setup = (
        CacheTally(engine, NAME_HASH, clock),
        CacheTally(engine, NAME_HASH, clock),
        CacheTally(engine, NAME_HASH, clock),
    )
    for namespace in ("a", "b", "c"):
        count(setup, namespace)
    setup.flush()
    for namespace in ("a", "c", "b"):
        count(first, namespace)
    for namespace in ("b", "c", "a"):
        count(second, namespace)
    with engine.begin() as conn:  # holds "c": each flush takes what comes before it, then waits
        conn.execute(select(cache_lookups).where(cache_lookups.c.namespace == "c").with_for_update())
        flushes = [pool.submit(first.flush)]
        waiting(engine, *flushes)
        flushes.append(pool.submit(second.flush))
        waiting(engine, *flushes)
    for flush in flushes:
        flush.result(timeout=30)
    assert counted(engine) == [("a", DAY, 3, 0), ("b", DAY, 3, 0), ("c", DAY, 3, 0)]
