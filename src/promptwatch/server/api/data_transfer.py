"""Export everything the account owns (or everything about one tenant), import an archive or JSON Lines,
and encryption at rest of the account's payloads."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict
from starlette.background import BackgroundTask

from ..services.credentials import Caller
from .bodies import read_body
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["data lifecycle"])


class EncryptionSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


@router.get(
    "/export",
    summary="Everything the account owns, as a zip of JSON Lines with a manifest",
    responses={**responses(401, 403, 404), 200: {"content": {"application/zip": {}}}},
)
async def export(
    request: Request,
    who: Caller = Depends(caller),
    tenant: str | None = Query(default=None, max_length=256, description="only what concerns this tracking tenant"),
) -> FileResponse:
    """The archive format is in docs/lifecycle.md; `tenant` answers a data-subject access request, and a
    tenant the account holds nothing about is a 404 naming `tenant` (names are exact)."""
    path, _ = await asyncio.to_thread(request.app.state.services.data.export, who, tenant)
    name = f"promptwatch-export-{'tenant' if tenant else 'account'}-{who.account_id}.zip"
    return FileResponse(
        path, media_type="application/zip", filename=name, background=BackgroundTask(path.unlink, missing_ok=True)
    )


@router.post(
    "/import",
    summary="Import a PromptWatch export archive into this account",
    responses=responses(401, 403, 409, 413, 422),
)
async def import_archive(request: Request, who: Caller = Depends(caller)) -> dict:
    """Send the zip as the request body (`Content-Type: application/zip`). Checksums are verified first;
    ids are remapped; nothing is written unless the whole archive imports. Sessions, activities, datasets and
    dataset items this account deleted are left out (`left_out_deleted`), with everything that refers to them,
    and so are the dataset items copied from the calls it deleted and the invitations to people erased since."""
    with tempfile.NamedTemporaryFile(suffix=".zip") as upload:
        async for chunk in request.stream():
            upload.write(chunk)
        upload.flush()
        return await asyncio.to_thread(request.app.state.services.data.import_archive, who, Path(upload.name))


@router.post(
    "/import/jsonl",
    summary="Upload sessions and activities as JSON Lines",
    responses={**responses(401, 403, 413, 503), 415: {"description": "Unknown Content-Encoding"}},
)
async def import_jsonl(request: Request, who: Caller = Depends(caller)) -> dict:
    """One object per line with `"kind": "session"` or `"activity"` and the native API's fields; the body may
    be compressed as ingest's may (`Content-Encoding: gzip` or `deflate`), within the same size limit."""
    return await request.app.state.services.data.import_jsonl(who, await read_body(request))


@router.get(
    "/account/encryption", summary="Whether the account's payloads are encrypted at rest", responses=responses(401)
)
def encryption(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.data.encryption(who)


@router.put(
    "/account/encryption",
    summary="Turn on encryption at rest of the account's payloads",
    responses=responses(401, 403, 422),
)
def set_encryption(request: Request, body: EncryptionSetting, who: Caller = Depends(caller)) -> dict:
    """Payloads written from now on are encrypted with the account's own key (AES-GCM)."""
    return request.app.state.services.data.enable_encryption(who, body.enabled)
