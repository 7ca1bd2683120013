"""The customer's side of export and import: who may, which tenant an export may name (`require_tenant`, the
rule of the API and the CLI alike), and the two upload channels (a PromptWatch archive, or plain JSON Lines of
sessions and activities — the "upload as a file" channel, which goes through the same validation and ingest
pipeline as the native API)."""

from __future__ import annotations

from pathlib import Path

import orjson
from pydantic_core import PydanticCustomError

from promptwatch.schema.common import check_json_depth

from ..errors import Forbidden, InvalidInput, NotFound
from ..store.archive_rows import holds_tenant
from . import archive, audit, json_bodies
from .credentials import Caller
from .ingest import IngestService
from .runtime import Runtime

JSONL_BATCH = 1000
Line = tuple[int, str, dict]  # a line gathered for ingest: (its number, its kind, its item without the kind)


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
        """Lines of `{"kind": "session"|"activity", ...native fields}`, answered like `/api/v1/ingest`, each
        line read as ingest reads a body (`json_bodies.loads`)."""
        caller.require("ingest")
        pending: list[Line] = []  # the batch being gathered
        results = {"stored": 0, "rejected": 0, "errors": []}
        for number, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json_bodies.loads(line)
                kind = item.pop("kind")
            except (ValueError, RecursionError, AttributeError, KeyError, TypeError):
                results["rejected"] += 1
                results["errors"].append({"line": number, "message": 'not a JSON object with "kind"'})
                continue
            if kind not in ("session", "activity"):
                results["rejected"] += 1
                results["errors"].append({"line": number, "message": f"unknown kind {kind!r}"})
                continue
            pending.append((number, kind, item))
            if len(pending) >= JSONL_BATCH:
                await self._flush(caller, pending, results)
        await self._flush(caller, pending, results)
        return results

    async def _flush(self, caller: Caller, pending: list[Line], results: dict) -> None:
        if not pending:
            return
        try:
            body = _ingest_body(pending)
        except orjson.JSONEncodeError:  # a line nests deeper than orjson writes: refused alone, as ingest would
            pending[:] = [line for line in pending if not _too_deep(line, results)]
            body = _ingest_body(pending)
        if not pending:
            return
        pending.clear()
        answer = await self._ingest.ingest_batch(caller, body)
        results["stored"] += answer["stored"]
        results["rejected"] += answer["rejected"]
        results["errors"] += [
            {"id": r["id"], "errors": r["errors"]}
            for r in answer["sessions"] + answer["activities"]
            if r["status"] == "invalid"
        ][:100]

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


def _ingest_body(lines: list[Line]) -> bytes:
    """The ingest batch of the gathered lines; orjson.JSONEncodeError if one nests too deeply to write."""
    batch: dict[str, list] = {"sessions": [], "activities": []}
    for _, kind, item in lines:
        batch["sessions" if kind == "session" else "activities"].append(item)
    return orjson.dumps(batch)


def _too_deep(line: Line, results: dict) -> bool:
    """Whether the line nests too deeply to be sent on to ingest (orjson writes 254 levels, where its reader
    takes about 1,000); if so it is counted as rejected with the `json_too_deep` errors that ingest gives the
    fields nested past their limit."""
    number, _, item = line
    try:
        _ingest_body([line])
        return False
    except orjson.JSONEncodeError:
        pass
    errors = []
    for field, value in item.items():
        try:
            check_json_depth(value)
        except PydanticCustomError as exc:
            errors.append({"field": str(field), "message": exc.message(), "type": exc.type})
    results["rejected"] += 1
    results["errors"].append({"line": number, "id": item.get("id"), "errors": errors})
    return True
