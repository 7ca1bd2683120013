"""P1: nothing is shared unless the customer asks. A share link exists only because a member created it; it
is read-only, expires, can be revoked, and its views are counted for the customer. The egress guard fails a
test on any connection outside loopback, in the test process and in the servers it starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import update

from promptwatch.server.services.clock import utc_now
from promptwatch.server.store.tables.sharing import share_links
from tests.support import egress
from tests.support.payloads import llm, uid
from tests.support.server import EGRESS_PATH, server_with_env

from .test_p16_roles import member_token


def test_p1_share_link_is_read_only_counted_and_revocable(live_server):
    tenant = live_server.new_tenant("sharer")
    sid = uid("s-")
    with live_server.client(tenant.api_key) as key:
        key.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, prompt="shared prompt")]})
        link = key.post("/api/v1/share-links", json={"object_id": sid, "expires_in_hours": 2})
        assert link.status_code == 201
        link = link.json()
        base = live_server.base_url
        assert link["url"] == f"{base}/ui/shared/{link['token']}" and link["views"] == 0  # the page to hand on
        assert link["api_url"] == f"{base}/api/v1/shared/{link['token']}"  # what the page reads
        assert key.post("/api/v1/share-links", json={"object_id": "no-such-session"}).status_code == 404
    with live_server.client() as anybody:  # no credential but the link
        page = anybody.get(link["url"])
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        for _ in range(2):
            shared = anybody.get(link["api_url"])
            assert shared.status_code == 200
        assert shared.json()["session"]["activities"][0]["prompt"] == "shared prompt"
        assert "set-cookie" not in shared.headers
        assert anybody.delete(f"/api/v1/sessions/{sid}", headers={"x-api-key": link["token"]}).status_code == 401
        assert anybody.get("/api/v1/shared/pws_" + uid() * 2).status_code == 404
    with live_server.client(tenant.api_key) as key:
        (listed,) = [x for x in key.get("/api/v1/share-links").json()["items"] if x["id"] == link["id"]]
        assert listed["views"] == 2 and listed["last_viewed_at"] and "token" not in listed
        assert key.delete(f"/api/v1/share-links/{link['id']}").status_code == 204
    with live_server.client() as anybody:
        assert anybody.get(link["api_url"]).status_code == 410  # revoked: at once


def test_p1_share_link_expires_and_only_members_create_them(live_server):
    tenant = live_server.new_tenant("expiring")
    sid = uid("s-")
    with live_server.client(tenant.api_key) as key:
        key.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid)]})
        link = key.post("/api/v1/share-links", json={"object_id": sid}).json()
        assert key.post("/api/v1/share-links", json={"object_id": sid, "expires_in_hours": 91 * 24}).status_code == 422
    with live_server.client(member_token(live_server, tenant, "viewer")) as viewer:
        assert viewer.post("/api/v1/share-links", json={"object_id": sid}).status_code == 403
        assert [x["id"] for x in viewer.get("/api/v1/share-links").json()["items"]] == [link["id"]]
    engine = live_server.accounts()._rt.engine
    with engine.begin() as conn:
        past = utc_now() - timedelta(seconds=1)
        conn.execute(update(share_links).where(share_links.c.id == link["id"]).values(expires_at=past))
    engine.dispose()
    with live_server.client() as anybody:
        assert anybody.get(link["api_url"]).status_code == 410


def test_share_link_addresses_are_those_the_caller_reached_behind_a_trusted_proxy(live_server):
    """Without a configured public address the links are built from the request: its Host, and the scheme a
    proxy on 127.0.0.1 forwards (X-Forwarded-Proto)."""
    tenant = live_server.new_tenant("proxied")
    sid = uid("s-")
    with live_server.client(tenant.api_key) as key:
        key.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid)]})
        headers = {"Host": "pw.example.org", "X-Forwarded-Proto": "https"}
        link = key.post("/api/v1/share-links", json={"object_id": sid}, headers=headers).json()
    assert link["url"] == f"https://pw.example.org/ui/shared/{link['token']}"
    assert link["api_url"] == f"https://pw.example.org/api/v1/shared/{link['token']}"


def test_share_link_addresses_start_with_the_configured_public_url(backend, tmp_path):
    with server_with_env(backend, tmp_path, PROMPTWATCH_PUBLIC_URL="https://pw.example.com/") as server:
        sid = uid("s-")
        with server.client(server.first.api_key) as key:
            key.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid)]})
            link = key.post("/api/v1/share-links", json={"object_id": sid}).json()
    assert link["url"] == f"https://pw.example.com/ui/shared/{link['token']}"
    assert link["api_url"] == f"https://pw.example.com/api/v1/shared/{link['token']}"


def test_p1_egress_guard_blocks_connections_outside_loopback_in_the_test_process():
    with egress.expect_blocked() as blocked:
        with socket.socket() as sock, pytest.raises(egress.EgressBlocked):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock, pytest.raises(egress.EgressBlocked):
            sock.connect_ex(("2001:db8::1", 443))
    assert len(blocked) == 2
    assert egress.is_allowed(socket.AF_INET, ("127.0.0.1", 80)) and egress.is_allowed(socket.AF_INET6, ("::1", 80))
    assert egress.is_allowed(socket.AF_INET, ("localhost", 80)) and not egress.is_allowed(socket.AF_INET, ("a.io", 80))


def test_p1_egress_guard_runs_in_the_processes_the_tests_start(tmp_path):
    """A process started like the test servers (same PYTHONPATH and environment) has the guard installed and
    reports what it blocked to the file the test process reads."""
    log = tmp_path / "violations.log"
    env = {**os.environ, egress.LOG_ENV: str(log), "PYTHONPATH": os.pathsep.join(EGRESS_PATH)}
    code = (
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except OSError as e:\n    print(type(e).__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "EgressBlocked", result.stderr
    found, _ = egress.take_violations(str(log))
    assert len(found) == 1 and "192.0.2.1" in found[0]
