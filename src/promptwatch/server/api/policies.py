"""Policy documents (public), the change notices a user has not acknowledged, and acknowledging them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1/policies", tags=["policies"])


@router.get("", summary="The policy versions in force and announced ones")
def current(request: Request) -> dict:
    return {"items": request.app.state.services.policies.current()}


@router.get("/notices", summary="Announced changes I have not acknowledged (the UI's banner)", responses=responses(401))
def notices(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.policies.notices(who)}


@router.post("/{document_id}/acknowledge", summary="Acknowledge a policy version", responses=responses(401, 403, 404))
def acknowledge(request: Request, document_id: int, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.policies.acknowledge(who, document_id)


@router.get("/{kind}", summary="The version in force of a policy, with its text", responses=responses(404))
def document(request: Request, kind: str) -> dict:
    return request.app.state.services.policies.document(kind)


@router.get("/{kind}/versions/{version}", summary="One version of a policy", responses=responses(404))
def version(request: Request, kind: str, version: int) -> dict:
    return request.app.state.services.policies.document(kind, version)
