"""Activities: the list across sessions, newest first, and one activity by its id, as its session's detail
lists it. Deleting one is a lifecycle route (`lifecycle.py`); its annotation and replays are the prompt loop's
(`prompt_loop.py`, `replays.py`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from promptwatch.schema.common import MAX_TAG_LENGTH, ActivityType

from ..services.credentials import Caller
from .deps import caller
from .json_response import DataResponse
from .problems import responses
from .query_rules import QueryTime, known_query_only, ordered

router = APIRouter(prefix="/api/v1/activities", tags=["sessions"])
ActivityId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get(
    "",
    summary="List activities across sessions, newest first",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def list_activities(
    request: Request,
    who: Caller = Depends(caller),
    project: Annotated[str | None, Query(max_length=256)] = None,
    tenant: Annotated[str | None, Query(max_length=256)] = None,
    activity_type: Annotated[ActivityType | None, Query(description="`llm-prompt` for LLM calls")] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    template: Annotated[str | None, Query(max_length=256)] = None,
    has_error: bool | None = None,
    feedback: Annotated[Literal["up", "down"] | None, Query(description="thumbs up or down given")] = None,
    tag: Annotated[str | None, Query(max_length=MAX_TAG_LENGTH, description="one of the activity's tags")] = None,
    since: QueryTime | None = None,
    until: QueryTime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict:
    """Each activity's light fields (no prompt, output or other body field: read one by its id for those),
    with its session's `session_id`, `tracking_project` and `tracking_tenant`."""
    ordered(since, until)
    where = dict(
        tenant=tenant,
        activity_type=activity_type,
        model=model,
        template=template,
        has_error=has_error,
        feedback=feedback,
        tag=tag,
        since=since,
        until=until,
    )
    return request.app.state.services.activity_list.list(who, where, project, limit, cursor)


@router.get(
    "/{activity_id}",
    summary="One activity with all its fields and its session's id",
    responses=responses(401, 403, 404, 422),
    response_model=None,
    response_class=DataResponse,
)
def get_activity(request: Request, activity_id: ActivityId, who: Caller = Depends(caller)) -> DataResponse:
    """The activity as `GET /api/v1/sessions/{session_id}` lists it, with `session_id`."""
    return DataResponse(request.app.state.services.activities.get(who, activity_id))
