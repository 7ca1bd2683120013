"""A PostgreSQL server, or a network to it, that accepts connections and never answers: `up` stops with one line
after the connect timeout instead of waiting for minutes, and readiness answers 503 within seconds instead
of hanging with the connection or the statement it waits on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from promptwatch.server.store.engine import make_engine
from tests.integration.test_cli import assert_one_line_error, promptwatch
from tests.support.server import free_port

pytestmark = pytest.mark.timeout(180)


class Relay:
    """A TCP relay to `upstream` on a port of its own that can freeze: it then holds what either side sends, and
    accepts new connections without ever answering them, as a stalled proxy or network does. Without an
    upstream it is frozen from the start."""

    def __init__(self, upstream: tuple[str, int] | None = None) -> None:
        self.upstream = upstream
        self.frozen = threading.Event()
        if upstream is None:
            self.frozen.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._sockets.append(client)
            if self.frozen.is_set():
                continue  # held open, never answered
            server = socket.create_connection(self.upstream)
            self._sockets.append(server)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.05)
                target.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.frozen.clear()
        for sock in self._sockets:
            sock.close()


@contextmanager
def relay(upstream: tuple[str, int] | None = None) -> Iterator[Relay]:
    r = Relay(upstream)
    try:
        yield r
    finally:
        r.close()


def test_up_on_a_database_that_never_answers_stops_after_the_connect_timeout(tmp_path):
    with relay() as silent:
        url = f"postgresql://postgres@127.0.0.1:{silent.port}/promptwatch"
        started = time.monotonic()
        result = promptwatch(
            "up",
            "--port",
            str(free_port()),
            "--data-dir",
            str(tmp_path / "new"),
            home=tmp_path,
            database_url=url,
            database_connect_timeout_seconds="2",
        )
        elapsed = time.monotonic() - started
    assert_one_line_error(result, "cannot connect to the database", "connection timeout expired")
    assert elapsed < 30, elapsed


@pytest.mark.postgresql
def test_readiness_through_a_stalled_network_answers_503_within_seconds(fresh_server):
    server = fresh_server()
    database = make_url(server.database_url)
    with relay((database.host, database.port or 5432)) as network:
        server.database_url = database.set(port=network.port).render_as_string(hide_password=False)
        server.start()
        with server.client() as client:
            assert client.get("/api/v1/ready").status_code == 200  # the pool holds connections through the relay
            network.frozen.set()
            started = time.monotonic()
            try:
                ready = client.get("/api/v1/ready", timeout=30)
            except httpx.TimeoutException:
                pytest.fail("readiness did not answer within 30 s")
            elapsed = time.monotonic() - started
            network.frozen.clear()
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable", ready.text
        assert elapsed < 10, elapsed
        server.stop()


@pytest.mark.postgresql
def test_readiness_while_its_statement_waits_answers_503_within_seconds(fresh_server):
    """A database that takes the connection but does not finish the statement (here: a table locked by a long
    migration) is not ready either."""
    server = fresh_server().start()
    engine = make_engine(server.database_url)
    with engine.connect() as migration, migration.begin():
        migration.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with server.client() as client:
            ready = client.get("/api/v1/ready", timeout=30)
        elapsed = time.monotonic() - started
    engine.dispose()
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable", ready.text
    assert elapsed < 10, elapsed
