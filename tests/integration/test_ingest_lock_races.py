"""Two server processes on one PostgreSQL under concurrent ingest: batches whose calls share hourly roll-up rows
never fail with a 500, and every acknowledged activity is stored and counted once."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.usage import latency_hourly, usage_hourly
from tests.support.payloads import llm, session, uid

pytestmark = [pytest.mark.postgresql, pytest.mark.timeout(300)]  # several workers share one PostgreSQL

TENANTS = [f"tenant-{n}" for n in range(20)]
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-haiku"]


def batch(rng: random.Random) -> dict:
    """10 sessions of 10 closed calls each, in the same hour; the sessions are of 6 of the 20 tenants and the
    calls of the 3 models, so that concurrent batches add to overlapping sets of roll-up rows."""
    tenants = rng.sample(TENANTS, 6)
    sessions = [session(uid("s-"), tracking_tenant=tenants[n % 6]) for n in range(10)]
    calls = [llm(uid("a-"), s["id"], model=rng.choice(MODELS)) for s in sessions for _ in range(10)]
    return {"sessions": sessions, "activities": calls}


def test_concurrent_batches_on_two_workers_never_fail_and_are_all_stored(two_workers):
    first, second = two_workers
    key = first.first.api_key
    rng = random.Random(7)
    bodies = [batch(rng) for _ in range(100)]
    statuses: list[int] = []

    def send(n: int) -> int:
        """Send a batch as a client does: again after a 503, when Retry-After says."""
        server = (first, second)[n % 2]
        with server.client(key) as client:
            for _ in range(20):
                response = client.post("/api/v1/ingest", json=bodies[n])
                statuses.append(response.status_code)
                if response.status_code != 503:
                    break
                time.sleep(float(response.headers["Retry-After"]))
        assert response.status_code == 200, response.text
        return response.json()["stored"]

    with ThreadPoolExecutor(16) as pool:
        stored = list(pool.map(send, range(len(bodies))))
    assert 500 not in statuses
    assert stored == [110] * len(bodies)  # 10 sessions and 100 calls each
    engine = make_engine(first.database_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(activities)).scalar() == 100 * len(bodies)
        assert conn.execute(select(func.sum(usage_hourly.c.calls))).scalar() == 100 * len(bodies)
        assert conn.execute(select(func.sum(latency_hourly.c.count))).scalar() == 100 * len(bodies)
    engine.dispose()
