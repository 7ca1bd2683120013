"""Members of an account: invitations (create, list, revoke, accept), roles and project limits, removal,
and API key rotation. Sending the invitation e-mail is the outbox's job; the reply carries the link."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import TrackingLabel, name_text

from ..services.credentials import Caller
from .deps import caller
from .problems import PROBLEM, responses

router = APIRouter(prefix="/api/v1", tags=["members"])
Role = Literal["owner", "admin", "member", "viewer"]
GONE = {410: {"description": "Revoked, used or expired", "content": {PROBLEM: {}}}}


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: name_text(max_length=320)
    role: Role = "member"
    projects: list[TrackingLabel] | None = Field(
        default=None, max_length=100, description="limit the membership to these projects; omit for all"
    )
    expires_in_hours: int | None = Field(default=None, ge=1, le=720)


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: name_text(min_length=10, max_length=200)
    password: str | None = Field(default=None, max_length=1000, description="needed when no user has the e-mail")


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    projects: list[TrackingLabel] | None = Field(
        default=None, max_length=100, description="[] lifts every project limit"
    )


def _members(request: Request):
    return request.app.state.services.members


@router.post("/invitations", status_code=201, summary="Invite a person (admin)", responses=responses(401, 403, 422))
def invite(request: Request, body: InvitationCreate, who: Caller = Depends(caller)) -> dict:
    """Returns the token and link once; the token is stored only as a hash. The link is on
    PROMPTWATCH_PUBLIC_URL when it is set, else on the address the request reached."""
    return _members(request).invite(
        who, body.email, body.role, body.projects, body.expires_in_hours, str(request.base_url)
    )


@router.get("/invitations", summary="Invitations of the account (admin)", responses=responses(401, 403))
def invitations(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _members(request).invitations(who)}


@router.delete(
    "/invitations/{invitation_id}", status_code=204, summary="Revoke an invitation", responses=responses(401, 403, 404)
)
def revoke_invitation(request: Request, invitation_id: int, who: Caller = Depends(caller)) -> Response:
    _members(request).revoke_invitation(who, invitation_id)
    return Response(status_code=204)


@router.post(
    "/invitations/accept",
    summary="Accept an invitation (no credential: the token is the proof)",
    responses={**responses(404, 409, 422), **GONE},
)
def accept_invitation(request: Request, body: InvitationAccept) -> dict:
    return _members(request).accept(body.token, body.password)


@router.patch(
    "/members/{user_id}", summary="Change a member's role or project limits", responses=responses(401, 403, 404, 409)
)
def update_member(request: Request, user_id: int, body: MemberUpdate, who: Caller = Depends(caller)) -> dict:
    return _members(request).update(who, user_id, body.role, body.projects)


@router.delete(
    "/members/{user_id}", status_code=204, summary="Remove a member", responses=responses(401, 403, 404, 409)
)
def remove_member(request: Request, user_id: int, who: Caller = Depends(caller)) -> Response:
    _members(request).remove(who, user_id)
    return Response(status_code=204)


@router.post(
    "/keys/{key_id}/rotate",
    summary="A new secret for a key; the old one stops working",
    responses=responses(401, 403, 404),
)
def rotate_key(request: Request, key_id: str, who: Caller = Depends(caller)) -> dict:
    return _members(request).rotate_key(who, key_id)
