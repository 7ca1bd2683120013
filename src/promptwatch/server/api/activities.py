"""Activities: one activity by its id, as its session's detail lists it. Deleting one is a lifecycle route
(`lifecycle.py`); its annotation and replays are the prompt loop's (`prompt_loop.py`, `replays.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from ..services.credentials import Caller
from .deps import caller
from .json_response import DataResponse
from .problems import responses

router = APIRouter(prefix="/api/v1/activities", tags=["sessions"])
ActivityId = Annotated[str, Path(min_length=1, max_length=200)]


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
