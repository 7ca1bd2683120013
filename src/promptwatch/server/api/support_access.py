"""Support access (P10) and the audit log: the customer grants, lists and revokes support grants and reads
or exports its audit log; operator staff read what a live grant covers, and only that."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import free_text, name_text

from ..services.credentials import Caller
from ..services.session_detail import ActivityWindow
from .activity_window import activity_window
from .deps import caller
from .json_response import DataResponse
from .problems import responses
from .query_rules import known_query_only

router = APIRouter(prefix="/api/v1", tags=["support access and audit"])
SessionId = Annotated[str, Path(min_length=1, max_length=200)]


class GrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["account", "sessions"] = "account"
    session_ids: list[name_text(min_length=1, max_length=200)] | None = Field(default=None, max_length=100)
    reason: free_text(min_length=1, max_length=500) = Field(description="why, or the ticket reference")
    expires_in_hours: int | None = Field(default=None, ge=1, le=720, description="default 72; at most 30 days")


def _support(request: Request):
    return request.app.state.services.support


@router.post(
    "/support-grants",
    status_code=201,
    summary="Grant operator staff read-only access (owner or admin)",
    responses=responses(401, 403, 422),
)
def create_grant(request: Request, body: GrantCreate, who: Caller = Depends(caller)) -> dict:
    return _support(request).grant(who, body.scope, body.session_ids, body.reason, body.expires_in_hours)


@router.get("/support-grants", summary="Support grants of the account", responses=responses(401, 403))
def list_grants(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _support(request).grants(who)}


@router.delete(
    "/support-grants/{grant_id}", status_code=204, summary="Revoke a grant at once", responses=responses(401, 403, 404)
)
def revoke_grant(request: Request, grant_id: int, who: Caller = Depends(caller)) -> Response:
    _support(request).revoke(who, grant_id)
    return Response(status_code=204)


@router.get(
    "/audit",
    summary="The account's audit log, newest first (owner or admin)",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def audit_log(
    request: Request,
    who: Caller = Depends(caller),
    limit: int = 100,
    before: int | None = Query(default=None, ge=0, le=2**63 - 1, description="the `next_before` of the previous page"),
    action: str | None = Query(default=None, max_length=100, description="actions starting with this"),
) -> dict:
    return request.app.state.services.audit.list(who, limit, before, action)


@router.get(
    "/audit/export",
    summary="The whole audit log as JSON Lines, oldest first",
    responses={**responses(401, 403), 200: {"content": {"application/x-ndjson": {}}}},
)
def export_audit(request: Request, who: Caller = Depends(caller)) -> StreamingResponse:
    lines = request.app.state.services.audit.export_lines(who)
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={"content-disposition": 'attachment; filename="audit.jsonl"'},
    )


# operator staff
@router.get("/support/grants", summary="Live grants across the instance (staff)", responses=responses(401, 403))
def staff_grants(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _support(request).live_grants(who)}


@router.get(
    "/support/accounts/{account_id}/sessions",
    summary="Sessions a live grant covers (staff, read-only, audited)",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def staff_sessions(
    request: Request, account_id: int, who: Caller = Depends(caller), limit: int = 50, cursor: str | None = None
) -> dict:
    return _support(request).sessions(who, account_id, limit, cursor)


@router.get(
    "/support/accounts/{account_id}/sessions/{session_id}",
    summary="One session a live grant covers, whole or in pages (staff, read-only, audited)",
    responses=responses(401, 403, 404, 422),
    response_model=None,
    response_class=DataResponse,
)
def staff_session(
    request: Request,
    account_id: int,
    session_id: SessionId,
    who: Caller = Depends(caller),
    window: ActivityWindow = Depends(activity_window),
) -> DataResponse:
    """The activities are paged as in `GET /api/v1/sessions/{id}`; every page is checked against the grants
    and audited."""
    return DataResponse(_support(request).session(who, account_id, session_id, window))
