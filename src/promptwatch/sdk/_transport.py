"""One keep-alive HTTP(S) connection to the server's native ingest endpoint, and what its replies mean.

Standard library only (`http.client`). `Transport.post(body)` never raises: a connection error, a
timeout and an unreadable reply all come back as a `Reply` whose `outcome` tells the worker what to do.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

INGEST_PATH = "/api/v1/ingest"
USER_AGENT = "promptwatch-python-sdk"

SENT = "sent"  # 2xx: look at the per-item statuses
RETRY = "retry"  # unreachable, timeout, 5xx, 429: back off, keep the data
TOO_LARGE = "too-large"  # 413: split the batch
UNAUTHORIZED = "unauthorized"  # 401/403: the key is wrong, sending again will not help
REFUSED = "refused"  # any other 4xx: the batch itself is wrong, drop it


@dataclass
class Reply:
    outcome: str
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""
    items: dict[str, Any] = field(default_factory=dict)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: use our own backoff


def classify(status: int, headers: Any, text: bytes) -> Reply:
    if 200 <= status < 300:
        try:
            items = json.loads(text) if text else {}
        except ValueError:
            items = {}
        return Reply(SENT, status, items=items if isinstance(items, dict) else {})
    detail = text[:500].decode("utf-8", "replace")
    if status == 413:
        return Reply(TOO_LARGE, status, detail=detail)
    if status in (401, 403):
        return Reply(UNAUTHORIZED, status, detail=detail)
    if status in (408, 425, 429) or status >= 500:
        return Reply(RETRY, status, _retry_after(headers.get("Retry-After")), detail)
    return Reply(REFUSED, status, detail=detail)


class Transport:
    """Posts request bodies to `<host_url>/api/v1/ingest`; used by the worker thread only."""

    def __init__(self, host_url: str, api_key: str, timeout: float):
        url = urlsplit(host_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port
        self._path = (url.path.rstrip("/") or "") + INGEST_PATH
        self._timeout = timeout
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._https:
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self._timeout, context=ssl.create_default_context()
                )
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        return self._connection

    def post(self, body: bytes, gzipped: bool = False) -> Reply:
        headers = dict(self._headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        for attempt in (1, 2):  # a kept-alive connection the server closed gets one fresh try
            connection = self._connect()
            try:
                connection.request("POST", self._path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    return Reply(RETRY, detail=f"{type(exc).__name__}: {exc}")
                continue
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                self.close()
                return Reply(RETRY, detail=f"{type(exc).__name__}: {exc}")
            if response.will_close:
                self.close()
            return classify(response.status, response.headers, text)
        return Reply(RETRY, detail="unreachable")

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
