"""The access log (P9): for diagnosing problems — method, route template (never the raw path, so share
tokens, cache namespaces and ids are not in it), status, latency, a request id and the client address
truncated to its /24 (IPv4) or /48 (IPv6). Never a query string, header, body, key or account.

Entries are buffered in memory and written in batches by a task in the app's lifespan; they are kept for
`PROMPTWATCH_ACCESS_LOG_DAYS` and removed by `purge_access_log(runtime, before)`, which the cleanup
cycle calls (`purge_expired_access_log(runtime)` uses the setting).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections import deque
from datetime import datetime, timedelta

from ..store import access_log as store
from .clock import utc_now
from .runtime import Runtime

FLUSH_SECONDS = 1.0
MAX_BUFFER = 50_000
log = logging.getLogger(__name__)


def truncate_client(host: str | None) -> str | None:
    """An address cut to its network: IPv4 /24, IPv6 /48; anything else (a socket path, a name) is dropped."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class AccessLog:
    """Buffers entries from the middleware; `async with` runs the writer task."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.enabled = runtime.settings.access_log_days > 0
        self._buffer: deque[dict] = deque(maxlen=MAX_BUFFER)
        self._task: asyncio.Task | None = None

    def record(self, method: str, route: str, status: int, seconds: float, client: str | None, request_id: str):
        if not self.enabled:
            return
        self._buffer.append(
            {
                "at": utc_now(),
                "method": method[:10],
                "path": route[:300],
                "status": status,
                "latency_ms": round(seconds * 1000, 3),
                "client": truncate_client(client),
                "request_id": request_id[:32],
            }
        )

    def flush(self) -> int:
        entries = []
        while self._buffer:
            entries.append(self._buffer.popleft())
        if entries:
            with self._rt.engine.begin() as conn:
                store.insert_entries(conn, entries)
        return len(entries)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await asyncio.to_thread(self.flush)
            except Exception:  # the access log must never take the server down
                log.exception("writing the access log failed")

    async def __aenter__(self) -> AccessLog:
        if self.enabled:
            self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.flush)


def purge_access_log(runtime: Runtime, before: datetime) -> int:
    """Delete access-log entries older than `before`; returns how many."""
    with runtime.engine.begin() as conn:
        return store.delete_before(conn, before)


def purge_expired_access_log(runtime: Runtime) -> int:
    """Delete what is older than the configured retention (everything when the log is off)."""
    days = runtime.settings.access_log_days
    return purge_access_log(runtime, utc_now() - timedelta(days=days))


def recent_entries(runtime: Runtime, limit: int = 100) -> list[dict]:
    with runtime.engine.connect() as conn:
        return [dict(r) for r in store.recent(conn, limit)]
