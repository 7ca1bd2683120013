"""Operations: liveness, readiness (database reachable, schema current) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..store.schema_version import current_revision, head_revision
from .deps import runtime

router = APIRouter(tags=["operations"])


@router.get("/api/v1/health", summary="Liveness: the process can serve")
def health() -> dict:
    return {"status": "ok"}


@router.get("/api/v1/ready", summary="Readiness: database reachable and schema current", responses={503: {}})
def ready(request: Request):
    try:
        current = current_revision(runtime(request).engine)
    except Exception as exc:  # any database failure means not ready
        return ORJSONResponse({"status": "unavailable", "detail": str(exc)[:200]}, status_code=503)
    head = head_revision()
    if current != head:
        return ORJSONResponse({"status": "schema out of date", "current": current, "head": head}, status_code=503)
    return {"status": "ready", "schema": current}


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
def metrics(request: Request) -> Response:
    return Response(request.app.state.telemetry.render(), media_type=CONTENT_TYPE_LATEST)
