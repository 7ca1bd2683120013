"""The cleanup cycle as the server schedules it (`PROMPTWATCH_CLEANUP_INTERVAL_SECONDS`), not as a test or the
CLI runs it: it purges what was deleted, and ingestion goes on meanwhile, on SQLite (one process, no job lock)
as on PostgreSQL (a job lock, so one worker runs it)."""

from __future__ import annotations

import time

import pytest

from tests.support.payloads import llm, session, uid
from tests.support.server import server_with_env


@pytest.fixture(scope="module")
def scheduled(backend, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"scheduled-cleanup-{backend}")
    with server_with_env(backend, directory, PROMPTWATCH_CLEANUP_INTERVAL_SECONDS="1") as server:
        yield server


def test_p18_the_scheduled_cycle_purges_a_deletion_while_ingestion_goes_on(scheduled):
    tenant = scheduled.new_tenant("scheduled")
    with scheduled.client(tenant.api_key) as client:
        sid = uid("s-")
        stored = client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(uid("a-"), sid)]})
        assert stored.status_code == 200
        deleted = client.delete(f"/api/v1/sessions/{sid}")
        assert deleted.status_code == 204
        receipt_url = deleted.headers["location"]
        deadline = time.monotonic() + 20
        while client.get(receipt_url).json()["purged_at"] is None:
            assert time.monotonic() < deadline, "the scheduled cycle never purged the deletion"
            other = uid("s-")  # writes go on while the cycle runs: none waits for it
            started = time.monotonic()
            answer = client.post("/api/v1/ingest", json={"sessions": [session(other)], "activities": []})
            assert answer.status_code == 200 and time.monotonic() - started < 5, answer.text
            time.sleep(0.2)
