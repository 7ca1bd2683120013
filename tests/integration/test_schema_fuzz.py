"""Issue 6, security testing: the OpenAPI schema is fuzzed with schemathesis against a real server on each
database. Every operation gets `PROMPTWATCH_FUZZ_EXAMPLES` generated cases (fuzzing phase) besides the
schema's examples and schemathesis' boundary cases (coverage phase), sent with an admin key of a tenant of
its own. Checked: no 5xx (the server's traceback goes into the failure), every status is documented (400 and
410 for every route, app-wide), and every answer matches its response schema.

Routes that would pull the ground from under the run (deleting the account, revoking or rotating keys) get a
throwaway tenant per route; the public forms, rate-limited per client address (the shared server's other
tests need their quota), get a server of their own with high limits.

The operations come from the app's own OpenAPI document (one pytest item per operation and database); a
test checks that the running server serves the same routes.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from promptwatch.server.app import create_app
from promptwatch.server.settings import Settings
from tests.support.databases import fresh_database
from tests.support.server import LiveServer, provision

# the issue asks for 100 per operation; 25 is what CI affords on both databases (times in docs/access.md)
EXAMPLES = int(os.environ.get("PROMPTWATCH_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("PROMPTWATCH_FUZZ_SEED", "6"))

DESTRUCTIVE = {  # (method, path): would delete the run's own account or key
    ("DELETE", "/api/v1/account"),
    ("DELETE", "/api/v1/keys/{key_id}"),
    ("POST", "/api/v1/keys/{key_id}/rotate"),
}
PUBLIC_FORMS = {  # rate-limited per client address: on the shared server they would use up other tests' quota
    ("POST", "/api/v1/temp-keys"),
    ("POST", "/api/v1/signup"),
    ("POST", "/api/v1/waitlist"),
    ("POST", "/api/v1/auth/password-reset"),
}
PUBLIC_FORMS_ENV = {
    "PROMPTWATCH_PUBLIC_FORM_RATE_PER_HOUR": "1000000",
    "PROMPTWATCH_TEMP_KEY_RATE_PER_HOUR": "1000000",
    "PROMPTWATCH_SIGNUP_ENABLED": "true",  # no SMTP host: the mail stays queued
    "PROMPTWATCH_WAITLIST_ENABLED": "true",
}


def _app_openapi() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        return create_app(Settings(data_dir=Path(tmp))).openapi()


OPENAPI = _app_openapi()
SCHEMA = schemathesis.openapi.from_dict(
    OPENAPI,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "suppress-health-check": ["all"],
        }
    ),
)
SERVERS: dict[str, LiveServer] = {}  # base URL -> server, whose log the 5xx check reads


def _route(ctx) -> tuple[str, str]:
    return ctx.operation.method.upper(), ctx.operation.path


@pytest.fixture(scope="module")
def fuzz_admin(live_server) -> str:
    """An admin key of a tenant of its own on the shared server."""
    tenant = live_server.new_tenant("fuzz")
    SERVERS[live_server.base_url] = live_server
    return live_server.accounts()._rt.keys.create(tenant.account_id, "admin", name="fuzz")


@pytest.fixture
def throwaway_admin(live_server) -> str:
    tenant = live_server.new_tenant("fuzz-throwaway")
    SERVERS[live_server.base_url] = live_server
    return live_server.accounts()._rt.keys.create(tenant.account_id, "admin", name="throwaway")


@pytest.fixture(scope="module")
def forms_server(backend, tmp_path_factory):
    """A server of its own for the rate-limited public forms, with sign-up and the waitlist open."""
    directory = tmp_path_factory.mktemp(f"fuzz-forms-{backend}")
    with fresh_database(backend, directory) as url:
        server = provision(url, directory)
        server.extra_env = PUBLIC_FORMS_ENV
        server.start()
        SERVERS[server.base_url] = server
        try:
            yield server
        finally:
            server.stop()


def server_traceback(server: LiveServer, method: str, path: str) -> str:
    """The server's own frames and the exceptions (with their causes) of the last unhandled error on `method
    path`."""
    marker = f"unhandled error on {method} {path}"
    for _ in range(20):  # the log line may land a moment after the answer
        text = server.log_text()
        if marker in text:
            block = text[text.rindex(marker) :].splitlines()
            kept = [block[0]]
            for number, line in enumerate(block[1:200], 1):
                if line.startswith(("unhandled error on", "ERROR:", "INFO:")) or "Warning:" in line:
                    break
                if "/promptwatch/" in line and line.lstrip().startswith("File "):
                    kept += [line, block[number + 1] if number + 1 < len(block) else ""]
                elif re.match(r"^[A-Za-z_.]+(Error|Exception)\b", line) or line.startswith(("The above", "During")):
                    kept.append(line)
            return "\n".join(kept)
        time.sleep(0.1)
    return f"(no traceback for {method} {path} in the server log; its end:)\n" + server.log_text()[-3000:]


def no_server_error(ctx, response, case):
    """not_a_server_error, with the server's traceback in the failure."""
    if response.status_code >= 500:
        url = httpx.URL(response.request.url)
        server = SERVERS[f"{url.scheme}://{url.host}:{url.port}"]
        trace = server_traceback(server, case.method.upper(), url.path)
        raise AssertionError(f"{response.status_code} on {case.method.upper()} {url.path}\n{trace}")
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_error, status_code_conformance, response_schema_conformance]


def _run(case, base_url: str, key: str | None) -> None:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    response = case.call(base_url=base_url, headers=headers, timeout=30)
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_schema_fuzz_covers_the_served_routes(live_server):
    with live_server.client() as client:
        served = client.get("/openapi.json").json()["paths"]
    routes = {(m.upper(), p) for p, methods in served.items() for m in methods}
    assert routes == {(m.upper(), p) for p, methods in OPENAPI["paths"].items() for m in methods}
    assert routes >= DESTRUCTIVE | PUBLIC_FORMS


@SCHEMA.exclude(lambda ctx: _route(ctx) in DESTRUCTIVE | PUBLIC_FORMS).parametrize()
def test_schema_fuzz(case, live_server, fuzz_admin):
    _run(case, live_server.base_url, fuzz_admin)


@SCHEMA.include(lambda ctx: _route(ctx) in DESTRUCTIVE).parametrize()
def test_schema_fuzz_destructive_on_a_throwaway_tenant(case, live_server, throwaway_admin):
    _run(case, live_server.base_url, throwaway_admin)


@SCHEMA.include(lambda ctx: _route(ctx) in PUBLIC_FORMS).parametrize()
def test_schema_fuzz_public_forms_on_their_own_server(case, forms_server):
    _run(case, forms_server.base_url, None)
