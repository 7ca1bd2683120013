"""What the worker does with a batch: send it, split it, spool it, back off, or drop it with a count.

- 2xx: done; items the server answered `invalid` are logged once each and dropped (never re-sent).
- 413: the batch is split in halves, down to single items (a single item too large is dropped).
- unreachable, timeout, 5xx, 429: the batch goes to the spool and sending pauses for an exponential
  backoff with jitter (or the server's `Retry-After`); meanwhile new batches go to the spool too. The first
  such failure logs one warning (where the events go meanwhile), the first answer after it one info line.
- 401/403: the key is refused: one warning, and this pipeline drops everything from then on.
- any other 4xx: the batch is dropped with one warning per status; a merged drain request (below) is
  first sent again one file at a time, so only the file the server refuses is dropped.

Once the server answers again the worker drains the spool, oldest files first, several files merged into
one request (at most `DRAIN_MAX_BYTES` of JSON and the server's per-request item limits), one request per
turn of the worker so fresh events are not held up. The server's pace is measured on every batch it
takes (events per second, smoothed): a drain request carries about `DRAIN_SECONDS` of it, and every
request may take four times what that pace predicts (at least `request_timeout`, at most
`MAX_REQUEST_SECONDS`) before it is given up, so a busy server is not sent the same batch twice. A
request that fails halves the next drain request, and until one succeeds again a drain request is the
oldest file alone (the server may still be down: a probe should cost little).
"""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path
from typing import Any

from . import _transport as t
from ._safe import logger, warn_once
from ._spool import Spool, events_in
from ._wire import encode

Items = tuple[list[dict[str, Any]], list[dict[str, Any]]]

MAX_SESSIONS, MAX_ACTIVITIES = 1000, 5000
"""The server's limits on one ingest request (`IngestBatch`): a merged drain request stays within them."""
DRAIN_MAX_BYTES = 4_000_000
"""JSON bytes in one drain request, uncompressed (the server takes 20 MB by default)."""
DRAIN_FIRST_EVENTS, DRAIN_MIN_EVENTS = 2000, 200
"""Events in the first drain request, before the server's pace is known; the least a failure shrinks it to."""
DRAIN_SECONDS = 1.0
"""What a drain request should take at the server's measured pace (the worker sends nothing else meanwhile)."""
MAX_REQUEST_SECONDS = 60.0
"""The longest any request may take, whatever the measured pace."""


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


