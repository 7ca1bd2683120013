"""A session's metadata, which comes with it in every row of the session list, is bounded: at most 256 keys and
16 KB of JSON. The native API refuses more, naming `metadata`, and keeps what was stored; the published client's
endpoints keep the session and the keys that fit, logging what they dropped; OTLP keeps the resource attributes
that fit."""

from __future__ import annotations

import orjson

from tests.integration.test_otlp import json_span, otlp_json, post
from tests.support.payloads import session, uid

MAX_METADATA_KEYS, MAX_METADATA_BYTES = 256, 16 * 1024  # as docs/api.md gives them


def ingest_sessions(client, *sessions: dict) -> list[dict]:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions)})
    assert response.status_code == 200, response.text
    return response.json()["sessions"]


def stored_metadata(client, sid: str) -> dict | None:
    response = client.get(f"/api/v1/sessions/{sid}")
    assert response.status_code == 200, response.text
    return response.json()["metadata"]


def json_size(value) -> int:
    return len(orjson.dumps(value))


def test_the_native_api_refuses_metadata_over_the_limit_naming_it_and_keeps_what_was_stored(client):
    project, sid, full = uid("proj-"), uid("s-"), uid("s-")
    kept = {"plan": "pro", "region": "eu"}
    largest = {f"k{i:03d}": "v" * 53 for i in range(MAX_METADATA_KEYS)}  # 256 keys, just under 16 KB
    assert json_size(largest) <= MAX_METADATA_BYTES
    first = ingest_sessions(
        client, session(sid, tracking_project=project, metadata=kept), session(full, metadata=largest)
    )
    assert [item["status"] for item in first] == ["stored", "stored"]
    too_many = {f"k{i}": i for i in range(MAX_METADATA_KEYS + 1)}
    too_large = {"notes": "é" * (MAX_METADATA_BYTES // 2)}
    answers = ingest_sessions(client, session(sid, metadata=too_many), session(sid, metadata=too_large))
    assert [item["status"] for item in answers] == ["invalid", "invalid"]
    assert [(e["field"], e["type"]) for item in answers for e in item["errors"]] == [
        ("metadata", "too_long"),
        ("metadata", "json_too_large"),
    ]
    assert "257 keys; at most 256" in answers[0]["errors"][0]["message"]
    assert f"at most {MAX_METADATA_BYTES}" in answers[1]["errors"][0]["message"]
    assert stored_metadata(client, sid) == kept
    assert stored_metadata(client, full) == largest
    listed = client.get("/api/v1/sessions", params={"project": project}).json()["items"]
    assert [(item["id"], item["metadata"]) for item in listed] == [(sid, kept)]


def test_the_published_clients_session_keeps_the_keys_that_fit_and_the_drop_is_logged(live_server, client):
    small, huge = uid("legacy-"), uid("legacy-")
    assert client.post("/sessions/start", json={"id": small, "steps_count": 1, "release": "1.4"}).status_code == 200
    assert stored_metadata(client, small) == {"release": "1.4"}
    extra = {f"field_{i}": i for i in range(50_000)}
    response = client.post("/sessions/start", json={"id": huge, "session_name": "many fields", **extra})
    assert response.status_code == 200, response.text
    stored = client.get(f"/api/v1/sessions/{huge}").json()
    assert stored["session_name"] == "many fields"
    metadata = stored["metadata"]
    assert len(metadata) == MAX_METADATA_KEYS and json_size(metadata) <= MAX_METADATA_BYTES
    assert metadata == {key: extra[key] for key in list(extra)[:MAX_METADATA_KEYS]}
    assert "a session's metadata is over the limit" in live_server.log_text()
    assert "49744 of its 50000 keys dropped" in live_server.log_text()


def test_otlp_keeps_the_resource_attributes_that_fit_as_the_sessions_metadata(client):
    trace_id = uid() + uid()
    long_values = {f"process.detail.{i}": str(i) * 8000 for i in range(4)}  # 8,000 characters each: two fit
    resource = {**long_values, "service.name": "checkout", "host.name": "web-1"}
    response = post(client, otlp_json([json_span(trace_id, uid())], resource))
    assert response.status_code == 200 and response.json() == {}, response.text
    metadata = stored_metadata(client, trace_id)
    assert json_size(metadata) <= MAX_METADATA_BYTES
    assert metadata == {
        "process.detail.0": long_values["process.detail.0"],
        "process.detail.1": long_values["process.detail.1"],
        "service.name": "checkout",
        "host.name": "web-1",
    }
