"""Operations: liveness, readiness (database reachable, schema current) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from ..services.operations import readiness
from .deps import runtime
from .json_response import JsonResponse

router = APIRouter(tags=["operations"])


@router.get("/api/v1/health", summary="Liveness: the process can serve")
def health() -> dict:
    return {"status": "ok"}


@router.get("/api/v1/ready", summary="Readiness: database reachable and schema current", responses={503: {}})
def ready(request: Request):
    is_ready, body = readiness(runtime(request))
    body["backups"] = request.app.state.backup_schedule.status()  # a failed backup is no reason not to serve
    return body if is_ready else JsonResponse(body, status_code=503)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
def metrics(request: Request) -> Response:
    return Response(request.app.state.telemetry.render(), media_type=CONTENT_TYPE_LATEST)
