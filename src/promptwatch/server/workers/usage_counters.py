"""Writes the in-memory usage counters (P4, P5) to the database every few seconds and at shutdown.
Every worker process flushes its own counts (they are added up), so no job lock is taken."""

from __future__ import annotations

import asyncio
import logging

from ..services.usage_stats import UsageStatsService

log = logging.getLogger("promptwatch.usage_stats")


class UsageCounterFlusher:
    def __init__(self, stats: UsageStatsService, interval_seconds: float) -> None:
        self._stats = stats
        self._interval = interval_seconds
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> UsageCounterFlusher:
        self._task = asyncio.create_task(self._run(), name="promptwatch-usage-counters")
        return self

    async def __aexit__(self, *exc) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await asyncio.to_thread(self._stats.flush)
        except Exception:
            log.exception("final usage-counter flush failed")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await asyncio.to_thread(self._stats.flush)
            except Exception:
                log.exception("usage-counter flush failed")
