"""Sessions deleted while they, and other sessions of the same hours, are being written on PostgreSQL (several
ingest writers): no request fails with a 500, no deleted session comes back, and the hourly roll-ups end
counting exactly the calls stored."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.sessions import sessions
from promptwatch.server.store.tables.usage import latency_hourly, usage_hourly
from tests.support.payloads import BASE_TIME, iso, llm, session, uid

pytestmark = [pytest.mark.postgresql, pytest.mark.timeout(300)]  # PostgreSQL: several transactions write at once

TENANTS = [f"tenant-{n}" for n in range(4)]
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-haiku"]
SESSIONS = 48


def calls(rng: random.Random, sid: str, count: int, closed: bool = True) -> list[dict]:
    return [llm(uid("a-"), sid, model=rng.choice(MODELS), closed=closed) for _ in range(count)]


class Traffic:
    """Sessions of the same hour and tenants, each with closed calls and open ones, and the requests that write
    more into them, sent from threads as a client sends them (again after a 503, when Retry-After says)."""

    def __init__(self, server) -> None:
        self.server = server
        self.key = server.accounts()._rt.keys.create(server.first.account_id, "admin")  # deletes a time range too
        self.rng = random.Random(11)
        self.seeded = {uid("s-"): TENANTS[n % len(TENANTS)] for n in range(SESSIONS)}
        self.open_calls = {sid: calls(self.rng, sid, 3, closed=False) for sid in self.seeded}
        self.statuses: list[int] = []
        with server.client(self.key) as client:
            for sid, tenant in self.seeded.items():
                held = calls(self.rng, sid, 4) + self.open_calls[sid]
                body = {"sessions": [session(sid, tracking_tenant=tenant)], "activities": held}
                assert client.post("/api/v1/ingest", json=body).status_code == 200

    def writes(self, sid: str) -> tuple:
        """Closes the session's open calls and adds calls to it, and to a new session of its tenant and hour."""
        other, tenant = uid("s-"), self.seeded[sid]
        closing = [{**call, "end_time": iso(BASE_TIME + timedelta(seconds=2))} for call in self.open_calls[sid]]
        body = {
            "sessions": [session(sid, tracking_tenant=tenant), session(other, tracking_tenant=tenant)],
            "activities": closing + calls(self.rng, sid, 3) + calls(self.rng, other, 6),
        }
        return "POST", "/api/v1/ingest", {"json": body}

    def run(self, tasks: list[tuple]) -> list[int]:
        def send(task) -> int:
            method, url, kwargs = task
            with self.server.client(self.key) as client:
                for _ in range(30):
                    response = client.request(method, url, **kwargs)
                    self.statuses.append(response.status_code)
                    if response.status_code != 503:
                        break
                    time.sleep(float(response.headers["Retry-After"]))
            assert response.status_code in (200, 204), response.text
            return response.status_code

        self.rng.shuffle(tasks)
        with ThreadPoolExecutor(12) as pool:
            return list(pool.map(send, tasks))

    def assert_rollups_count_the_stored_calls(self) -> None:
        engine = make_engine(self.server.database_url)
        with engine.connect() as conn:
            counted = (  # the closed calls stored, per tenant and model
                select(sessions.c.tracking_tenant, activities.c.model, func.count())
                .join(sessions, sessions.c.pk == activities.c.session_pk)
                .where(activities.c.activity_type == "llm-prompt", activities.c.end_time.is_not(None))
                .group_by(sessions.c.tracking_tenant, activities.c.model)
            )
            stored = {(tenant, model): n for tenant, model, n in conn.execute(counted)}
            rolled = select(usage_hourly.c.tracking_tenant, usage_hourly.c.model, func.sum(usage_hourly.c.calls))
            rolled = rolled.group_by(usage_hourly.c.tracking_tenant, usage_hourly.c.model)
            rollups = {(tenant, model): n for tenant, model, n in conn.execute(rolled)}
            latency = conn.execute(select(func.sum(latency_hourly.c.count))).scalar()
            emptied = select(func.count()).select_from(usage_hourly).where(usage_hourly.c.calls <= 0)
            assert conn.execute(emptied).scalar() == 0
        engine.dispose()
        assert sum(stored.values()) == sum(rollups.values()) == (latency or 0)
        assert rollups == stored


def test_p18_sessions_deleted_while_written_never_fail_never_come_back_and_leave_exact_rollups(fresh_server):
    traffic = Traffic(fresh_server().start())
    tasks = [("DELETE", f"/api/v1/sessions/{sid}", {}) for sid in traffic.seeded]
    tasks += [traffic.writes(sid) for sid in traffic.seeded for _ in range(2)]
    done = traffic.run(tasks)
    assert 500 not in traffic.statuses
    assert done.count(204) == SESSIONS
    traffic.assert_rollups_count_the_stored_calls()
    with traffic.server.client(traffic.key) as client:  # a write that read no tombstone before the deletion...
        back = [sid for sid in traffic.seeded if client.get(f"/api/v1/sessions/{sid}").status_code != 404]
    assert back == []  # ... never brings its session back (P18)


def test_an_hour_deleted_while_written_never_fails_and_leaves_exact_rollups(fresh_server):
    server = fresh_server()
    server.extra_env = {"PROMPTWATCH_DELETION_CHUNK_ACTIVITIES": "0"}  # the hour's sessions in one transaction
    traffic = Traffic(server.start())
    hour = {"json": {"since": iso(BASE_TIME), "until": iso(BASE_TIME + timedelta(hours=1))}}
    tasks = [("POST", "/api/v1/deletions/time-range", hour)] * 4
    tasks += [traffic.writes(sid) for sid in traffic.seeded for _ in range(2)]
    traffic.run(tasks)
    assert 500 not in traffic.statuses
    traffic.assert_rollups_count_the_stored_calls()
