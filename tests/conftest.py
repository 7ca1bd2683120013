"""Shared fixtures: `--db sqlite|postgresql|all` chooses the databases every server test runs on."""

from __future__ import annotations

import os

import pytest

from tests.support import egress
from tests.support.databases import fresh_database
from tests.support.server import LiveServer, free_port, provision


def pytest_addoption(parser):
    parser.addoption(
        "--db", default="all", choices=("sqlite", "postgresql", "all"), help="database(s) for server tests"
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        backends = ["sqlite", "postgresql"] if chosen == "all" else [chosen]
        for only in ("sqlite", "postgresql"):  # a test about one database runs on that one alone
            if metafunc.definition.get_closest_marker(only):
                backends = [backend for backend in backends if backend == only]
        metafunc.parametrize("backend", backends, scope="session")


@pytest.fixture(scope="session", autouse=True)
def egress_guard(tmp_path_factory):
    """P1: no connection outside 127.0.0.0/8 and ::1 from the tests or the servers they start."""
    log = tmp_path_factory.mktemp("egress") / "violations.log"
    os.environ[egress.LOG_ENV] = str(log)  # the servers' sitecustomize appends what it blocks here
    egress.install()
    yield log


@pytest.fixture(autouse=True)
def no_egress(egress_guard):
    """Fails the test during which any outbound connection was attempted."""
    offset = egress_guard.stat().st_size if egress_guard.exists() else 0
    yield
    found, _ = egress.take_violations(str(egress_guard), offset)
    if found:
        pytest.fail("outbound connections outside loopback:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(scope="session")
def live_server(backend, tmp_path_factory) -> LiveServer:
    """One running server per database backend for the whole test session; tests use unique ids."""
    directory = tmp_path_factory.mktemp(f"server-{backend}")
    with fresh_database(backend, directory) as url:
        server = provision(url, directory).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def fresh_server(backend, tmp_path):
    """A server of its own, for tests that restart it or need an empty database."""
    servers: list[LiveServer] = []

    def make() -> LiveServer:
        directory = tmp_path / f"db{len(servers)}"
        directory.mkdir()
        context = fresh_database(backend, directory)
        url = context.__enter__()
        server = provision(url, directory)
        server._db_context = context
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
        server._db_context.__exit__(None, None, None)


@pytest.fixture
def client(live_server):
    with live_server.client(live_server.first.api_key) as c:
        yield c


@pytest.fixture
def two_workers(backend, fresh_server):
    """Two server processes on one PostgreSQL database: the scale-out shape (tests using it are marked
    `postgresql`: SQLite serves from one process)."""
    first = fresh_server().start()
    second = LiveServer(f"http://127.0.0.1:{free_port()}", first.database_url, first.data_dir, first=first.first)
    second.start()
    yield first, second
    second.stop()
