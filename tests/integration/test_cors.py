"""PROMPTWATCH_CORS_ORIGINS lets browser apps on the listed origins call the API (Starlette's CORS, without
credentials); another origin gets no `Access-Control-` header, and unset, as by default, no answer has one. A
value that is no origin stops `up` before it creates anything."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.test_cli import assert_one_line_error
from tests.integration.test_cli_startup import assert_nothing_created, up
from tests.support.server import server_with_env

APP = "https://app.example.com"
OTHER = "https://elsewhere.example.com"
SENT = "authorization, x-api-key, x-promptwatch-account, x-promptwatch-project, content-type, content-encoding"


@pytest.fixture(scope="module")
def cors_server(backend, tmp_path_factory):
    origins = "HTTPS://App.Example.com:443, http://localhost:5173"  # as an operator may write them
    with server_with_env(
        backend,
        tmp_path_factory.mktemp(f"cors-{backend}"),
        PROMPTWATCH_CORS_ORIGINS=origins,
        PROMPTWATCH_MAX_REQUEST_BYTES="4096",
    ) as server:
        yield server


def preflight(server, origin: str, method: str = "POST", headers: str = SENT) -> httpx.Response:
    asked = {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
    return httpx.options(f"{server.base_url}/api/v1/ingest", headers=asked, timeout=30)


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


def browser(server, origin: str) -> httpx.Client:
    """A client sending the server's key with the `Origin` a page on `origin` sends."""
    client = server.client(server.first.api_key)
    client.headers["Origin"] = origin
    return client


def listed(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",")}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_a_preflight_from_a_listed_origin_allows_the_apis_methods_and_headers(cors_server, method):
    answer = preflight(cors_server, APP, method)
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == APP
    assert method in answer.headers["access-control-allow-methods"].split(", ")
    assert listed(SENT) <= listed(answer.headers["access-control-allow-headers"])
    assert "access-control-allow-credentials" not in answer.headers  # no cookies: nothing a browser adds itself
    assert "origin" in listed(answer.headers["vary"])
    assert preflight(cors_server, "http://localhost:5173", method).headers["access-control-allow-origin"] == (
        "http://localhost:5173"
    )


def test_a_listed_origins_requests_are_answered_readable_to_it(cors_server):
    with browser(cors_server, APP) as app:
        read = app.get("/api/v1/sessions")
        stored = app.post("/api/v1/ingest", json={"activities": []})
        refused = app.get("/api/v1/sessions", headers={"Authorization": "Bearer pw-not-a-key"})
        too_big = app.post("/api/v1/ingest", content=b"x" * 5000)  # refused by the edge, before the app
    for answer, status in ((read, 200), (stored, 200), (refused, 401), (too_big, 413)):
        assert answer.status_code == status, answer.text
        assert answer.headers["access-control-allow-origin"] == APP, answer.headers
        assert "access-control-allow-credentials" not in answer.headers
    assert {"x-request-id", "retry-after"} <= listed(read.headers["access-control-expose-headers"])
    assert refused.headers["content-type"] == "application/problem+json"


def test_another_origin_gets_no_allowance(cors_server):
    answer = preflight(cors_server, OTHER)
    assert answer.status_code == 400
    assert cors_headers(answer) == {}
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "Disallowed CORS origin"
    with browser(cors_server, OTHER) as other:
        read = other.get("/api/v1/sessions")
    assert read.status_code == 200  # answered, as to any client; the browser keeps it from the page
    assert "access-control-allow-origin" not in read.headers and "access-control-allow-credentials" not in read.headers
    for near in ("http://app.example.com", "https://app.example.com:8443", "https://app.example.com.evil.test"):
        assert "access-control-allow-origin" not in preflight(cors_server, near).headers


def test_a_header_or_method_the_api_does_not_take_is_refused_in_the_preflight(cors_server):
    for answer in (preflight(cors_server, APP, headers="x-custom"), preflight(cors_server, APP, method="TRACE")):
        assert answer.status_code == 400 and cors_headers(answer) == {}, answer.headers
        assert answer.json()["status"] == 400


def test_by_default_no_answer_has_a_cors_header(live_server):
    answer = preflight(live_server, APP)
    assert cors_headers(answer) == {}
    assert answer.headers["content-type"] == "application/problem+json"
    with browser(live_server, APP) as app:
        read = app.get("/api/v1/sessions")
    assert read.status_code == 200 and cors_headers(read) == {}
    assert "vary" not in read.headers


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("https://app.example.com/", "PROMPTWATCH_CORS_ORIGINS: 'https://app.example.com/' is not an origin"),
        ("app.example.com", "PROMPTWATCH_CORS_ORIGINS: 'app.example.com' is not an origin"),
        ("*", "PROMPTWATCH_CORS_ORIGINS: '*' is not allowed"),
    ],
)
def test_a_value_that_is_no_origin_stops_up(tmp_path, value, line):
    result = up(tmp_path, cors_origins=value)
    assert_one_line_error(result, line)
    assert_nothing_created(result, tmp_path)
