"""The one path from every entry point (native API, the published client's endpoints, OTLP, file import)
to the batch writer. Stages registered here — redaction, for one — see every session and activity record
before anything is stored, whichever way it came in."""

from __future__ import annotations

from collections.abc import Callable, Sequence

# A stage may change the records in place; it must not raise for content it does not understand.
Stage = Callable[[int, list[dict], list[dict]], None]


class IngestPipeline:
    def __init__(self) -> None:
        self._stages: list[Stage] = []
        self.writer = None  # the BatchWriter, set when the app's lifespan enters it

    def add_stage(self, stage: Stage) -> None:
        self._stages.append(stage)

    async def submit(
        self, account_id: int, sessions: Sequence[dict], activities: Sequence[dict], wait: bool = False
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Run the stages, then queue for the writer and wait for the commit; returns the statuses."""
        sessions, activities = list(sessions), list(activities)
        for stage in self._stages:
            stage(account_id, sessions, activities)
        return await self.writer.submit(account_id, sessions, activities, wait=wait)
