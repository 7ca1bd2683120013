"""The batch writer: jobs that share a transaction, a failing job that fails alone, and jobs that lose lock races."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timezone

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from promptwatch.server.errors import Overloaded
from promptwatch.server.services import lock_races
from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.tables.sessions import sessions
from promptwatch.server.store.tables.usage import usage_hourly
from promptwatch.server.workers import batch_writer
from promptwatch.server.workers.batch_writer import BatchWriter, Job
from tests.support.databases import current_store

NOW = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


@pytest.fixture
def engine(backend, tmp_path):
    with current_store(backend, tmp_path) as engine:
        yield engine


def session(sid: str) -> dict:
    return {"id": sid, "project": None, "tracking_tenant": None, "start_time": NOW, "source": "native"}


def test_a_failing_job_fails_alone_and_the_others_in_its_transaction_are_stored(engine):
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
    writer = BatchWriter(engine, queue_limit=10)
    loop = asyncio.new_event_loop()
    jobs = [
        Job(account, [session("first")], [], loop.create_future()),
        Job(account + 1000, [session("orphan")], [], loop.create_future()),  # no such account: the insert fails
        Job(account, [session("third")], [], loop.create_future()),
    ]
    first, failed, third = writer._write(jobs)
    loop.close()
    assert first == ({"first": "stored"}, {}) and third == ({"third": "stored"}, {})
    assert isinstance(failed, IntegrityError)
    with engine.connect() as conn:
        stored = conn.execute(select(sessions.c.id).order_by(sessions.c.id)).scalars().all()
        assert stored == ["first", "third"]
        assert conn.execute(select(func.count()).select_from(sessions)).scalar() == 2
    assert writer.stats.failures == 1 and writer.stats.jobs == 3


def test_a_locked_database_fails_every_job_at_once_instead_of_waiting_once_per_job(tmp_path):
    """Writing each job alone only helps when a job's own data failed; when the database is busy, every job
    would wait out the busy timeout again."""
    with current_store("sqlite", tmp_path) as engine:
        with engine.begin() as conn:
            account = account_store.create_account(conn, "acme", NOW)
        engine.dispose()  # the connections made from here on wait 0.3 s for a lock
        event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=300"))
        holder = sqlite3.connect(tmp_path / "promptwatch.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        writer = BatchWriter(engine, queue_limit=10)
        loop = asyncio.new_event_loop()
        jobs = [Job(account, [session(f"s{i}")], [], loop.create_future()) for i in range(6)]
        started = time.perf_counter()
        results = writer._write(jobs)
        elapsed = time.perf_counter() - started
        loop.close()
        holder.rollback()
        assert all(isinstance(r, OperationalError) for r in results)
        assert elapsed < 1.5  # one busy timeout (0.3 s), not one per job (1.8 s and more)
        assert writer.stats.transactions == 1


def test_concurrent_writers_keep_every_activity_and_the_session_totals(engine):
    """On PostgreSQL several transactions write at once (SQLite keeps one writer); jobs adding to the same
    session and the same hourly roll-ups wait on each other's row locks, and nothing is lost or counted
    twice."""
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
    writer = BatchWriter(engine, queue_limit=100, writers=4)
    assert writer._writers == (1 if engine.dialect.name == "sqlite" else 4)

    def activity(n: int) -> dict:
        return {
            "id": f"a{n}",
            "session_id": "shared",
            "activity_type": "llm-prompt",
            "start_time": NOW,
            "end_time": NOW,
            "model": "m",
            "prompt_tokens": 10,
            "completion_tokens": 1,
            "total_tokens": 11,
            "cost": 0.5,
            "body_blob": b"\x28\xb5\x2f\xfd",
            "search_text": None,
        }

    async def run() -> list:
        async with writer:
            jobs = [
                writer.submit(account, [session("shared")], [activity(n) for n in range(i, i + 5)])
                for i in range(0, 100, 5)
            ]
            return await asyncio.gather(*jobs)

    results = asyncio.run(run())
    assert all(set(statuses.values()) == {"stored"} for _sessions, statuses in results)
    with engine.connect() as conn:
        row = conn.execute(select(sessions.c.activity_count, sessions.c.total_tokens, sessions.c.cost)).one()
        assert row == (100, 1100, 50.0)
        assert conn.execute(select(usage_hourly.c.calls, usage_hourly.c.cost)).one() == (100, 50.0)


def _gathered(engine, under_load: bool, first: int, later: int) -> list[int]:
    """The activity counts of the jobs `_gather` takes for one transaction: a job of `first` activities is
    queued, another of `later` activities 1 ms after the gathering began."""
    writer = BatchWriter(engine, queue_limit=10)

    async def run() -> list[int]:
        loop = asyncio.get_running_loop()

        def job(count: int) -> Job:
            return Job(1, [], [{}] * count, loop.create_future())

        writer._queue.put_nowait(job(first))

        async def put_later() -> None:
            await asyncio.sleep(0.001)
            writer._queue.put_nowait(job(later))

        arriving = asyncio.create_task(put_later())
        jobs = await writer._gather(under_load)
        await arriving
        return [len(j.activities) for j in jobs]

    return asyncio.run(run())


def test_under_load_a_transaction_waits_briefly_for_the_jobs_on_their_way(engine, monkeypatch):
    monkeypatch.setattr(batch_writer, "GATHER_SECONDS", 1.0)  # ample: the second job comes after 1 ms
    later = batch_writer.GATHER_ACTIVITIES  # with it the transaction holds enough and waits no longer
    assert _gathered(engine, under_load=True, first=100, later=later) == [100, later]


def test_the_writer_waits_for_more_only_after_a_transaction_that_jobs_queued_behind(engine, monkeypatch):
    """A lone job is written at once; jobs that queued while a transaction ran are written with the next
    jobs that arrive within GATHER_SECONDS."""
    monkeypatch.setattr(batch_writer, "GATHER_SECONDS", 1.0)
    monkeypatch.setattr(batch_writer, "GATHER_ACTIVITIES", 3)
    writer = BatchWriter(engine, queue_limit=10)
    written: list[list[str]] = []

    def write(jobs):
        written.append([job.sessions[0]["id"] for job in jobs])
        time.sleep(0.05 if len(written) == 1 else 0)  # the first transaction takes a while
        return [({}, {})] * len(jobs)

    monkeypatch.setattr(writer, "_write", write)

    async def run() -> None:
        async with writer:

            def submit(name: str) -> asyncio.Task:
                return asyncio.create_task(writer.submit(1, [session(name)], [{}]))

            a = submit("a")
            await asyncio.sleep(0.01)  # the writer took `a` alone and is writing it
            queued = [submit("b"), submit("c")]
            await a
            await asyncio.sleep(0.01)
            await asyncio.gather(*queued, submit("d"))

    asyncio.run(run())
    assert written == [["a"], ["b", "c", "d"]]


def test_a_lone_job_or_a_full_transaction_does_not_wait(engine, monkeypatch):
    monkeypatch.setattr(batch_writer, "GATHER_SECONDS", 1.0)
    assert _gathered(engine, under_load=False, first=100, later=100) == [100]
    assert _gathered(engine, under_load=True, first=batch_writer.GATHER_ACTIVITIES, later=100) == [
        batch_writer.GATHER_ACTIVITIES
    ]


class LosingWriter(BatchWriter):
    """A writer whose transactions lose a lock race (a PostgreSQL deadlock) the first `losses` times."""

    def __init__(self, engine, losses: int) -> None:
        super().__init__(engine, queue_limit=10)
        self.losses = losses
        self.tries = 0

    def _transaction(self, jobs: list[Job]) -> list:
        self.tries += 1
        if self.tries <= self.losses:
            raise OperationalError("INSERT INTO usage_hourly ...", {}, DeadlockDetected("deadlock detected"))
        return super()._transaction(jobs)


def test_a_job_that_keeps_losing_lock_races_is_refused_as_overloaded_not_failed(engine, monkeypatch):
    """After its tries a job is answered 503 with Retry-After (the batch is safe to send again), never with
    the database's error (a 500); the tries wait a random, growing while."""
    monkeypatch.setattr(lock_races, "WAIT_FIRST_SECONDS", 0.001)
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
    writer = LosingWriter(engine, losses=1000)

    async def run():
        async with writer:
            return await writer.submit(account, [session("busy")], [])

    with pytest.raises(Overloaded) as refused:
        asyncio.run(run())
    assert refused.value.retry_after == 1 and isinstance(refused.value.__cause__, OperationalError)
    assert writer.tries == 1 + lock_races.RETRIES


def test_a_job_whose_caller_never_retries_gets_more_tries_and_is_stored(engine, monkeypatch):
    """The published client's endpoints wait rather than be refused: that client never sends again."""
    monkeypatch.setattr(lock_races, "WAIT_FIRST_SECONDS", 0.001)
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
    writer = LosingWriter(engine, losses=lock_races.RETRIES + 2)

    async def run():
        async with writer:
            return await writer.submit(account, [session("patient")], [], wait=True)

    assert asyncio.run(run()) == ({"patient": "stored"}, {})
    assert writer.tries == lock_races.RETRIES + 3
