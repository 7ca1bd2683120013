"""The instance's operator staff: health, accounts (no content), volumes per account, traffic per day.
Nothing here reads customer content; support access under a grant is in `support_access`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..services.credentials import Caller
from .deps import caller
from .problems import responses
from .query_rules import QueryTime, known_query_only

router = APIRouter(prefix="/api/v1/admin", tags=["instance administration"])


def _staff(request: Request):
    return request.app.state.services.staff


@router.get("/health", summary="Database, schema and counts of the instance (staff)", responses=responses(401, 403))
def health(request: Request, who: Caller = Depends(caller)) -> dict:
    return _staff(request).health(who)


@router.get("/accounts", summary="Accounts, with no content (staff)", responses=responses(401, 403))
def accounts(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _staff(request).accounts(who)}


@router.get(
    "/usage",
    summary="Volumes per account (staff)",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def usage(request: Request, who: Caller = Depends(caller), since: QueryTime | None = None) -> dict:
    return {"items": _staff(request).usage(who, since)}


@router.get(
    "/traffic",
    summary="Requests per day from the access log, no accounts (staff)",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def traffic(request: Request, who: Caller = Depends(caller), days: int = 30) -> dict:
    return {"items": _staff(request).traffic(who, days)}
