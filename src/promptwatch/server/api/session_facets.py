"""Suggestions for the session list's filters: the values that exist in the account."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["sessions"])


@router.get(
    "/session-facets",
    summary="Projects, tenants, models and templates to suggest in the session filters",
    responses=responses(401, 403),
)
def session_facets(request: Request, who: Caller = Depends(caller)) -> dict:
    """`{"projects", "tenants", "models", "templates"}`: each at most `limit` values, the most used first;
    `truncated` names the lists that had more. A project-limited caller gets its project's values only."""
    return request.app.state.services.facets.facets(who)
