"""Sessions: the filtered list, one session with its activity tree (whole or in pages), deletion."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..errors import InvalidInput
from ..services.credentials import Caller
from ..services.money import money_bounds
from ..services.session_detail import ActivityWindow
from ..services.sessions import TOTAL_CAP
from .activity_window import activity_window
from .deps import caller
from .json_response import DataResponse
from .problems import responses
from .query_rules import QueryTime, known_query_only, ordered

router = APIRouter(prefix="/api/v1/sessions", tags=["sessions"])
SessionId = Annotated[str, Path(min_length=1, max_length=200)]


def _metadata_filters(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep or not key:
            raise InvalidInput("meta filters are written key=value", field="meta")
        out[key] = wanted
    return out


@router.get(
    "",
    summary="List sessions, newest first",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def list_sessions(
    request: Request,
    who: Caller = Depends(caller),
    project: Annotated[str | None, Query(max_length=256)] = None,
    tenant: Annotated[str | None, Query(max_length=256)] = None,
    q: Annotated[
        str | None, Query(max_length=500, description="words that must all occur in a prompt or output")
    ] = None,
    since: QueryTime | None = None,
    until: QueryTime | None = None,
    has_error: Annotated[bool | None, Query(description="the session's own outcome, as its client reported it")] = None,
    has_failed_activities: Annotated[
        bool | None, Query(description="whether any of the session's activities has an error")
    ] = None,
    feedback: Annotated[
        Literal["up", "down", "any"] | None,
        Query(
            description="the sessions holding a call given a thumbs `up` or `down` (as `GET /api/v1/activities` "
            "filters calls), or `any` feedback label, by the client or an annotation"
        ),
    ] = None,
    template: Annotated[str | None, Query(max_length=256)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=200)] = None,
    meta: Annotated[list[str], Query(description="metadata filters, key=value")] = [],  # noqa: B006
    min_cost: Annotated[float | None, Query(ge=0, allow_inf_nan=False, description="USD, at least")] = None,
    max_cost: Annotated[float | None, Query(ge=0, allow_inf_nan=False, description="USD, at most")] = None,
    min_tokens: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    max_tokens: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    min_duration_ms: Annotated[float | None, Query(ge=0, le=1e12, description="ended sessions only")] = None,
    max_duration_ms: Annotated[float | None, Query(ge=0, le=1e12, description="ended sessions only")] = None,
    sort: Literal["newest", "oldest", "cost", "tokens"] = "newest",
    limit: int = 50,
    cursor: str | None = None,
    include_total: Annotated[
        bool,
        Query(
            description="also answer `total`, how many sessions pass the filters (whatever the cursor), counted up to "
            f"{TOTAL_CAP:,}, and `total_capped`: true when more do"
        ),
    ] = False,
) -> dict:
    """Only light columns are read: prompts and outputs are never loaded for the list. Besides its stored totals
    an item carries `failed_activities` (its activities with an error, whatever the session's own `is_error`),
    `unpriced_calls` (closed LLM calls with tokens but no cost, as their model has no price) and `cost_known`
    (false when none of its activities has a cost: its `cost` of 0 is then unknown, not free). With
    `include_total=true` the page also carries `total` and `total_capped`: a count reads the sessions it counts,
    so it stops at 10,000 (`total` 10,000, `total_capped` true) whatever the account holds."""
    ordered(since, until)
    where = dict(
        tenant=tenant,
        since=since,
        until=until,
        has_error=has_error,
        has_failed_activities=has_failed_activities,
        feedback=feedback,
        template=template,
        model=model,
        q=q.strip() or None if q else None,
        tag=tag,
        metadata=_metadata_filters(meta),
        cost=money_bounds(min_cost, max_cost),
        tokens=(min_tokens, max_tokens),
        duration_ms=(min_duration_ms, max_duration_ms),
    )
    return request.app.state.services.sessions.list(who, where, project, limit, cursor, sort, include_total)


@router.get(
    "/{session_id}",
    summary="One session with its activities, all of them or a page at a time",
    responses=responses(401, 403, 404, 422),
    response_model=None,
    response_class=DataResponse,
)
def get_session(
    request: Request,
    session_id: SessionId,
    who: Caller = Depends(caller),
    window: ActivityWindow = Depends(activity_window),
) -> DataResponse:
    """Without parameters, every activity with all its fields. `activity_count` is the session's total;
    `failed_activities`, `unpriced_calls` and `cost_known` are those of the list's items."""
    return DataResponse(request.app.state.services.sessions.get(who, session_id, window=window))


@router.delete(
    "/{session_id}", status_code=204, summary="Delete a session and its activities", responses=responses(401, 403, 404)
)
def delete_session(request: Request, session_id: SessionId, who: Caller = Depends(caller)) -> Response:
    """The session is unreadable at once; a tombstone keeps re-sent copies from bringing it back. The
    receipt is at the `Location` header's URL."""
    receipt = request.app.state.services.deletion.delete_session(who, session_id)
    return Response(status_code=204, headers={"Location": f"/api/v1/deletions/{receipt['id']}"})
