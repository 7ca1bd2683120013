"""Deleting data (any object, in bulk, the whole account), a person's own erasure, deletion receipts,
retention policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import Moment, TrackingLabel

from ..errors import Forbidden
from ..services.credentials import Caller
from ..services.retention import MAX_DAYS
from .deps import LOGIN_TOKEN_PREFIX, caller, credential_of
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["data lifecycle"])
Name = Annotated[str, Path(min_length=1, max_length=256)]


class TimeRangeDeletion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: Moment | None = None
    until: Moment | None = None
    project: TrackingLabel | None = None


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: TrackingLabel | None = Field(default=None, description="none: the account's default")
    content_days: int | None = Field(
        default=None, ge=1, le=MAX_DAYS, description="keep sessions and payloads this long"
    )
    aggregate_days: int | None = Field(
        default=None, ge=1, le=MAX_DAYS, description="keep hourly cost/usage roll-ups this long"
    )


def _services(request: Request):
    return request.app.state.services


@router.delete(
    "/activities/{activity_id}", summary="Delete an activity and its descendants", responses=responses(401, 403, 404)
)
def delete_activity(request: Request, activity_id: Name, who: Caller = Depends(caller)) -> dict:
    """Returns the deletion receipt."""
    return _services(request).deletion.delete_activity(who, activity_id)


@router.delete("/projects/{name}", summary="Delete a project with all its sessions", responses=responses(401, 403, 404))
def delete_project(request: Request, name: Name, who: Caller = Depends(caller)) -> dict:
    return _services(request).deletion.delete_project(who, name)


@router.delete(
    "/tenants/{tenant}",
    summary="Erase a tracking tenant (an end user's erasure request)",
    responses=responses(401, 403, 404),
)
def delete_tenant(request: Request, tenant: Name, who: Caller = Depends(caller)) -> dict:
    """Their sessions and every row naming them go; their share of cost and usage stays in the account's
    totals under an erased label, without their identifier."""
    return _services(request).deletion.delete_tenant(who, tenant)


@router.post("/deletions/time-range", summary="Delete the sessions of a time range", responses=responses(401, 403, 422))
def delete_time_range(request: Request, body: TimeRangeDeletion, who: Caller = Depends(caller)) -> dict:
    return _services(request).deletion.delete_time_range(who, body.since, body.until, body.project)


@router.delete("/account", summary="Delete the whole account (owner only)", responses=responses(401, 403))
def delete_account(request: Request, who: Caller = Depends(caller)) -> dict:
    """Everything but invoices (kept for billing law) and deletion receipts; the account's encryption key is
    destroyed, so encrypted copies in backups become unreadable."""
    return _services(request).deletion.delete_account(who)


@router.delete("/me", summary="Erase my user (logged in)", responses=responses(401, 403, 409))
def erase_me(request: Request) -> dict:
    """The person's user with their log-in tokens, memberships, invitations and mail; their accounts keep
    their data. 409 while they are the only owner of an account: delete it or make another member owner."""
    credential = credential_of(request)
    if not credential.startswith(LOGIN_TOKEN_PREFIX):
        raise Forbidden("this needs a person logged in, not an API key")
    return _services(request).deletion.erase_me(credential)


@router.get("/deletions", summary="Deletion receipts of the account", responses=responses(401))
def list_receipts(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _services(request).deletion.receipts(who)}


@router.get("/deletions/{receipt_id}", summary="One deletion receipt", responses=responses(401, 404))
def get_receipt(request: Request, receipt_id: str, who: Caller = Depends(caller)) -> dict:
    """What was deleted, when it became unreadable, and when the cleanup cycle purged it."""
    return _services(request).deletion.receipt(who, receipt_id)


@router.get("/retention", summary="Retention policies", responses=responses(401))
def list_policies(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": _services(request).retention.list(who)}


@router.put(
    "/retention", summary="Set the retention of the account or a project", responses=responses(401, 403, 404, 422)
)
def set_policy(request: Request, body: RetentionPolicy, who: Caller = Depends(caller)) -> dict:
    return _services(request).retention.set(who, body.project, body.content_days, body.aggregate_days)
