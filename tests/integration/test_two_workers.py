"""Two server processes on one PostgreSQL (the scale-out shape) never duplicate or double-count."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.payloads import chain, llm, session, uid

pytestmark = pytest.mark.postgresql  # several workers share one PostgreSQL; SQLite serves from one process


def test_same_batches_through_two_workers_are_stored_once(two_workers):
    first, second = two_workers
    key = first.first.api_key
    sid = uid("s-")
    root = uid("c-")
    open_chain = chain(root, sid, closed=False)
    calls = [
        llm(uid("a-"), sid, parent_activity_id=root, usage={"prompt_tokens": 10, "completion_tokens": 1})
        for _ in range(40)
    ]
    batches = [{"sessions": [session(sid)], "activities": [open_chain, *calls[i : i + 10]]} for i in range(0, 40, 10)]
    closing = {"activities": [chain(root, sid, outputs={"text": "ok"})]}

    def send(args):
        server, body = args
        with server.client(key) as client:
            response = client.post("/api/v1/ingest", json=body)
            assert response.status_code == 200, response.text

    work = [(server, body) for body in batches + [closing] * 3 for server in (first, second)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, work))
    with first.client(key) as client:
        stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert len(stored["activities"]) == 41
    assert stored["activity_count"] == 41 and stored["llm_calls"] == 40
    assert stored["prompt_tokens"] == 400 and stored["completion_tokens"] == 40
    closed_root = next(a for a in stored["activities"] if a["id"] == root)
    assert closed_root["end_time"] is not None and closed_root["outputs"] == {"text": "ok"}
    with second.client(key) as client:
        usage = client.get("/api/v1/metrics/usage").json()["totals"]
    assert usage["calls"] == 40
