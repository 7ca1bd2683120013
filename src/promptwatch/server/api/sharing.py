"""Share links (P1): created only by the account, read-only, expiring, revocable, views counted; and the
public read of a shared session or dataset, which needs no other credential."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import name_text

from ..services.credentials import Caller
from ..services.session_detail import ActivityWindow
from .activity_window import activity_window
from .deps import caller
from .json_response import DataResponse
from .problems import PROBLEM, responses

router = APIRouter(prefix="/api/v1", tags=["sharing"])
GONE = {410: {"description": "Revoked or expired", "content": {PROBLEM: {}}}}


class ShareLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["session", "dataset"] = "session"
    object_id: name_text(min_length=1, max_length=200) = Field(description="the session id or the dataset name")
    expires_in_hours: int | None = Field(default=None, ge=1, description="default 168; at most 90 days")


def _sharing(request: Request):
    return request.app.state.services.sharing


@router.post(
    "/share-links",
    status_code=201,
    summary="Share a session or a dataset read-only (member)",
    responses=responses(401, 403, 404, 422),
)
def create_link(request: Request, body: ShareLinkCreate, who: Caller = Depends(caller)) -> dict:
    """The token is shown once; anyone holding the link can read the session or dataset until it expires or
    is revoked. `url` (the page to hand on) and `api_url` (what the page reads) are absolute: on
    PROMPTWATCH_PUBLIC_URL when it is set, else on the address the request reached."""
    return _sharing(request).create(who, body.kind, body.object_id, body.expires_in_hours, str(request.base_url))


@router.get("/share-links", summary="Share links of the account, with view counts", responses=responses(401, 403))
def list_links(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _sharing(request).list(who)}


@router.delete(
    "/share-links/{link_id}", status_code=204, summary="Revoke a share link at once", responses=responses(401, 403, 404)
)
def revoke_link(request: Request, link_id: int, who: Caller = Depends(caller)) -> Response:
    _sharing(request).revoke(who, link_id)
    return Response(status_code=204)


@router.get(
    "/shared/{token}",
    summary="Read what a share link shares (no other credential), a shared session whole or in pages",
    responses={**responses(404, 422), **GONE},
    response_model=None,
    response_class=DataResponse,
)
def open_link(
    request: Request,
    token: str = Path(min_length=10, max_length=200),
    window: ActivityWindow = Depends(activity_window),
) -> DataResponse:
    """A shared session's activities are paged as in `GET /api/v1/sessions/{id}`; the parameters do nothing
    for a shared dataset."""
    return DataResponse(_sharing(request).open(token, window))
