"""Operations: health, readiness, Prometheus metrics, the self-hosted API docs, temporary keys, the CLI."""

from __future__ import annotations

import base64
import re

from tests.support.payloads import llm, uid


def test_health_and_readiness(live_server):
    with live_server.client() as client:
        assert client.get("/api/v1/health").json() == {"status": "ok"}
        ready = client.get("/api/v1/ready")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_prometheus_metrics_count_requests_and_ingest(client):
    client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), uid("s-"))]})
    text = client.get("/metrics").text
    assert 'promptwatch_http_requests_total{route="/api/v1/ingest",status="2xx"}' in text
    assert "promptwatch_ingest_queue_depth" in text
    written = float(re.search(r"^promptwatch_ingest_activities_written_total (\S+)$", text, re.M).group(1))
    assert written >= 1


def test_docs_page_uses_only_the_instance_assets(live_server):
    with live_server.client() as client:
        page = client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        fetched = [s for s in sources if not s.startswith("data:")]  # an inline favicon fetches nothing
        assert fetched and all(s.startswith("/static/") for s in fetched)
        for source in fetched:
            assert client.get(source).status_code == 200, source
        spec = client.get("/openapi.json").json()
        ingest = spec["paths"]["/api/v1/ingest"]["post"]
        assert {"401", "422", "503"} <= set(ingest["responses"])
        assert "csp" not in page.headers and "script-src 'self'" in page.headers["content-security-policy"]


def test_temp_key_opens_a_sandbox_whose_key_id_names_the_session(live_server):
    with live_server.client() as client:
        answer = client.post("/api/v1/temp-keys")
        assert answer.status_code == 200, answer.text
        key, session_id = answer.json()["api_key"], answer.json()["session_id"]
        assert base64.b64decode(key).decode().split(":")[0] == "temp_" + session_id
    with live_server.client(key) as sandbox:
        sandbox.post(f"/sessions/{session_id}/activities", json=[llm(uid("a-"), session_id)])
        assert sandbox.get(f"/sessions/{session_id}").json()["id"] == session_id
        assert sandbox.get("/api/v1/me").json()["account"]["kind"] == "sandbox"


def test_temp_keys_are_rate_limited_and_can_be_off(fresh_server):
    server = fresh_server()
    server.extra_env = {"PROMPTWATCH_TEMP_KEY_RATE_PER_HOUR": "2"}
    server.start()
    with server.client() as client:
        codes = [client.post("/api/v1/temp-keys").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    server.stop()
    server.extra_env = {"PROMPTWATCH_MULTI_ACCOUNT": "true"}
    server.start()
    with server.client() as client:
        assert client.post("/api/v1/temp-keys").status_code == 403
