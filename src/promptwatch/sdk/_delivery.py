"""What the worker does with a batch: send it, split it, spool it, back off, or drop it with a count.

- 2xx: done; items the server answered `invalid` are logged once each and dropped (never re-sent).
- 413: the batch is split in halves, down to single items (a single item too large is dropped).
- unreachable, timeout, 5xx, 429: the batch goes to the spool and sending pauses for an exponential
  backoff with jitter (or the server's `Retry-After`); meanwhile new batches go to the spool too.
  The first send that works again drains the spool, oldest file first.
- 401/403: the key is refused: one warning, and this pipeline drops everything from then on.
- any other 4xx: the batch is dropped with one warning per status.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from typing import Any

from . import _transport as t
from ._safe import logger, warn_once
from ._spool import Spool, events_in
from ._wire import encode

Items = tuple[list[dict[str, Any]], list[dict[str, Any]]]


class Backoff:
    """Exponential backoff with full jitter; `ready()` says whether the next attempt may be made."""

    def __init__(self, base: float = 0.5, ceiling: float = 30.0):
        self.base, self.ceiling = base, ceiling
        self.failures = 0
        self.next_attempt = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self.next_attempt

    def fail(self, retry_after: float | None = None) -> None:
        self.failures += 1
        delay = min(self.ceiling, self.base * 2 ** (self.failures - 1))
        delay = retry_after if retry_after is not None else random.uniform(delay / 2, delay)
        self.next_attempt = time.monotonic() + min(delay, self.ceiling * 2)

    def succeed(self) -> None:
        self.failures = 0
        self.next_attempt = 0.0


def _halves(items: Items) -> list[Items]:
    sessions, activities = items
    if len(sessions) + len(activities) < 2:
        return []
    if len(activities) >= 2 or (len(activities) == 1 and sessions):
        cut = len(activities) // 2
        return [(sessions, activities[:cut]), ([], activities[cut:])]
    cut = len(sessions) // 2
    return [(sessions[:cut], activities), (sessions[cut:], [])]


def _count(items: Items) -> int:
    return len(items[0]) + len(items[1])


class Delivery:
    """Sends batches for one pipeline; used by its worker thread only."""

    def __init__(self, transport: t.Transport, spool: Spool, use_gzip: bool):
        self.transport = transport
        self.spool = spool
        self.use_gzip = use_gzip
        self.backoff = Backoff()
        self.refused = False
        self.sent_events = 0
        self.rejected_events = 0
        self.dropped_events = 0

    def deliver(self, items: Items) -> None:
        """Send a fresh batch now, or spool it while the server is backing us off."""
        if self.refused:
            self.dropped_events += _count(items)
        elif not self.backoff.ready() or self._send(items) == t.RETRY:
            self._to_spool(items)
        elif len(self.spool):
            self.drain_spool()

    def drain_spool(self, max_files: int = 50) -> None:
        """Send spooled files, oldest first, until one fails or `max_files` went."""
        for _ in range(max_files):
            path = self.spool.oldest()
            if path is None or not self.backoff.ready():
                return
            body = self.spool.read(path)
            if body is None:
                continue
            if self.refused:
                self.dropped_events += events_in(path)
                self.spool.remove(path)
                continue
            payload = body if self.use_gzip else gzip.decompress(body)
            reply = self.transport.post(payload, gzipped=self.use_gzip)
            if reply.outcome == t.TOO_LARGE:
                decoded = json.loads(gzip.decompress(body))
                self.spool.remove(path)
                for half in _halves((decoded.get("sessions", []), decoded.get("activities", []))):
                    self.deliver(half)
                continue
            if reply.outcome == t.RETRY:
                self.backoff.fail(reply.retry_after)
                return
            self._settle(reply, events_in(path))
            self.spool.remove(path)

    def _send(self, items: Items) -> str:
        """Post `items`, splitting on 413; RETRY means none of it was taken and it should be kept."""
        reply = self.transport.post(encode(*items, gzip=self.use_gzip), gzipped=self.use_gzip)
        if reply.outcome == t.TOO_LARGE:
            halves = _halves(items)
            if not halves:
                self.dropped_events += _count(items)
                warn_once("too-large", "PromptWatch dropped an event larger than the server accepts (413).")
                return t.SENT
            for half in halves:
                if self._send(half) == t.RETRY:
                    self._to_spool(half)
            return t.SENT
        if reply.outcome == t.RETRY:
            self.backoff.fail(reply.retry_after)
            return t.RETRY
        self._settle(reply, _count(items))
        return reply.outcome

    def _settle(self, reply: t.Reply, events: int) -> None:
        """Account for a reply that ends a batch's life: sent, or refused for good."""
        if reply.outcome == t.SENT:
            self.backoff.succeed()
            self.sent_events += events
            self._log_invalid(reply.items)
        elif reply.outcome == t.UNAUTHORIZED:
            self.refused = True
            self.dropped_events += events
            warn_once(
                "unauthorized",
                f"The PromptWatch server refused the API key ({reply.status}): nothing more will be sent "
                "by this process. Check PROMPTWATCH_API_KEY.",
            )
        else:
            self.dropped_events += events
            message = f"PromptWatch server refused a batch ({reply.status}): {reply.detail}"
            warn_once(f"refused-{reply.status}", message)

    def _log_invalid(self, answer: dict[str, Any]) -> None:
        for group, noun in (("sessions", "session"), ("activities", "activity")):
            for item in answer.get(group) or ():
                if isinstance(item, dict) and item.get("status") == "invalid":
                    self.rejected_events += 1
                    logger.warning(
                        "PromptWatch server rejected %s %s: %s", noun, item.get("id"), item.get("errors")
                    )

    def _to_spool(self, items: Items) -> None:
        try:
            self.spool.write(encode(*items, gzip=True), _count(items))
        except OSError as exc:
            self.dropped_events += _count(items)
            message = f"PromptWatch cannot write its spool ({exc}); undeliverable events are dropped."
            warn_once("spool-error", message)

    def close(self) -> None:
        self.transport.close()
        self.spool.close()