class Pace:
    """How many events per second the server takes (smoothed), and what that means for the next request."""

    def __init__(self, request_timeout: float, batch_size: int):
        self.request_timeout = request_timeout
        self.batch_size = max(1, batch_size)
        self.events_per_second: float | None = None
        self.drain_events = DRAIN_FIRST_EVENTS

    def timeout(self, events: int) -> float:
        """Seconds a request of `events` may take: four times the expected time, within bounds."""
        if self.events_per_second is None:  # unknown: `request_timeout` per batch's worth of events
            expected = self.request_timeout / 4 * max(1.0, events / self.batch_size)
        else:
            expected = events / self.events_per_second
        return min(MAX_REQUEST_SECONDS, max(self.request_timeout, 4 * expected))

    def took(self, events: int, seconds: float) -> None:
        if events < 50:  # too small to say anything but the round trip
            return
        rate = events / max(seconds, 1e-3)
        previous = self.events_per_second
        self.events_per_second = rate if previous is None else (previous + rate) / 2
        wanted = int(self.events_per_second * DRAIN_SECONDS)
        self.drain_events = max(DRAIN_MIN_EVENTS, min(MAX_SESSIONS + MAX_ACTIVITIES, wanted))

    def failed(self) -> None:
        self.drain_events = max(DRAIN_MIN_EVENTS, self.drain_events // 2)


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

    def __init__(self, transport: t.Transport, spool: Spool, use_gzip: bool, batch_size: int = 500):
        self.transport = transport
        self.spool = spool
        self.use_gzip = use_gzip
        self.backoff = Backoff()
        self.pace = Pace(transport.timeout, batch_size)
        self.drain_bytes = DRAIN_MAX_BYTES
        self.refused = False
        self.unmerged = 0  # drain requests still to be sent one file each: a merged one was refused
        self.sent_events = 0
        self.rejected_events = 0
        self.dropped_events = 0
        self.timed_out_events = 0
        self.failing = False  # the last request got no usable answer: the outage has been announced

    def deliver(self, items: Items) -> None:
        """Send a fresh batch now, or spool it while the server is backing us off."""
        if self.refused:
            self.dropped_events += _count(items)
        elif not self.backoff.ready() or self._send(items) == t.RETRY:
            self._to_spool(items)

    def _post(self, items: Items) -> t.Reply:
        """One request, with the timeout the server's pace calls for; successes update the pace."""
        events = _count(items)
        started = time.monotonic()
        reply = self.transport.post(
            encode(*items, gzip=self.use_gzip), gzipped=self.use_gzip, timeout=self.pace.timeout(events)
        )
        if reply.outcome == t.SENT:
            self.pace.took(events, time.monotonic() - started)
        elif reply.timed_out:
            self.timed_out_events += events
        if reply.outcome == t.RETRY:
            self._announce_outage(reply)
        elif self.failing and reply.outcome == t.SENT:
            self.failing = False
            logger.info("PromptWatch server at %s answers again: sending the spooled events.", self.transport.url)
        return reply

    def _announce_outage(self, reply: t.Reply) -> None:
        """One warning when delivery starts failing, not one per batch."""
        if self.failing:
            return
        self.failing = True
        if reply.status is not None:
            what = f"answers {reply.status}"
        elif reply.timed_out:
            what = "does not answer in time"
        else:
            what = f"is unreachable ({reply.detail})"
        logger.warning(
            "PromptWatch server at %s %s: %s until it answers again.", self.transport.url, what, self._meanwhile()
        )

    def _meanwhile(self) -> str:
        if self.spool.max_bytes <= 0:
            return "events are dropped (the spool is off, PROMPTWATCH_SPOOL_MAX_BYTES=0)"
        return f"spooling events to {self.spool.directory}"

    # the spool ---------------------------------------------------------------------------------------

    def drain_spool(self) -> bool:
        """Send the oldest spooled files as one merged request; True when more can go right away."""
        if not len(self.spool) or not self.backoff.ready():
            return False
        if self.refused:
            for path in self.spool.paths():
                self.dropped_events += events_in(path)
                self.spool.remove(path)
            return False
        paths, items, size = self._merged()
        if not paths:
            return bool(len(self.spool))
        reply = self._post(items)
        if reply.outcome == t.RETRY:
            self.backoff.fail(reply.retry_after)
            self.pace.failed()
            return False
        if len(paths) > 1 and reply.outcome == t.TOO_LARGE:  # merged too much for this server: fewer bytes
            self.drain_bytes = max(1, size // 2)
            return True
        if len(paths) > 1 and reply.outcome == t.REFUSED:  # one of them is refused: find it, drop only it
            self.unmerged = len(paths)
            return True
        self.unmerged = max(0, self.unmerged - 1)
        if reply.outcome == t.TOO_LARGE:
            with self.spool.released(paths[0]):  # on disk, out of the cap, until its halves are sent or spooled
                self._split(items)
            self.spool.remove(paths[0])
            return bool(len(self.spool))
        self._settle(reply, _count(items))
        for path in paths:
            self.spool.remove(path)
        return bool(len(self.spool)) and self.backoff.ready()

    def _merged(self) -> tuple[list[Path], Items, int]:
        """The oldest spooled files that fit in one drain request, their items and JSON bytes; only the
        oldest file while the last request failed (a probe: the server may still be down) or while the
        files of a refused merged request are being sent one at a time."""
        paths: list[Path] = []
        sessions: list[dict[str, Any]] = []
        activities: list[dict[str, Any]] = []
        size = 0
        for path in self.spool.paths():
            if paths and (
                self.backoff.failures
                or self.unmerged
                or len(sessions) + len(activities) + events_in(path) > self.pace.drain_events
            ):
                break
            body = self.spool.read(path)
            if body is None:
                continue
            try:
                raw = gzip.decompress(body)
                decoded = json.loads(raw)
                more_sessions, more_activities = list(decoded["sessions"]), list(decoded["activities"])
            except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
                self._drop_unreadable(path, exc)
                continue
            if paths and (
                size + len(raw) > self.drain_bytes
                or len(sessions) + len(more_sessions) > MAX_SESSIONS
                or len(activities) + len(more_activities) > MAX_ACTIVITIES
            ):
                break
            paths.append(path)
            sessions += more_sessions
            activities += more_activities
            size += len(raw)
        return paths, (sessions, activities), size

    def _drop_unreadable(self, path: Path, error: Exception) -> None:
        self.dropped_events += events_in(path)
        self.spool.remove(path)
        warn_once("spool-unreadable", f"PromptWatch dropped a spool file it cannot read ({error!r}): {path}")

    # fresh batches -----------------------------------------------------------------------------------

    def _send(self, items: Items) -> str:
        """Post `items`, splitting on 413; RETRY means none of it was taken and it should be kept."""
        reply = self._post(items)
        if reply.outcome == t.TOO_LARGE:
            self._split(items)
            return t.SENT
        if reply.outcome == t.RETRY:
            self.backoff.fail(reply.retry_after)
            return t.RETRY
        self._settle(reply, _count(items))
        return reply.outcome

    def _split(self, items: Items) -> None:
        """A batch the server found too large (413): each half is sent on its own, or spooled."""
        halves = _halves(items)
        if not halves:
            self.dropped_events += _count(items)
            warn_once("too-large", "PromptWatch dropped an event larger than the server accepts (413).")
        for half in halves:
            if self._send(half) == t.RETRY:
                self._to_spool(half)

    def _settle(self, reply: t.Reply, events: int) -> None:
        """Account for a reply that ends a batch's life: sent, or refused for good."""
        if reply.outcome == t.SENT:
            self.backoff.succeed()
            self.sent_events += events
            self._log_invalid(reply)
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

    def _log_invalid(self, reply: t.Reply) -> None:
        for group, item in reply.invalid_items():
            self.rejected_events += 1
            noun = "session" if group == "sessions" else "activity"
            logger.warning("PromptWatch server rejected %s %s: %s", noun, item.get("id"), item.get("errors"))

    def spool_unsent(self, items: Items, reason: str) -> int:
        """At shutdown (from the exiting thread): spool a batch the worker could not finish in time; the
        events lost (spool off, full or failing). The first such batch is announced as an outage is."""
        if self.refused:  # the key was refused: no later process sends them with it
            self.dropped_events += _count(items)
            return _count(items)
        lost_before = self.dropped_events + self.spool.dropped_events
        self._to_spool(items)
        if not self.failing and self.spool.max_bytes > 0:
            self.failing = True
            logger.warning(
                "PromptWatch server at %s %s: spooling events to %s; a later process sends them.",
                self.transport.url,
                reason,
                self.spool.directory,
            )
        return self.dropped_events + self.spool.dropped_events - lost_before

    def _to_spool(self, items: Items) -> None:
        try:
            # level 1: a third of level 5's CPU for 15 % more bytes, while the server is down and events pile up
            self.spool.write(encode(*items, gzip=True, compresslevel=1), _count(items))
        except OSError as exc:
            self.dropped_events += _count(items)
            message = f"PromptWatch cannot write its spool ({exc}); undeliverable events are dropped."
            warn_once("spool-error", message)

    def close(self) -> None:
        self.transport.close()
        self.spool.close()
