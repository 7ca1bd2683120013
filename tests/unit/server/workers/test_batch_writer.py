"""The batch writer: jobs that share a transaction, and a failing job that fails alone."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from promptwatch.server.store import accounts as account_store
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import ensure_current
from promptwatch.server.store.tables.sessions import sessions
from promptwatch.server.workers.batch_writer import BatchWriter, Job
from tests.support.databases import fresh_database

NOW = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


@pytest.fixture
def engine(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        ensure_current(engine, create_if_empty=True)
        yield engine
        engine.dispose()


def session(sid: str) -> dict:
    return {"id": sid, "project": None, "tracking_tenant": None, "start_time": NOW, "source": "native"}


def test_a_failing_job_fails_alone_and_the_others_in_its_transaction_are_stored(engine):
    with engine.begin() as conn:
        account = account_store.create_account(conn, "acme", NOW)
    writer = BatchWriter(engine, queue_limit=10)
    loop = asyncio.new_event_loop()
    jobs = [
        Job(account, [session("first")], [], loop.create_future()),
        Job(account + 1000, [session("orphan")], [], loop.create_future()),  # no such account: the insert fails
        Job(account, [session("third")], [], loop.create_future()),
    ]
    first, failed, third = writer._write(jobs)
    loop.close()
    assert first == ({"first": "stored"}, {}) and third == ({"third": "stored"}, {})
    assert isinstance(failed, IntegrityError)
    with engine.connect() as conn:
        stored = conn.execute(select(sessions.c.id).order_by(sessions.c.id)).scalars().all()
        assert stored == ["first", "third"]
        assert conn.execute(select(func.count()).select_from(sessions)).scalar() == 2
    assert writer.stats.failures == 1 and writer.stats.jobs == 3
