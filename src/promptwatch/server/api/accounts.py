"""Log-in and out, the caller's identity, temporary keys, API keys, members and projects."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import Moment, TrackingLabel, name_text

from ..services.credentials import Caller
from .deps import caller, credential_of
from .operator_auth import client_address
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: name_text(max_length=320)
    password: str = Field(max_length=1000)


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["write", "ingest", "read", "admin"] = "ingest"
    name: name_text(max_length=200) | None = None
    project: TrackingLabel | None = None
    expires_at: Moment | None = None


@router.post(
    "/auth/login",
    summary="Log in with e-mail and password; returns a bearer token",
    responses=responses(401, 422, 429),
)
def login(request: Request, body: LoginIn) -> dict:
    """The token goes in `Authorization: Bearer`; the server never sets a cookie. Failed attempts are limited
    per e-mail and client address, per e-mail and per client address: 429 with `Retry-After` above a limit."""
    return request.app.state.services.accounts.login(body.email, body.password, client_address(request))


@router.post("/auth/logout", status_code=204, summary="End a log-in token", responses=responses(401))
def logout(request: Request) -> Response:
    request.app.state.services.accounts.logout(credential_of(request))
    return Response(status_code=204)


@router.get("/me", summary="Who the credential belongs to", responses=responses(401))
def me(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.accounts.me(who)


@router.post("/temp-keys", summary="A temporary key for a sandbox account", responses=responses(403, 429))
def temp_key(request: Request) -> dict:
    """On by default for a single-user instance, off for a multi-account one; rate-limited per address."""
    return request.app.state.services.accounts.temp_key(client_address(request))


@router.get("/keys", summary="API keys of the account (never their secrets)", responses=responses(401, 403))
def list_keys(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.accounts.list_keys(who)}


@router.post("/keys", status_code=201, summary="Create an API key (shown once)", responses=responses(401, 403, 422))
def create_key(request: Request, body: KeyCreate, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.accounts.create_key(who, body.scope, body.name, body.project, body.expires_at)


@router.delete("/keys/{key_id}", status_code=204, summary="Revoke an API key", responses=responses(401, 403, 404))
def revoke_key(request: Request, key_id: str, who: Caller = Depends(caller)) -> Response:
    request.app.state.services.accounts.revoke_key(who, key_id)
    return Response(status_code=204)


@router.get("/members", summary="Members of the account and their roles", responses=responses(401))
def members(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.accounts.members(who)}


@router.get("/projects", summary="Projects of the account", responses=responses(401))
def projects(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.accounts.projects(who)}
