"""The playground's API: the account's LLM providers (the key is write-only) and replays of recorded LLM
calls with optional edits, listed beside the original."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from promptwatch.schema.prompt_loop import ProviderConfigIn, ReplayCreate

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["replay (playground)"])
ProviderName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
ActivityId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/providers", summary="The account's LLM providers (keys are never shown)", responses=responses(401))
def list_providers(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.replays.providers(who)


@router.put(
    "/providers/{name}",
    summary="Configure an OpenAI-compatible provider (admin)",
    responses=responses(401, 403, 422),
)
def set_provider(request: Request, name: ProviderName, body: ProviderConfigIn, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.replays.set_provider(who, name, body)


@router.delete(
    "/providers/{name}", summary="Remove a provider (admin)", status_code=204, responses=responses(401, 403, 404)
)
def delete_provider(request: Request, name: ProviderName, who: Caller = Depends(caller)) -> Response:
    request.app.state.services.replays.delete_provider(who, name)
    return Response(status_code=204)


@router.post(
    "/activities/{activity_id}/replay",
    summary="Replay a recorded LLM call, optionally with edits",
    responses=responses(401, 403, 404, 409, 422),
)
def replay(request: Request, activity_id: ActivityId, body: ReplayCreate, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.replays.replay(who, activity_id, body)


@router.get(
    "/activities/{activity_id}/replays",
    summary="The original call and its replays, side by side",
    responses=responses(401, 404),
)
def list_replays(request: Request, activity_id: ActivityId, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.replays.list(who, activity_id)
