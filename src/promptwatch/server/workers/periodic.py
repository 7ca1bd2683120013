"""A background job run every N seconds in a thread (the first run after N seconds too, or after its own delay),
by one worker at a time (a job lock on PostgreSQL). Entered as an async context manager in the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy import Engine

from ..store.locks import try_job_lock

log = logging.getLogger("promptwatch.jobs")


class PeriodicJob:
    def __init__(
        self,
        engine: Engine,
        name: str,
        interval_seconds: float,
        run: Callable[[], object],
        first_after_seconds: float | None = None,
    ) -> None:
        self._engine = engine
        self.name = name
        self._interval = interval_seconds
        self._first_after = interval_seconds if first_after_seconds is None else first_after_seconds
        self._run = run
        self._task: asyncio.Task | None = None
        self.runs = 0

    async def __aenter__(self) -> PeriodicJob:
        if self._interval > 0:
            self._task = asyncio.create_task(self._loop(), name=f"promptwatch-{self.name}")
        return self

    async def __aexit__(self, *exc) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        delay = self._first_after
        while True:
            await asyncio.sleep(delay)
            delay = self._interval
            try:
                await asyncio.to_thread(self._once)
            except Exception:  # a failed run is logged; the next one comes at its time
                log.exception("job %s failed", self.name)

    def _once(self) -> None:
        # the job's lock lasts as long as this transaction, which writes nothing: on SQLite a deferred one that
        # takes no lock at all (`engine.begin()` would hold the write lock the job's own writes wait for)
        with self._engine.connect() as conn, conn.begin():
            if try_job_lock(conn, self.name):
                self._run()
                self.runs += 1
