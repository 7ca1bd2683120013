"""Usage metrics over time, grouped by project, tenant, model or template."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.get(
    "/usage",
    summary="Calls, errors, tokens, cost, cache savings, latency p50/p95 over time",
    responses=responses(401, 422),
)
def usage(
    request: Request,
    who: Caller = Depends(caller),
    group_by: Literal["project", "tenant", "model", "template"] | None = None,
    interval: Literal["hour", "day"] = "day",
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict:
    return request.app.state.services.metrics.usage(who, group_by, interval, since, until)
