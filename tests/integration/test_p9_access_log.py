"""P9: the access log keeps, for diagnosing problems, the method, route template, status, latency, a request
id and the client address truncated to /24 (/48 for IPv6) — never query strings, tokens, keys or bodies — and
only for the configured number of days."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from promptwatch.server.services.access_log import purge_access_log, truncate_client
from promptwatch.server.services.clock import utc_now
from promptwatch.server.store.tables.access_log import access_log
from tests.support.payloads import uid

from .test_p16_roles import staff_token


def entries_for(live_server, request_ids: list[str], timeout: float = 10) -> dict[str, dict]:
    engine = live_server.accounts()._rt.engine
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(select(access_log).where(access_log.c.request_id.in_(request_ids))).mappings()
                found = {r["request_id"]: dict(r) for r in rows}
            if len(found) == len(request_ids) or time.monotonic() > deadline:
                return found
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_p9_access_log_has_templates_and_truncated_addresses_never_secrets(live_server):
    token, secret = "pws_" + uid() * 2, "needle" + uid()
    with live_server.client(live_server.first.api_key) as client:
        responses = [
            client.get(f"/api/v1/shared/{token}", params={"q": secret}),
            client.get("/api/v1/sessions", params={"q": secret}),
            client.get(f"/api/v1/sessions/{secret}"),
            client.get(f"/api/v1/activities/{secret}"),
            client.get(f"/no/such/{secret}"),
        ]
    ids = [r.headers["x-request-id"] for r in responses]
    found = entries_for(live_server, ids)
    rows = [found[i] for i in ids]
    assert [(r["method"], r["path"], r["status"]) for r in rows] == [
        ("GET", "/api/v1/shared/{token}", 404),
        ("GET", "/api/v1/sessions", 200),
        ("GET", "/api/v1/sessions/{session_id}", 404),
        ("GET", "/api/v1/activities/{activity_id}", 404),
        ("GET", "unmatched", 404),
    ]
    assert {r["client"] for r in rows} == {"127.0.0.0/24"}
    assert all(r["latency_ms"] >= 0 for r in rows)
    text = repr(rows)
    for leak in (token, secret, live_server.first.api_key, "?"):
        assert leak not in text
    assert set(rows[0]) == {"id", "at", "method", "path", "status", "latency_ms", "client", "request_id"}


def test_p9_access_log_entries_expire(live_server):
    with live_server.client() as client:
        request_id = client.get("/api/v1/health").headers["x-request-id"]
    assert entries_for(live_server, [request_id])
    runtime = live_server.accounts()._rt
    assert purge_access_log(runtime, utc_now() - timedelta(days=1)) >= 0
    assert entries_for(live_server, [request_id], timeout=0)  # younger than the cut-off: kept
    assert purge_access_log(runtime, utc_now() + timedelta(seconds=1)) >= 1
    assert not entries_for(live_server, [request_id], timeout=0)
    runtime.engine.dispose()


def test_p9_staff_see_daily_volumes_without_accounts(live_server):
    with live_server.client() as client:
        request_id = client.get("/api/v1/health").headers["x-request-id"]
    entries_for(live_server, [request_id])
    with live_server.client(staff_token(live_server)) as staff:
        days = staff.get("/api/v1/admin/traffic", params={"days": 2}).json()["items"]
    assert days and days[-1]["requests"] >= 1
    assert set(days[-1]) == {"day", "requests", "errors", "mean_latency_ms"}


def test_p9_client_addresses_are_truncated():
    assert truncate_client("203.0.113.77") == "203.0.113.0/24"
    assert truncate_client("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::/48"
    assert truncate_client("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert truncate_client("unix-socket") is None and truncate_client(None) is None
