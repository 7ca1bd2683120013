"""A real PromptWatch server in its own process on 127.0.0.1, and the accounts and keys tests need."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from promptwatch.server.services.accounts import AccountService
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import ensure_current
from tests.support.databases import fresh_database

# sitecustomize installs the egress guard in the server process (tests/support/egress.py)
EGRESS_PATH = [str(Path(__file__).parent / "egress_site"), str(Path(__file__).resolve().parents[2])]
TEST_ENV = {
    "PROMPTWATCH_PASSWORD_TIME_COST": "1",
    "PROMPTWATCH_PASSWORD_MEMORY_COST": "64",
    "PROMPTWATCH_INSTANCE_SECRET": "test-instance-secret",
    # a server backs up soon after it starts when its catalog lists none: only the tests of the schedule do
    "PROMPTWATCH_BACKUP_INTERVAL_HOURS": "0",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Tenant:
    """An account of the running server with an ingest key and an owner that can log in."""

    account_id: int
    api_key: str
    owner_email: str
    owner_password: str


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    data_dir: Path
    process: subprocess.Popen | None = None
    first: Tenant | None = None
    log_path: Path | None = None
    extra_env: dict = field(default_factory=dict)
    up_args: list = field(default_factory=list)  # more `promptwatch up` options, e.g. ["--workers", "2"]

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            **{k.removeprefix("PROMPTWATCH_").lower(): v for k, v in TEST_ENV.items()},
        )

    def accounts(self) -> AccountService:
        settings = self.settings()
        return AccountService(Runtime.build(settings, make_engine(settings.database_url)))

    def new_tenant(self, name: str = "other") -> Tenant:
        accounts = self.accounts()
        email = f"{name}-{os.urandom(4).hex()}@example.test"
        account_id = accounts.create_account(name, email, "pw-" + name)
        key = accounts._rt.keys.create(account_id, "ingest", name="test")
        return Tenant(account_id, key, email, "pw-" + name)

    def client(self, key: str | None = None, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs)

    def start(self) -> LiveServer:
        port = int(self.base_url.rsplit(":", 1)[1])
        env = {**os.environ, **TEST_ENV, **self.extra_env, "PROMPTWATCH_DATABASE_URL": self.database_url}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [*EGRESS_PATH, env.get("PYTHONPATH")]))  # egress guard
        self.log_path = self.data_dir / f"server-{port}.log"
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "promptwatch.cli",
                "up",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(self.data_dir),
                *self.up_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_healthy(self.base_url, self.process, self.log_path)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


def wait_healthy(base_url: str, process: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server not healthy after {timeout}s:\n{log_path.read_text(errors='replace')}")


def provision(database_url: str, data_dir: Path) -> LiveServer:
    """Create the schema and the first account (as `promptwatch up` does on its first run)."""
    server = LiveServer(f"http://127.0.0.1:{free_port()}", database_url, data_dir)
    settings = server.settings()
    engine = make_engine(database_url)
    ensure_current(engine, create_if_empty=True)
    first = AccountService(Runtime.build(settings, engine)).bootstrap(owner_email="owner@example.test")
    engine.dispose()
    server.first = Tenant(first.account_id, first.api_key, first.owner_email, first.owner_password)
    return server


@contextmanager
def server_with_env(backend: str, directory: Path, **env: str) -> Iterator[LiveServer]:
    """A server of its own on a fresh database, started with these extra environment variables."""
    with fresh_database(backend, directory) as url:
        server = provision(url, directory)
        server.extra_env = env
        server.start()
        try:
            yield server
        finally:
            server.stop()
