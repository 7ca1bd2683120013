"""Two `promptwatch up` started at the same moment on one new PostgreSQL database take turns at creating the
schema and at the first run's operator, account and key: both serve, and the store holds one of each, whether
the database was empty or `promptwatch db upgrade` had made its schema."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select, text

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.tables.accounts import accounts, users
from promptwatch.server.store.tables.credentials import api_keys
from tests.support.databases import fresh_database
from tests.support.server import LiveServer, free_port

pytestmark = [pytest.mark.postgresql, pytest.mark.timeout(240)]  # SQLite is served by one process


def wait_for_waiters(engine: Engine, count: int, timeout: float = 60) -> None:
    """Until `count` sessions of the database wait for a lock (a table's, or an advisory lock)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while conn.execute(waiting).scalar() < count and time.monotonic() < deadline:
            conn.rollback()
            time.sleep(0.05)


@pytest.mark.parametrize("schema", ["empty", "upgraded"])
def test_two_servers_started_at_once_on_a_new_database_both_serve_one_first_account(backend, schema, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        servers = []
        for name in ("one", "two"):  # data dirs of their own: nothing but the database makes them take turns
            (tmp_path / name).mkdir()
            servers.append(LiveServer(f"http://127.0.0.1:{free_port()}", url, tmp_path / name))
        try:
            with ThreadPoolExecutor(2) as pool:
                if schema == "empty":
                    starts = [pool.submit(server.start) for server in servers]
                else:
                    upgrade(engine)  # as `promptwatch db upgrade` does
                    with engine.connect() as holder, holder.begin():
                        # both servers come to their first writes before either may write: each then waits
                        # for the table, or one for the table and the other for its turn
                        holder.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
                        starts = [pool.submit(server.start) for server in servers]
                        wait_for_waiters(engine, 2)
                for started in starts:
                    started.result()  # the server answers /health
            for server in servers:
                with server.client() as client:
                    assert client.get("/api/v1/ready").status_code == 200, server.log_text()
        finally:
            for server in servers:
                server.stop()
        assert sum("PromptWatch is set up." in server.log_text() for server in servers) == 1
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(accounts)).scalar() == 1
            operators = select(func.count()).select_from(users).where(users.c.instance_role == "operator")
            assert conn.execute(operators).scalar() == 1
            assert conn.execute(select(func.count()).select_from(api_keys)).scalar() == 1
        engine.dispose()
