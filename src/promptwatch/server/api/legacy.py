"""The published promptwatch 0.4.x client's session endpoints, at the server's root (WIRE_PROTOCOL.md).

Tolerant: empty bodies are accepted, unknown fields kept, nothing is shed under load (that client never
retries). Replies are the shapes the client reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from ..errors import NotFound
from ..services.credentials import Caller
from ..services.json_bodies import parse_tolerant, storable_text
from .deps import caller
from .problems import responses

router = APIRouter(tags=["published client (0.4.x)"])
SessionId = Annotated[str, Path(min_length=1, max_length=200)]

_SESSION_FIELDS = (
    "id",
    "start_time",
    "end_time",
    "session_name",
    "steps_count",
    "tracking_project",
    "tracking_tenant",
    "is_error",
)


def legacy_session_view(session: dict) -> dict:
    return {name: session.get(name) for name in _SESSION_FIELDS}


async def _body(request: Request):
    """Tolerant: NUL and lone surrogates, legal in JSON, are made storable rather than refused."""
    return parse_tolerant(await request.body())


@router.post("/sessions/start", summary="Start (upsert) a session", responses=responses(401, 403, 422))
async def start_session(request: Request, who: Caller = Depends(caller)) -> dict:
    await request.app.state.services.legacy.upsert_session(who, await _body(request))
    return {"ok": True}


@router.post("/sessions/finish", summary="Finish (upsert) a session", responses=responses(401, 403, 422))
async def finish_session(request: Request, who: Caller = Depends(caller)) -> dict:
    await request.app.state.services.legacy.upsert_session(who, await _body(request))
    return {"ok": True}


@router.post(
    "/sessions/{session_id}/activities", summary="Add or update activities", responses=responses(401, 403, 422)
)
async def add_activities(request: Request, session_id: SessionId, who: Caller = Depends(caller)) -> dict:
    session_id = storable_text(session_id)
    statuses = await request.app.state.services.legacy.add_activities(who, session_id, await _body(request))
    return {"ok": True, "activities": statuses}


@router.get("/sessions/{session_id}", summary="Read a session back", responses=responses(401, 404))
def get_session(request: Request, session_id: SessionId, who: Caller = Depends(caller)) -> dict:
    session_id = storable_text(session_id)
    return legacy_session_view(request.app.state.services.sessions.get(who, session_id, with_activities=False))


@router.post("/sessions/{session_id}/restore", summary="Restore a session to continue it", responses=responses(401))
def restore_session(request: Request, session_id: SessionId, who: Caller = Depends(caller)) -> dict:
    try:
        session = request.app.state.services.sessions.get(who, storable_text(session_id), with_activities=False)
    except NotFound:
        return {"session": None}
    return {"session": legacy_session_view(session)}
