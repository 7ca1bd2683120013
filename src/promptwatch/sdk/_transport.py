"""One keep-alive HTTP(S) connection to the server's native ingest endpoint, and what its replies mean.

Standard library only (`http.client`). `Transport.post(body)` never raises: a connection error, a
timeout and an unreadable reply all come back as a `Reply` whose `outcome` tells the worker what to do.
A 2xx answer is kept as it came (`Reply.body`): it is read only when it names an invalid item.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

INGEST_PATH = "/api/v1/ingest"
USER_AGENT = "promptwatch-python-sdk"

SENT = "sent"  # 2xx: the per-item statuses are in the body
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
    body: bytes = b""
    timed_out: bool = False  # no answer in time: the server may still have taken the batch

    def invalid_items(self) -> list[tuple[str, dict[str, Any]]]:
        """`(group, item)` for each item a 2xx answer calls invalid. The answer is decoded only when it
        holds the word: a batch of 1,000 stored items is not worth decoding 1,000 statuses."""
        if b'"invalid"' not in self.body:
            return []
        try:
            answer = json.loads(self.body)
        except ValueError:
            return []
        if not isinstance(answer, dict):
            return []
        return [
            (group, item)
            for group in ("sessions", "activities")
            for item in answer.get(group) or ()
            if isinstance(item, dict) and item.get("status") == "invalid"
        ]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: use our own backoff


def classify(status: int, headers: Any, text: bytes) -> Reply:
    if 200 <= status < 300:
        return Reply(SENT, status, body=text)
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
        self.url = host_url
        url = urlsplit(host_url)
        self._https = url.scheme == "https"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port
        self._path = (url.path.rstrip("/") or "") + INGEST_PATH
        self.timeout = timeout
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
                    self._host, self._port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        return self._connection

    def post(self, body: bytes, gzipped: bool = False, timeout: float | None = None) -> Reply:
        """POST `body`. Connecting and sending take at most the setting's timeout per step; `timeout` (by
        default the same) is for each read of the answer. Only a request sent and not answered in time is
        `timed_out` (the server may have taken it); one that could not be sent is simply to be retried."""
        headers = dict(self._headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        answer_timeout = self.timeout if timeout is None else timeout
        for attempt in (1, 2):  # a kept-alive connection the server closed gets one fresh try
            connection = self._connect()
            sent = False
            try:
                if connection.sock is None:
                    connection.connect()  # with the setting's timeout, given when the connection was made
                connection.sock.settimeout(self.timeout)
                connection.request("POST", self._path, body=body, headers=headers)
                sent = True
                connection.sock.settimeout(answer_timeout)
                response = connection.getresponse()
                text = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2:
                    return Reply(RETRY, detail=f"{type(exc).__name__}: {exc}")
                continue
            except TimeoutError as exc:
                self.close()
                return Reply(RETRY, detail=f"{type(exc).__name__}: {exc}", timed_out=sent)
            except (OSError, http.client.HTTPException) as exc:
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
