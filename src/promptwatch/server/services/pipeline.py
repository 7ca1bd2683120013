"""The one path from every entry point (native API, the published client's endpoints, OTLP, file import)
to the batch writer. Stages registered here — redaction, for one — see every session and activity record
before anything is stored, whichever way it came in."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..store import search
from ..store.bodies import encode_body
from .encryption import AccountCrypto

# A stage may change the records in place; it must not raise for content it does not understand.
Stage = Callable[[int, list[dict], list[dict]], None]


class IngestPipeline:
    def __init__(self, crypto: AccountCrypto) -> None:
        self._stages: list[Stage] = []
        self._crypto = crypto
        self.writer = None  # the BatchWriter, set when the app's lifespan enters it

    def add_stage(self, stage: Stage) -> None:
        self._stages.append(stage)

    async def submit(
        self,
        account_id: int,
        sessions: Sequence[dict],
        activities: Sequence[dict],
        wait: bool = False,
        project: str | None = None,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Run the stages, then queue for the writer and wait for the commit; returns the statuses. `project`:
        the project the caller's key is limited to, whose sessions alone it may write."""
        sessions, activities = list(sessions), list(activities)
        for stage in self._stages:
            stage(account_id, sessions, activities)
        self.seal(account_id, activities)
        return await self.writer.submit(account_id, sessions, activities, wait=wait, project=project)

    def seal(self, account_id: int, activities: list[dict]) -> None:
        """The last step: the words for text search, the error's among them (none for an encrypted account:
        the index would hold them in clear), then the body compressed and, for an encrypted account, encrypted."""
        encrypted = self._crypto.encrypts(account_id)
        for record in activities:
            body = record.pop("body")
            record["search_text"] = None if encrypted else search.text_of(body, record.get("error"))
            record["body_blob"] = self._crypto.seal_body(account_id, encode_body(body))
