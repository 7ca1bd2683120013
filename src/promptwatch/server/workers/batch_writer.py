"""The batch writer: one task that drains queued ingest jobs and writes them together.

Requests wait for the commit of their job (acknowledge after commit). Several jobs share one
transaction (under load the writer waits a few milliseconds for more, see `_gather`); when one fails, each
is written again alone, so a failing job fails alone. A job that lost a lock race (a PostgreSQL deadlock or
serialization failure when several workers write the same rows) is written again in a fresh transaction,
after a short random wait that grows with each try; one that still loses after its tries fails with
`Overloaded` (503 with Retry-After: the batch is safe to send again). A job whose caller waits rather than
retries (the published client's endpoints) gets more tries.
The queue is bounded: when it is full, `submit` raises `Overloaded` and the native API answers 503 with
Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ..errors import Overloaded
from ..services import lock_races
from ..services.clock import utc_now
from ..services.lock_races import lost_lock_race
from ..store.engine import restart_long_wal
from ..store.ingest_writer import write_batch
from ..store.rollups import Rollups

log = logging.getLogger("promptwatch.writer")
MAX_ACTIVITIES_PER_TRANSACTION = 5000
GATHER_SECONDS = 0.005
GATHER_ACTIVITIES = 1000
RETRIES_AFTER_LOCK_RACE_WAITING = 30  # for a caller that never retries (`Job.waiting`)


@dataclass
class Job:
    account_id: int
    sessions: Sequence[dict]
    activities: Sequence[dict]
    done: asyncio.Future = field(repr=False)
    project: str | None = None  # the project the caller's key is limited to (see `write_batch`)
    waiting: bool = False  # the caller waits for the queue rather than be refused: it never retries


@dataclass
class WriterStats:
    jobs: int = 0
    activities: int = 0
    transactions: int = 0
    failures: int = 0
    write_seconds: float = 0.0


class BatchWriter:
    """`writers` transactions at once drain the queue: one on SQLite (one writer at a time), several on
    PostgreSQL, whose row locks order writers of the same rows (a lost lock race is written again)."""

    def __init__(self, engine: Engine, queue_limit: int, writers: int = 1) -> None:
        self._engine = engine
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=queue_limit)
        self._writers = 1 if engine.dialect.name == "sqlite" else writers
        self._tasks: list[asyncio.Task] = []
        self._stats_lock = threading.Lock()
        self._next_wal_check = 0.0  # perf_counter time of the next look at SQLite's log (`restart_long_wal`)
        self.stats = WriterStats()

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    async def __aenter__(self) -> BatchWriter:
        self._tasks = [
            asyncio.create_task(self._run(), name=f"promptwatch-batch-writer-{n}") for n in range(self._writers)
        ]
        return self

    async def __aexit__(self, *exc) -> None:
        await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def submit(
        self,
        account_id: int,
        sessions: Sequence[dict],
        activities: Sequence[dict],
        wait: bool = False,
        project: str | None = None,
    ):
        """Queue a job and wait for its commit; returns (session statuses, activity statuses)."""
        job = Job(account_id, sessions, activities, asyncio.get_running_loop().create_future(), project, wait)
        if wait:
            await self._queue.put(job)
        else:
            try:
                self._queue.put_nowait(job)
            except asyncio.QueueFull:
                raise Overloaded("the ingest queue is full", retry_after=1) from None
        return await job.done

    async def _gather(self, under_load: bool) -> list[Job]:
        """The jobs of the next transaction: the first to come and those queued behind it. Under load (jobs
        were waiting when the last transaction ended) it also waits up to GATHER_SECONDS for jobs on their
        way, until it holds GATHER_ACTIVITIES: each commit costs the same whatever it holds (SQLite writes its
        log and flushes its full-text index once per commit), so fewer, larger ones cost less per activity. A
        lone client's job never waits."""
        jobs = [await self._queue.get()]
        count = len(jobs[0].activities)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GATHER_SECONDS if under_load else 0.0
        while count < MAX_ACTIVITIES_PER_TRANSACTION:
            if not self._queue.empty():
                job = self._queue.get_nowait()
            elif count < GATHER_ACTIVITIES and (left := deadline - loop.time()) > 0:
                try:
                    job = await asyncio.wait_for(self._queue.get(), left)
                except asyncio.TimeoutError:  # the built-in TimeoutError only from Python 3.11
                    break
            else:
                break
            jobs.append(job)
            count += len(job.activities)
        return jobs

    async def _run(self) -> None:
        under_load = False
        while True:
            jobs = await self._gather(under_load)
            try:
                results = await asyncio.to_thread(self._write, jobs)
                for job, result in zip(jobs, results):
                    if isinstance(result, BaseException):
                        job.done.set_exception(result)
                    else:
                        job.done.set_result(result)
            except Exception as exc:  # the whole transaction failed: every job learns it
                log.exception("batch write failed")
                self._count(failures=1)
                for job in jobs:
                    if not job.done.done():
                        job.done.set_exception(exc)
            finally:
                for _ in jobs:
                    self._queue.task_done()
                under_load = not self._queue.empty()

    def _write(self, jobs: list[Job]) -> list:
        started = time.perf_counter()
        results = self._write_together(jobs)
        if started >= self._next_wal_check:
            self._next_wal_check = started + 1.0
            restart_long_wal(self._engine)
        results = self._write_again_after_lock_races(jobs, results)
        failures = 0
        for result in results:
            if isinstance(result, BaseException):
                log.error("ingest job failed", exc_info=result)
                failures += 1
        self._count(
            jobs=len(jobs),
            activities=sum(len(j.activities) for j in jobs),
            failures=failures,
            write_seconds=time.perf_counter() - started,
        )
        return results

    def _write_again_after_lock_races(self, jobs: list[Job], results: list) -> list:
        """Write the jobs that lost a lock race again, together, after `lock_races.wait_before_retry`; a job out
        of tries gets `Overloaded`, which its caller may send again."""
        tries = [RETRIES_AFTER_LOCK_RACE_WAITING if job.waiting else lock_races.RETRIES for job in jobs]
        for attempt in range(max(tries)):
            again = [i for i, result in enumerate(results) if lost_lock_race(result) and attempt < tries[i]]
            if not again:
                break
            log.warning("%d ingest job(s) lost a lock race; writing them again", len(again))
            lock_races.wait_before_retry(attempt)
            for i, result in zip(again, self._write_together([jobs[i] for i in again])):
                results[i] = result
        return [lock_races.overloaded(result) if lost_lock_race(result) else result for result in results]

    def _count(self, **amounts) -> None:
        """Add to the statistics (several writer threads may at once)."""
        with self._stats_lock:
            for name, amount in amounts.items():
                setattr(self.stats, name, getattr(self.stats, name) + amount)

    def _write_together(self, jobs: list[Job]) -> list:
        """Every job in one transaction, each job's result or its exception. No savepoint per job: one costs
        more than the job's writes (SQLite's full-text index flushes at each). When a job's own data fails
        (a constraint, a value the database refuses, a bug it triggers), the transaction is rolled back and
        each job is written in a transaction of its own, so that the failing job fails alone. When the
        database itself fails (locked, unreachable, or at BEGIN or COMMIT), every job gets that error at
        once: writing each alone would only wait for the same timeout once per job."""
        try:
            return self._transaction(jobs)
        except _JobFailed as failed:
            if len(jobs) == 1 or not _blames_the_job(failed.error):
                return [failed.error] * len(jobs)
            log.warning("an ingest job failed in a shared transaction (%r); writing each job alone", failed.error)
            return [self._write_together([job])[0] for job in jobs]
        except DBAPIError as exc:
            return [exc] * len(jobs)

    def _transaction(self, jobs: list[Job]) -> list:
        """Every job in one transaction; the roll-ups, which all jobs may add to, are written at its end (see
        `Rollups`)."""
        self._count(transactions=1)
        now = utc_now()
        results = []
        rollups = Rollups()
        with self._engine.begin() as conn:
            for job in jobs:
                try:
                    results.append(
                        write_batch(conn, job.account_id, job.sessions, job.activities, now, job.project, rollups)
                    )
                except Exception as exc:
                    raise _JobFailed(exc) from exc
            try:
                rollups.write(conn)
            except Exception as exc:  # a value of some job's the roll-ups cannot hold, or a lost lock race
                raise _JobFailed(exc) from exc
        return results


class _JobFailed(Exception):
    """Raised out of a transaction when writing one job failed; `error` is what that job raised."""

    def __init__(self, error: Exception) -> None:
        super().__init__(repr(error))
        self.error = error


def _blames_the_job(error: Exception) -> bool:
    """False when the database failed whatever the job held: a busy lock, a lost connection, a lock race
    (whose jobs are written again together), an unreachable server."""
    if lost_lock_race(error):
        return False
    if isinstance(error, DBAPIError):
        return not error.connection_invalidated and not isinstance(error, (OperationalError, InterfaceError))
    return True
