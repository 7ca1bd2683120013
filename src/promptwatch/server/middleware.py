"""ASGI middleware: security headers (CSP, HSTS, no cookies ever), body size limit (a chunked body's too),
request metrics, the access log (route template, status, latency, request id, truncated client address;
clause P9), the native API's reading of a body sent without a JSON Content-Type (`_json_by_default`), and CORS
for the browser apps of PROMPTWATCH_CORS_ORIGINS (`CrossOriginMiddleware`)."""

from __future__ import annotations

import time
import uuid

import orjson
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from .telemetry import Telemetry

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class EdgeMiddleware:
    """Wraps every HTTP response; drops any Set-Cookie header (clause P13) as a last line of defence."""

    def __init__(self, app, telemetry: Telemetry, max_body: int, tls: bool, access_log=None) -> None:
        self.app = app
        self.access_log = access_log  # called with (method, route template, status, seconds, client, request id)
        self.telemetry = telemetry
        self.max_body = max_body
        self.extra = [*_SECURITY_HEADERS]
        if tls:
            self.extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw_path = scope.get("raw_path", b"")
        if raw_path.startswith(b"/api/") and (b"%00" in raw_path or b"%00" in scope.get("query_string", b"")):
            # the published client's tolerant endpoints clean NUL themselves; the native API refuses it
            return await _refuse(send, 400, "Bad request", "NUL characters are not allowed in paths or queries")
        fields = dict(scope["headers"])
        length = fields.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            return await _refuse(send, 413, "Payload too large", f"bodies are limited to {self.max_body} bytes")
        if length is None:  # a chunked body declares no size: it is counted as it arrives
            receive = _limited(receive, self.max_body)
        if raw_path.startswith(b"/api/"):
            _json_by_default(scope, fields)
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        answered = False

        def count(status: int) -> None:
            seconds = time.perf_counter() - started
            name = getattr(scope.get("route"), "path", "unmatched")
            self.telemetry.count_request(name, status, seconds)
            if self.access_log is not None:
                client = scope.get("client")
                self.access_log(scope.get("method", ""), name, status, seconds, client and client[0], request_id)

        async def send_wrapped(message):
            nonlocal answered
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"set-cookie"]
                message["headers"] = headers + self.extra + [(b"x-request-id", request_id.encode())]
                answered = True
                count(message["status"])  # before the client can read the answer: a metrics read after it counts it
            await send(message)

        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            if not answered:
                count(500)


class CrossOriginMiddleware(CORSMiddleware):
    """Starlette's CORS for the exact origins of PROMPTWATCH_CORS_ORIGINS: the methods the API has, the headers
    its callers send (a credential, the account and project they choose, the body's type and encoding), and the
    ones they read (`Retry-After`, `X-Request-Id`, `Location`, `Content-Disposition`). Never with credentials
    (`Access-Control-Allow-Credentials`): the API takes no cookie, a caller sends its key or log-in token itself
    in a header, so nothing a browser adds on its own reaches the API from another site. A listed origin may
    reach a server on a private network (`Access-Control-Allow-Private-Network`): the operator named it.

    A preflight that is refused (another origin, method or header) answers 400 with a problem body and no
    `Access-Control-` header at all; the browser then never sends the request."""

    def __init__(self, app, origins: tuple[str, ...]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=("GET", "POST", "PUT", "PATCH", "DELETE"),
            allow_headers=(
                "Authorization",
                "X-API-Key",
                "X-PromptWatch-Account",
                "X-PromptWatch-Project",
                "Content-Type",
                "Content-Encoding",
            ),
            expose_headers=("Retry-After", "X-Request-Id", "Location", "Content-Disposition"),
            allow_credentials=False,
            allow_private_network=True,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode()  # "Disallowed CORS origin, headers"
        body = {"type": "about:blank", "title": "Bad request", "status": 400, "detail": reason}
        vary = {"vary": response.headers["vary"]}  # what the answer depends on, for caches
        return Response(orjson.dumps(body), 400, headers=vary, media_type="application/problem+json")


def _limited(receive, limit: int):
    """`receive`, raising a 413 once the body's chunks add up to more than `limit` bytes: the route reading it
    answers the 413 (`api.problems`), before anything is stored."""
    received = 0

    async def counted():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"bodies are limited to {limit} bytes")
        return message

    return counted


_JSON = b"application/json"
_READ_AS_JSON = (b"", b"text/plain")  # none, or what a browser's fetch() of a string body declares


def _json_by_default(scope, fields: dict) -> None:
    """A body sent to the native API (`/api/`) with a credential (an `Authorization` or `x-api-key` header)
    and without a Content-Type, or as `text/plain`, is read as JSON, as ingest reads every body: the request
    goes on as `application/json`. A body declared as another type reaches its route unchanged; a route that
    takes JSON then answers 415 (`api.problems`), and the routes that read their body themselves (ingest,
    imports) read it as they do.

    Only with a credential: a browser sends those two types from any site without asking the server first,
    but never with such a header. So a page elsewhere cannot have its visitors' browsers sign in, sign up or
    join the waitlist here: without a credential, JSON must be declared as JSON (a 415 says so)."""
    media = fields.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    has_body = fields.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in fields
    credential = b"authorization" in fields or b"x-api-key" in fields
    if has_body and credential and media in _READ_AS_JSON:
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-type"] + [(b"content-type", _JSON)]


async def _refuse(send, status: int, title: str, detail: str) -> None:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
