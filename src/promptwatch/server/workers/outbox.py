"""The outbox worker: sends due mail every `outbox_poll_seconds` (one worker at a time on PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging

from ..services.mail import MailService

log = logging.getLogger("promptwatch.outbox")


class OutboxWorker:
    def __init__(self, mail: MailService, poll_seconds: float) -> None:
        self._mail = mail
        self._poll = poll_seconds
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> OutboxWorker:
        self._task = asyncio.create_task(self._run(), name="promptwatch-outbox")
        return self

    async def __aexit__(self, *exc) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                while await asyncio.to_thread(self._mail.send_due):
                    pass  # a full batch went: look again at once
            except Exception:  # a broken round must not end the worker
                log.exception("outbox round failed")
            await asyncio.sleep(self._poll)
