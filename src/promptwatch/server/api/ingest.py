"""The native ingest API: a batch of sessions and activities, each answered on its own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from promptwatch.schema.records import IngestBatch, IngestResult

from ..services.credentials import Caller
from .bodies import read_body
from .deps import caller
from .json_response import JsonResponse
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["ingest"])


@router.post(
    "/ingest",
    response_model=IngestResult,
    summary="Store sessions and activities (upserts by id)",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": IngestBatch.model_json_schema()}}}},
    responses={**responses(401, 403, 413, 422, 503), 415: {"description": "Unknown Content-Encoding"}},
)
async def ingest(request: Request, who: Caller = Depends(caller)) -> JsonResponse:
    """Each item is validated on its own: good items are stored even when others are invalid. Sending
    an item again is safe: a copy never replaces a closed or newer version, and deleted ids stay deleted."""
    return JsonResponse(await request.app.state.services.ingest.ingest_batch(who, await read_body(request)))
