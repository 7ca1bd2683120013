"""A stand-in for the server's native ingest endpoint that records exactly what the SDK sends.

`CaptureSink` is a small threaded HTTP server on 127.0.0.1 (a free port) implementing
`POST /api/v1/ingest`: it checks the bearer key, validates every item with the real `SessionIn` /
`ActivityIn` models and answers per item as the server does. It can be told to answer 503 (with
`Retry-After`), to answer 413 above a size, or to be down (`stop()`; `start()` brings it back on the same
port). The fixtures below give SDK tests a sink and an SDK configured to send to it, with the SDK's
never-raise guard made strict so that what it would swallow fails the test.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError

from promptwatch.schema.records import ActivityIn, SessionIn

API_KEY = base64.b64encode(b"sdk-test-key:sdk-test-secret").decode()


class CaptureSink:
    def __init__(self, api_key: str = API_KEY):
        self.api_key = api_key
        self.port = 0
        self.lock = threading.Lock()
        self.sessions: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.invalid: list[dict[str, Any]] = []
        self.requests = 0
        self.fail_with: int | None = None  # answer every request with this status (e.g. 503)
        self.max_items: int | None = None  # answer 413 above this many items
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CaptureSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                status, reply, headers = sink.handle(self.path, self.headers.get("Authorization"), body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Go down: connections are refused until `start()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, path: str, authorization: str | None, body: bytes) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.requests += 1
        if path != "/api/v1/ingest":
            return 404, {"detail": "not found"}, {}
        if authorization != f"Bearer {self.api_key}":
            return 401, {"detail": "bad key"}, {}
        if self.fail_with is not None:
            return self.fail_with, {"detail": "busy"}, {"Retry-After": "0.1"}
        batch = json.loads(body)
        if self.max_items is not None and len(batch["sessions"]) + len(batch["activities"]) > self.max_items:
            return 413, {"detail": "too large"}, {}
        answer: dict[str, Any] = {"sessions": [], "activities": [], "stored": 0, "rejected": 0}
        for group, model, store in (("sessions", SessionIn, self.sessions),
                                    ("activities", ActivityIn, self.activities)):
            for item in batch[group]:
                try:
                    model.model_validate(item)
                except ValidationError as exc:
                    with self.lock:
                        self.invalid.append(item)
                    answer[group].append({"id": item.get("id"), "status": "invalid",
                                          "errors": json.loads(exc.json())})
                    answer["rejected"] += 1
                    continue
                with self.lock:
                    store.append(item)
                answer[group].append({"id": item["id"], "status": "stored", "errors": None})
                answer["stored"] += 1
        return 200, answer, {}

    # reading what arrived --------------------------------------------------------------------------

    def latest_activities(self) -> dict[str, dict[str, Any]]:
        """Each activity's last received copy, by id."""
        with self.lock:
            return {item["id"]: item for item in self.activities}

    def latest_sessions(self) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {item["id"]: item for item in self.sessions}

    def of_type(self, activity_type: str) -> list[dict[str, Any]]:
        return [item for item in self.latest_activities().values() if item["activity_type"] == activity_type]

    def wait_for(self, predicate: Callable[[CaptureSink], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.01)
        return predicate(self)


@pytest.fixture
def sink() -> Iterator[CaptureSink]:
    server = CaptureSink().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def strict_guard(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """Isolate the SDK from the host's PROMPTWATCH_* and cache dir, and make its guard re-raise.

    Autouse wherever it is imported (tests/unit/sdk and tests/unit/integrations conftests)."""
    from promptwatch.sdk import _safe, config, pipeline

    for variable in config.ENV_VARS.values():
        monkeypatch.delenv(variable.name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pipeline.configure(enabled=False)
    _safe.reset_warnings()
    _safe.CAUGHT.clear()
    monkeypatch.setattr(_safe, "STRICT", True)
    yield
    pipeline.shutdown(2.0)
    caught = list(_safe.CAUGHT)
    _safe.CAUGHT.clear()
    assert not caught, f"never_raise() swallowed: {caught!r}"


@pytest.fixture
def sdk(strict_guard: None, sink: CaptureSink, tmp_path: Any) -> Iterator[CaptureSink]:
    """The SDK configured to send to `sink` quickly; yields the sink. `promptwatch.flush()` to wait."""
    from promptwatch.sdk import pipeline

    pipeline.configure(api_key=sink.api_key, host_url=sink.url, spool_dir=tmp_path / "spool",
                       flush_interval=0.02)
    yield sink


if __name__ == "__main__":  # a sink in its own process (bench): prints its URL, serves until stdin closes
    import sys

    standalone = CaptureSink().start()
    print(standalone.url, flush=True)
    sys.stdin.read()
    standalone.stop()
    print(len(standalone.activities), len(standalone.sessions), flush=True)
