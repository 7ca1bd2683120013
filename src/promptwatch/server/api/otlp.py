"""OTLP/HTTP trace export at the standard path, `POST /v1/traces`: point any OpenTelemetry exporter here.

Takes `application/x-protobuf` or `application/json` (OTLP/JSON), optionally `Content-Encoding: gzip` or
`deflate`, and answers as OTLP does: 200 with an ExportTraceServiceResponse in the request's encoding,
carrying `partial_success` when some spans could not be stored. Errors are problem+json: 400 for a body
that does not decode, 415 for another content type or encoding, 401/403 for the key, 503 when the
ingest queue is full (OTLP exporters retry it after `Retry-After`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from ..services.credentials import Caller
from ..services.otlp_ingest import JSON, PROTOBUF, OtlpIngestService, encode_response
from .bodies import UnsupportedEncoding, content_encoding, inflate
from .deps import caller, runtime
from .problems import PROBLEM, problem, responses

router = APIRouter(tags=["opentelemetry"])
_MEDIA_TYPES = {PROTOBUF: PROTOBUF, "application/protobuf": PROTOBUF, JSON: JSON}
_OWN_CODES = {
    400: {"description": "The body is not an ExportTraceServiceRequest", "content": {PROBLEM: {}}},
    415: {"description": "Neither protobuf nor JSON, or an unknown Content-Encoding", "content": {PROBLEM: {}}},
}


class UnsupportedMedia(Exception):
    """The request's content type or encoding is one this endpoint does not read."""


@router.post(
    "/v1/traces",
    summary="Receive OpenTelemetry traces (OTLP/HTTP)",
    response_class=Response,
    responses={
        200: {"description": "ExportTraceServiceResponse", "content": {PROTOBUF: {}, JSON: {}}},
        **_OWN_CODES,
        **responses(401, 403, 413, 503),
    },
    openapi_extra={"requestBody": {"content": {PROTOBUF: {}, JSON: {}}, "required": True}},
)
async def export_traces(request: Request, who: Caller = Depends(caller)) -> Response:
    """Spans become activities, their traces (or `session.id`) sessions; see docs/otlp.md for the mapping.
    Sending a span again is safe: it is an upsert by `<trace id>:<span id>`."""
    try:
        media = _media_type(request.headers.get("content-type"))
        encoding = content_encoding(request.headers.get("content-encoding"))
    except (UnsupportedMedia, UnsupportedEncoding) as exc:
        return problem(415, "Unsupported media type", str(exc))
    raw = inflate(await request.body(), encoding, runtime(request).settings.max_request_bytes)
    result = await OtlpIngestService(runtime(request)).export(who, raw, media)
    return Response(encode_response(result, media), media_type=media)


def _media_type(header: str | None) -> str:
    media = (header or "").split(";", 1)[0].strip().lower()
    if media not in _MEDIA_TYPES:
        raise UnsupportedMedia(f"send {PROTOBUF} or {JSON}, not {media or 'no content type'}")
    return _MEDIA_TYPES[media]
