"""Errors as `application/problem+json` (RFC 9457), the error codes routes declare for OpenAPI, and the ones
every route may answer (`SHARED_RESPONSES`, declared once for the whole app)."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from ..errors import DomainError, Overloaded, RateLimited
from ..services.json_bodies import malformed_json
from .json_response import JsonResponse

log = logging.getLogger("promptwatch.server")

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra) -> JsonResponse:
    """Every 422 carries `errors`, one `{field, message, type}` per fault; an error that does not list its own
    names its `field` (null when the fault is no one field's)."""
    if status == 422 and "errors" not in extra:
        extra["errors"] = [{"field": extra.get("field"), "message": detail, "type": "value_error"}]
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JsonResponse(body, status_code=status, media_type=PROBLEM)


async def domain_error(_request: Request, exc: DomainError) -> JsonResponse:
    response = problem(exc.status, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, Overloaded | RateLimited) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> JsonResponse:
    if any(e["type"] == "json_invalid" for e in exc.errors()):  # FastAPI read the body as JSON and could not
        return await domain_error(request, malformed_json(exc.__cause__ or ValueError("unreadable")))
    if any(e["loc"][:1] == ("body",) and isinstance(e.get("input"), bytes) for e in exc.errors()):
        return not_json_media(request)
    errors = [
        {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]
    names = ", ".join(e["field"] for e in errors)
    return problem(422, "Invalid input", f"invalid: {names}", errors=errors)


def not_json_media(request: Request) -> JsonResponse:
    """415 for a body a route takes as JSON but that was declared as another type (a form, XML), or sent
    without a credential and not declared as JSON: FastAPI hands such a body on unread. With a credential, a
    body without a Content-Type or sent as text/plain is read as JSON (`middleware._json_by_default`)."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip()
    came = f"it came as {media}" if media else "it came without a Content-Type"
    return problem(415, "Unsupported media type", f"the body must be JSON: send it as application/json ({came})")


async def http_error(request: Request, exc: HTTPException) -> JsonResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        # FastAPI failed to read a JSON body for a reason other than its syntax (too deep, not UTF-8)
        return await domain_error(request, malformed_json(exc.__cause__))
    return problem(exc.status_code, "Error", str(exc.detail))


async def unstorable_value(request: Request, exc: Exception) -> JsonResponse:
    """422 for a value the database refused (a DataError, or SQLite's driver refusing an integer past 64 bits
    as an OverflowError); an OverflowError of the server's own code (date arithmetic past the year 9999) is a
    bug, answered and logged as any other."""
    if isinstance(exc, OverflowError) and not _raised_by_the_driver(exc):
        return await unexpected_error(request, exc)
    return problem(422, "Invalid input", "a value is out of range or holds a character that cannot be stored (NUL)")


def _raised_by_the_driver(exc: BaseException) -> bool:
    """Whether `exc` came from the database driver: the last Python frame it passed is SQLAlchemy's, calling
    into the driver (SQLite's is C code, which raises while it binds the parameters)."""
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and frame.tb_frame.f_globals.get("__name__", "").startswith(_DRIVER_CALLERS)


_DRIVER_CALLERS = ("sqlalchemy.", "sqlite3", "psycopg")


async def client_gone(request: Request, _exc: ClientDisconnect) -> JsonResponse:
    """The client hung up before its whole body arrived (its own timeout, a closed app): nothing failed here,
    so no traceback; the answer goes nowhere."""
    log.warning("client disconnected during %s %s", request.method, request.url.path)
    return problem(400, "Client disconnected", "the client closed the connection before sending its whole body")


async def unexpected_error(request: Request, exc: Exception) -> JsonResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal error", "the server failed; the error is in its log")


_DESCRIPTIONS = {
    400: "Malformed request: NUL in the path or query",
    401: "No credentials, or unknown, expired or revoked ones",
    403: "The credential's scope or project does not allow this",
    404: "Unknown id, or one of another account",
    409: "Conflict",
    410: "Gone: a link, token or invitation revoked, used or expired, or stored data that can no longer be read",
    413: "Body too large",
    415: "A body not declared as JSON (with a credential, text/plain or no Content-Type is read as JSON); only "
    "on operations that take a JSON body",
    422: "Invalid input, or a body that is not JSON; `errors` names each field",
    429: "Rate limited",
    503: "Overloaded; retry after `Retry-After` seconds",
}


def responses(*codes: int) -> dict:
    return {code: {"description": _DESCRIPTIONS[code], "content": {PROBLEM: {}}} for code in codes}


# answered on any route: by the edge (NUL), by a read of what was revoked, used or destroyed, or by a route
# that takes JSON to a body of another type (a route's own declaration of a code replaces its description)
SHARED_RESPONSES = responses(400, 410, 415)
