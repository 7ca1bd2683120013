"""Redaction settings: what the ingest stage masks for the account, or for one project."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import TrackingLabel, name_text

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1/redaction", tags=["redaction"])
Project = Annotated[TrackingLabel | None, Query(description="a project's rules; omit for the account's")]


class CustomPattern(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    pattern: name_text(min_length=1, max_length=500)


class RedactionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    secrets: bool = Field(default=False, description="API keys, tokens, passwords")
    email: bool = False
    phone: bool = False
    card: bool = Field(default=False, description="card numbers that pass the Luhn check")
    iban: bool = Field(default=False, description="IBANs that pass the mod-97 check")
    ip: bool = False
    custom: list[CustomPattern] = Field(default_factory=list, max_length=20)
    drop_text: bool = Field(default=False, description="drop prompt, output and document text altogether")


@router.get("", summary="Redaction rules of the account and its projects", responses=responses(401, 403))
def get_rules(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.redaction.get(who)


@router.put("", summary="Set the rules of the account or a project (admin)", responses=responses(401, 403, 422))
def put_rules(request: Request, body: RedactionConfig, who: Caller = Depends(caller), project: Project = None) -> dict:
    """Applies to data ingested from now on; what is stored already is not changed."""
    return request.app.state.services.redaction.put(who, project, body.model_dump())


@router.delete(
    "", status_code=204, summary="Remove the rules of the account or a project (admin)", responses=responses(401, 403)
)
def delete_rules(request: Request, who: Caller = Depends(caller), project: Project = None) -> Response:
    request.app.state.services.redaction.delete(who, project)
    return Response(status_code=204)
