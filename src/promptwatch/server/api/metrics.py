"""Usage metrics over time (by hour, day, week or month, in a time zone), grouped by project, tenant, model or
template."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from ..services.credentials import Caller
from .deps import caller
from .problems import responses
from .query_rules import QueryTime, known_query_only, ordered

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.get(
    "/usage",
    summary="Calls, errors, tokens, cost, unpriced calls, cache savings, latency p50/p95 over time",
    responses=responses(401, 422),
    dependencies=[Depends(known_query_only)],
)
def usage(
    request: Request,
    who: Caller = Depends(caller),
    group_by: Literal["project", "tenant", "model", "template"] | None = None,
    interval: Literal["hour", "day", "week", "month"] = "day",
    since: QueryTime | None = None,
    until: QueryTime | None = None,
    project: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    tenant: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    tz: Annotated[str, Query(description="IANA time zone in which days, weeks and months are cut")] = "UTC",
) -> dict:
    """Unknown parameters are refused (422), so that a filter this endpoint lacks never passes unnoticed."""
    ordered(since, until)
    return request.app.state.services.metrics.usage(who, group_by, interval, since, until, project, tenant, tz)
