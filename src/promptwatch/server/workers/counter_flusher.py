"""Writes in-memory counters to the database every few seconds and at shutdown: the usage counters (P4, P5)
and the semantic cache's lookup counts. Every worker process flushes its own counts (they are added up), so
no job lock is taken."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol


class Counters(Protocol):
    def flush(self) -> None: ...


class CounterFlusher:
    """`name` names the task and the failures logged; `logger` is the logger they go to (a logging
    configuration may name it)."""

    def __init__(self, counters: Counters, interval_seconds: float, name: str, logger: str) -> None:
        self._counters = counters
        self._interval = interval_seconds
        self._name = name
        self._log = logging.getLogger(logger)
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> CounterFlusher:
        self._task = asyncio.create_task(self._run(), name=f"promptwatch-{self._name}")
        return self

    async def __aexit__(self, *exc) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await asyncio.to_thread(self._counters.flush)
        except Exception:
            self._log.exception("final %s flush failed", self._name)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await asyncio.to_thread(self._counters.flush)
            except Exception:
                self._log.exception("%s flush failed", self._name)
