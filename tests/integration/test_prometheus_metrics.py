"""Prometheus `/metrics`: the whole server's figures whichever worker answers a scrape, server errors by code,
each worker's process metrics."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from promptwatch.server.store.engine import make_engine
from tests.support.payloads import llm, uid

HEALTH = 'promptwatch_http_requests_total{route="/api/v1/health",status="2xx"}'
SCRAPES = 'promptwatch_http_requests_total{route="/metrics",status="2xx"}'
WRITTEN = "promptwatch_ingest_activities_written_total"
HAS_PROC = Path("/proc/self/stat").exists()  # process metrics are read from /proc


def scrape(server) -> str:
    """`/metrics` on a connection of its own, so that any worker may answer it."""
    answer = httpx.get(f"{server.base_url}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.text


def value(page: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", page, re.M)
    return float(found.group(1)) if found else 0.0


def worker_pids(page: str) -> set[int]:
    return {int(pid) for pid in re.findall(r'^process_start_time_seconds\{pid="(\d+)"\} ', page, re.M)}


@pytest.mark.postgresql  # SQLite serves from one process
def test_each_scrape_of_several_workers_counts_the_whole_server(fresh_server):
    server = fresh_server()
    server.up_args = ["--workers", "2"]
    server.start()
    health_before = value(scrape(server), HEALTH)  # the start-up's health polls
    requests = 30
    for _ in range(requests):  # each on a connection of its own: the workers share them
        assert httpx.get(f"{server.base_url}/api/v1/health", timeout=30).status_code == 200
    sessions = [uid("s-") for _ in range(10)]
    for sid in sessions:
        body = {"activities": [llm(uid("a-"), sid)]}
        headers = {"Authorization": f"Bearer {server.first.api_key}"}
        assert httpx.post(f"{server.base_url}/api/v1/ingest", json=body, headers=headers, timeout=30).is_success

    pages = [scrape(server) for _ in range(8)]
    assert [value(page, SCRAPES) for page in pages] == [float(n) for n in range(1, 9)]  # the first scrape counts too
    assert {value(page, HEALTH) for page in pages} == {health_before + requests}
    assert {value(page, WRITTEN) for page in pages} == {float(len(sessions))}
    for page in pages:  # one queue depth, the workers' sum; no old gauge, no lumped server errors
        assert re.findall(r"^promptwatch_ingest_queue_depth\S* (\S+)$", page, re.M) == ["0.0"]
        assert "promptwatch_ingest_activities_written " not in page and 'status="5xx"' not in page
    if not HAS_PROC:
        return

    pids = worker_pids(pages[-1])
    assert len(pids) == 2
    killed = min(pids)
    os.kill(killed, signal.SIGKILL)  # the server starts another worker; what the killed one counted stays
    deadline = time.monotonic() + 60
    while len(now := worker_pids(page := scrape(server))) != 2 or killed in now:
        assert time.monotonic() < deadline, f"workers {now} after killing {killed} of {pids}"
        time.sleep(0.2)
    assert value(page, HEALTH) == health_before + requests
    assert value(page, WRITTEN) == len(sessions)
    assert value(page, SCRAPES) >= 9


def test_server_errors_are_counted_by_code(fresh_server):
    server = fresh_server().start()
    engine = make_engine(server.database_url)
    try:
        with engine.begin() as connection:  # a schema the server does not know: not ready, 503
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('elsewhere')"))
        assert httpx.get(f"{server.base_url}/api/v1/ready", timeout=30).status_code == 503
        with engine.begin() as connection:  # a table gone under the server: listing projects fails, 500
            connection.execute(text("ALTER TABLE projects RENAME TO projects_gone"))
        with server.client(server.first.api_key) as client:  # the server closes the connection of a 500
            assert client.get("/api/v1/projects").status_code == 500
        assert httpx.get(f"{server.base_url}/api/v1/nothing-here", timeout=30).status_code == 404
        page = scrape(server)
    finally:
        engine.dispose()
    assert value(page, 'promptwatch_http_requests_total{route="/api/v1/ready",status="503"}') == 1
    assert value(page, 'promptwatch_http_requests_total{route="/api/v1/projects",status="500"}') == 1
    assert value(page, 'promptwatch_http_requests_total{route="unmatched",status="4xx"}') == 1
    assert 'status="5xx"' not in page
    if HAS_PROC:  # one worker: its own process metrics
        assert len(worker_pids(page)) == 1
        assert re.search(r'^process_resident_memory_bytes\{pid="\d+"\} [1-9]', page, re.M)
