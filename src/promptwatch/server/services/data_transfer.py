"""The customer's side of export and import: who may, which tenant an export may name (`require_tenant`, the
rule of the API and the CLI alike), and the two upload channels (a PromptWatch archive, or plain JSON Lines of
sessions and activities — the "upload as a file" channel, which goes through the same validation and ingest
pipeline as the native API)."""

from __future__ import annotations

from pathlib import Path

import orjson

from ..errors import Forbidden, InvalidInput, NotFound
from ..store.archive_rows import holds_tenant
from . import archive, audit
from .credentials import Caller
from .ingest import IngestService
from .runtime import Runtime

JSONL_BATCH = 1000


def require_tenant(runtime: Runtime, account_id: int, tenant: str) -> None:
    """NotFound naming `tenant` when the account holds no row that a tenant's export would hold: a name
    that is misspelt (names are exact) or only another account's must not pass for an empty archive."""
    with runtime.engine.connect() as conn:
        held = holds_tenant(conn, account_id, tenant)
    if not held:
        message = f"account {account_id} holds nothing about tenant {tenant!r} (names are exact); no archive written"
        raise NotFound(message, field="tenant")


class DataTransferService:
    def __init__(self, runtime: Runtime, ingest: IngestService) -> None:
        self._rt = runtime
        self._ingest = ingest

    def export(self, caller: Caller, tenant: str | None) -> tuple[Path, dict]:
        caller.require("admin")
        if caller.project:
            raise Forbidden("an export covers the whole account; use an account-wide credential")
        if tenant is not None:
            require_tenant(self._rt, caller.account_id, tenant)
        audit.record(
            self._rt,
            caller.account_id,
            caller,
            "export.create",
            tenant and self._rt.ledger.hash(tenant),
            {"scope": "tenant" if tenant else "account"},
        )
        out = archive.temporary_archive()
        try:
            manifest = archive.export_archive(self._rt, caller.account_id, out, tenant=tenant)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        return out, manifest

    def import_archive(self, caller: Caller, path: Path) -> dict:
        caller.require("admin")
        if caller.project:
            raise Forbidden("an import covers the whole account; use an account-wide credential")
        result = archive.import_archive(self._rt, path, caller.account_id)
        rows = sum(result["imported"].values())
        audit.record(self._rt, caller.account_id, caller, "import.archive", None, {"rows": rows})
        return result

    async def import_jsonl(self, caller: Caller, raw: bytes) -> dict:
        """Lines of `{"kind": "session"|"activity", ...native fields}`, answered like `/api/v1/ingest`."""
        caller.require("ingest")
        sessions, activities, results = [], [], {"stored": 0, "rejected": 0, "errors": []}
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = orjson.loads(line)
                kind = item.pop("kind")
            except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
                results["rejected"] += 1
                results["errors"].append({"line": number, "message": 'not a JSON object with "kind"'})
                continue
            if kind not in ("session", "activity"):
                results["rejected"] += 1
                results["errors"].append({"line": number, "message": f"unknown kind {kind!r}"})
                continue
            (sessions if kind == "session" else activities).append(item)
            if len(sessions) + len(activities) >= JSONL_BATCH:
                await self._flush(caller, sessions, activities, results)
        await self._flush(caller, sessions, activities, results)
        return results

    async def _flush(self, caller: Caller, sessions: list, activities: list, results: dict) -> None:
        if not sessions and not activities:
            return
        answer = await self._ingest.ingest_batch(caller, orjson.dumps({"sessions": sessions, "activities": activities}))
        results["stored"] += answer["stored"]
        results["rejected"] += answer["rejected"]
        results["errors"] += [
            {"id": r["id"], "errors": r["errors"]}
            for r in answer["sessions"] + answer["activities"]
            if r["status"] == "invalid"
        ][:100]
        sessions.clear()
        activities.clear()

    def encryption(self, caller: Caller) -> dict:
        caller.require("read")
        return {"enabled": self._rt.crypto.encrypts(caller.account_id)}

    def enable_encryption(self, caller: Caller, enabled: bool) -> dict:
        caller.require_role("admin", account_wide=True)
        if not enabled:
            raise InvalidInput("encryption cannot be turned off once on (delete the account to destroy its key)")
        self._rt.crypto.enable(caller.account_id)
        audit.record(self._rt, caller.account_id, caller, "settings.encryption", None, {"enabled": True})
        return {"enabled": True}
