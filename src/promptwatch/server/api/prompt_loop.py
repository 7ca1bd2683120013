"""The native API of the prompt-improvement loop: templates (versions, diffs, labels, executions, stats),
annotations, and the semantic cache for any code. Replays are in `api/replays.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from promptwatch.schema.prompt_loop import AnnotationIn, CacheEntryCreate, CacheLookup, LabelMove, TemplateCreate

from ..services.credentials import Caller
from .deps import caller
from .problems import responses
from .query_rules import known_query_only

router = APIRouter(prefix="/api/v1", tags=["prompt templates, annotations, cache"])
Name = Annotated[str, Path(min_length=1, max_length=256)]
Version = Annotated[str, Path(min_length=1, max_length=140)]
Label = Annotated[str, Path(min_length=1, max_length=100)]
Namespace = Annotated[str, Path(min_length=1, max_length=512)]
ObjectId = Annotated[str, Path(min_length=1, max_length=200)]


def _templates(request: Request):
    return request.app.state.services.templates


@router.get(
    "/templates",
    summary="List templates with their labels",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def list_templates(
    request: Request,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    who: Caller = Depends(caller),
) -> dict:
    return _templates(request).list(who, limit, offset)


@router.post(
    "/templates/{name}/versions",
    status_code=201,
    summary="Register a template (its version is assigned from the content)",
    responses={200: {"description": "The content already had this version; nothing was created"}}
    | responses(401, 403, 422),
)
def register_template(
    request: Request, response: Response, name: Name, body: TemplateCreate, who: Caller = Depends(caller)
) -> dict:
    """201 with `created` true for a new version; 200 with `created` false when the same content (in any
    route's shape) already had one under the given version."""
    registered = _templates(request).register(who, name, body)
    if not registered["created"]:
        response.status_code = 200
    return registered


@router.get("/templates/{name}", summary="A template: versions with stats, labels", responses=responses(401, 404))
def get_template(request: Request, name: Name, who: Caller = Depends(caller)) -> dict:
    return _templates(request).get(who, name)


@router.get(
    "/templates/{name}/versions/{version}",
    summary="One version: content, text, stats, and the diff to another version",
    responses=responses(401, 404, 422),
    dependencies=[Depends(known_query_only)],
)
def get_version(
    request: Request,
    name: Name,
    version: Version,
    diff_to: str | None = Query(default=None, max_length=140),
    who: Caller = Depends(caller),
) -> dict:
    """Wherever a version is named (here, in `diff_to`, its executions, a label move, its deletion), it may be
    named as it was given: `1.0` is `1.0.0`, the first content given as `1.0` (or with no version)."""
    return _templates(request).version(who, name, version, diff_to)


@router.delete(
    "/templates/{name}",
    summary="Delete a template with its versions and labels (its LLM calls stay, unlinked)",
    responses=responses(401, 403, 404),
)
def delete_template(request: Request, name: Name, who: Caller = Depends(caller)) -> dict:
    """Returns the deletion receipt."""
    return request.app.state.services.deletion.delete_template(who, name)


@router.delete(
    "/templates/{name}/versions/{version}",
    summary="Delete one template version (409 while a label points at it, unless force=true)",
    responses=responses(401, 403, 404, 409),
)
def delete_version(
    request: Request,
    name: Name,
    version: Version,
    force: bool = Query(default=False, description="also delete the labels that point at the version"),
    who: Caller = Depends(caller),
) -> dict:
    stored = _templates(request).version_name(who, name, version)
    return request.app.state.services.deletion.delete_template_version(who, name, stored, force)


@router.get(
    "/templates/{name}/versions/{version}/executions",
    summary="The LLM calls that used a version, newest first",
    responses=responses(401, 404, 422),
    dependencies=[Depends(known_query_only)],
)
def executions(
    request: Request,
    name: Name,
    version: Version,
    limit: int = Query(default=50, ge=1, le=500),
    before: str | None = Query(default=None, max_length=60, description="the `next_before` of the page before"),
    who: Caller = Depends(caller),
) -> dict:
    return _templates(request).executions(who, name, version, limit, before)


@router.get(
    "/templates/{name}/labels/{label}",
    summary="The template behind a label (for apps at run time)",
    responses=responses(401, 404),
)
def resolve_label(request: Request, name: Name, label: Label, who: Caller = Depends(caller)) -> dict:
    return _templates(request).resolve_label(who, name, label)


@router.put(
    "/templates/{name}/labels/{label}", summary="Point a label at a version", responses=responses(401, 403, 404, 422)
)
def move_label(request: Request, name: Name, label: Label, body: LabelMove, who: Caller = Depends(caller)) -> dict:
    return _templates(request).move_label(who, name, label, body.version)


@router.post(
    "/templates/{name}/labels/{label}/rollback",
    summary="Point a label back at its previous version",
    responses=responses(401, 403, 404),
)
def rollback_label(request: Request, name: Name, label: Label, who: Caller = Depends(caller)) -> dict:
    return _templates(request).rollback_label(who, name, label)


@router.put(
    "/activities/{activity_id}/annotation",
    summary="Annotate an activity (thumbs up 1 / down 0, rating, notes)",
    responses=responses(401, 403, 404, 422),
)
def annotate_activity(
    request: Request, activity_id: ObjectId, body: AnnotationIn, who: Caller = Depends(caller)
) -> dict:
    return request.app.state.services.annotations.annotate(who, "activity", activity_id, body)


@router.get("/activities/{activity_id}/annotation", summary="An activity's annotation", responses=responses(401, 404))
def get_activity_annotation(request: Request, activity_id: ObjectId, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.annotations.get(who, "activity", activity_id)


@router.put(
    "/sessions/{session_id}/annotation",
    summary="Annotate a whole session",
    responses=responses(401, 403, 404, 422),
)
def annotate_session(request: Request, session_id: ObjectId, body: AnnotationIn, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.annotations.annotate(who, "session", session_id, body)


@router.get("/sessions/{session_id}/annotation", summary="A session's annotation", responses=responses(401, 404))
def get_session_annotation(request: Request, session_id: ObjectId, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.annotations.get(who, "session", session_id)


@router.get(
    "/cache",
    summary="Cache namespaces with entry counts, lookups, hits, misses and hit rate",
    responses=responses(401, 403),
)
def cache_namespaces(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.prompt_cache.namespaces(who)


@router.post("/cache/{namespace}/entries", summary="Store (upsert) a cache entry", responses=responses(401, 403, 422))
def cache_add(request: Request, namespace: Namespace, body: CacheEntryCreate, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.prompt_cache.add(who, namespace, body)


@router.post(
    "/cache/{namespace}/lookup",
    summary="Look up: the best entry that passes the similarity gate and the guards",
    responses=responses(401, 403, 422),
)
def cache_lookup(request: Request, namespace: Namespace, body: CacheLookup, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.prompt_cache.lookup(who, namespace, body)


@router.delete(
    "/cache/{namespace}",
    summary="Clear a namespace and its lookup counts (or only entries created before `until`)",
    responses=responses(401, 403, 422),
)
def cache_clear(
    request: Request, namespace: Namespace, until: str | None = Query(default=None), who: Caller = Depends(caller)
) -> dict:
    return {"deleted": request.app.state.services.prompt_cache.clear(who, namespace, until)}


@router.get(
    "/tests/runs",
    summary="Unit-test runs, newest first",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def list_runs(
    request: Request,
    test_name: str | None = Query(default=None, max_length=500),
    limit: int = Query(default=50, ge=1, le=500),
    who: Caller = Depends(caller),
) -> dict:
    return request.app.state.services.unit_tests.list_runs(who, test_name, limit)


@router.get("/tests/runs/{run_id}", summary="A run with its per-case results", responses=responses(401, 404))
def get_run(request: Request, run_id: ObjectId, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.unit_tests.get_run(who, run_id)


@router.delete("/tests/runs/{run_id}", summary="Delete a run with its results", responses=responses(401, 403, 404))
def delete_run(request: Request, run_id: ObjectId, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.deletion.delete_test_run(who, run_id)


@router.delete(
    "/tests/{test_name}", summary="Delete a unit test: all its runs and results", responses=responses(401, 403, 404)
)
def delete_test(
    request: Request, test_name: Annotated[str, Path(min_length=1, max_length=500)], who: Caller = Depends(caller)
) -> dict:
    return request.app.state.services.deletion.delete_test(who, test_name)


@router.get(
    "/tests/runs/{run_id}/compare/{other_run_id}",
    summary="Two runs case by case",
    responses=responses(401, 404),
)
def compare_runs(request: Request, run_id: ObjectId, other_run_id: ObjectId, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.unit_tests.compare(who, run_id, other_run_id)
