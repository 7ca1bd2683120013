"""The published promptwatch 0.4.x client's prompt-cache and unit-test endpoints (WIRE_PROTOCOL §5 rows
6-11). Tolerant like the session endpoints: a body that cannot be used is a cache miss or is ignored, never
a 500; the shapes answered are the ones that client reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from promptwatch.schema.common import cap_json_depth

from ..errors import InvalidInput
from ..services.credentials import Caller
from ..services.json_bodies import parse_tolerant, storable_text
from .deps import caller
from .problems import responses

router = APIRouter(tags=["published client (0.4.x)"])
Namespace = Annotated[str, Path(min_length=1, max_length=512)]
Name = Annotated[str, Path(min_length=1, max_length=500)]
RunId = Annotated[str, Path(min_length=1, max_length=200)]


def _float_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "None") else None
    except ValueError:
        return None


async def _body(request: Request):
    """What is stored as one JSON document nests as deep as the native API's free JSON, deeper is cut
    (`cap_json_depth`): each field of an object (a run's `conditions`, an entry's input values), each item of
    a list (a result)."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        body = parse_tolerant(raw)
    except InvalidInput:  # a body the client could not have meant is a miss, not an error
        return None
    if isinstance(body, dict):
        return {key: cap_json_depth(value) for key, value in body.items()}
    return [cap_json_depth(item) for item in body] if isinstance(body, list) else body


@router.post("/prompt-cache/{namespace}/get", summary="Look up the cache", responses=responses(401, 403))
async def cache_get(
    request: Request,
    namespace: Namespace,
    min_similarity: str | None = Query(default=None),
    who: Caller = Depends(caller),
) -> dict:
    """Hit: `{"result", "similarity"}`; miss: `{}`."""
    body = await _body(request)
    service = request.app.state.services.prompt_cache
    return service.legacy_get(who, storable_text(namespace), body, _float_or_none(min_similarity))


@router.post("/prompt-cache/{namespace}", summary="Add (upsert) a cache entry", responses=responses(401, 403))
async def cache_add(request: Request, namespace: Namespace, who: Caller = Depends(caller)) -> dict:
    stored = request.app.state.services.prompt_cache.legacy_add(who, storable_text(namespace), await _body(request))
    return {"ok": stored}


@router.post("/prompt-cache/{namespace}/clear", summary="Clear a namespace", responses=responses(401, 403, 422))
def cache_clear(
    request: Request, namespace: Namespace, until: str | None = Query(default=None), who: Caller = Depends(caller)
) -> dict:
    """Without `until` every entry of the namespace; with it, the entries created before that moment."""
    deleted = request.app.state.services.prompt_cache.clear(who, storable_text(namespace), until)
    return {"ok": True, "deleted": deleted}


@router.get("/test-cases", summary="Annotated examples as test cases", responses=responses(401, 403, 422))
def test_cases(
    request: Request,
    for_tracking_project: str | None = Query(default=None, max_length=256),
    for_template_name: str | None = Query(default=None, max_length=256),
    skp: int = Query(default=0, ge=0),
    limit: int = Query(default=500, ge=1, le=1000),
    who: Caller = Depends(caller),
) -> list[dict]:
    """A NUL in the query is read as U+FFFD, as in the bodies and paths of these endpoints."""
    project, template = storable_text(for_tracking_project), storable_text(for_template_name)
    return request.app.state.services.unit_tests.test_cases(who, project, template, skp, limit)


@router.post("/tests/{test_name}/runs", summary="Start or update (upsert) a test run", responses=responses(401, 422))
async def upsert_run(request: Request, test_name: Name, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.unit_tests.upsert_run(who, storable_text(test_name), await _body(request))


@router.post(
    "/tests/{test_name}/runs/{run_id}/result-details",
    summary="Add per-case results (de-duplicated by order)",
    responses=responses(401, 403),
)
async def add_results(request: Request, test_name: Name, run_id: RunId, who: Caller = Depends(caller)) -> dict:
    service = request.app.state.services.unit_tests
    return service.add_results(who, storable_text(test_name), storable_text(run_id), await _body(request))
