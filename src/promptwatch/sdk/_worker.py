"""The bounded queue between the app's threads and the one daemon thread that sends their events.

The caller's side is `emit()`: one `len()`, a `deque.append` (the deque drops its oldest item when full,
which is counted) and, once per full batch, a wake-up. No lock, no I/O, no serialisation: an ended span
is queued as a tuple of plain values. The thread starts on the first event, wakes at least every
`flush_interval` seconds, turns what it finds into batches of at most `batch_size` events and hands them
to `Delivery`; between batches it formats the ids the next calls will take (`_ids`) and sends the spool,
one merged request at a time. An event that cannot be converted (a bug of ours) is counted as dropped,
with one warning, and the rest of its batch is sent.

It converts events in slices of `SLICE`. While it keeps up (less than two batches waiting) it yields the
GIL between slices (`os.sched_yield()` releases it for ~1 µs; `time.sleep(0)` costs ~15 µs of CPU on
Linux), so the app's threads never wait for a whole batch's conversion. When events pile up it converts
whole batches: a thread that yields gets the GIL back only at the app's next switch interval (5 ms), and
the queue would overflow. `flush(timeout)` and `shutdown(timeout)` wait for it with a deadline and never
longer. When `shutdown` sees that the thread will not be done in time (a slow or hung server holds it in a
request), the calling thread spools, in the last quarter of the time (at most `SPOOL_AT_EXIT_SECONDS`),
the batch the thread is sending and everything still queued; a later process sends them (sending a batch
twice is harmless: the server upserts by id). What cannot be spooled is counted in one warning.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Any

from . import _ids
from ._delivery import Delivery, Items
from ._safe import logger, never_raise, warn_once
from ._wire import to_wire

SLICE = 50
"""Events converted while the worker holds the GIL before it yields it (about 0.1 ms of work)."""
SPOOL_AT_EXIT_SECONDS = 0.5
"""The part of the shutdown timeout kept for spooling what the thread could not send in time."""
_yield_gil = getattr(os, "sched_yield", None) or (lambda: time.sleep(0))


class Worker:
    """One queue and one sender thread for one pipeline."""

    def __init__(
        self, delivery: Delivery, queue_size: int, batch_size: int, linger: float, tracking_project: str | None = None
    ):
        self.delivery = delivery
        self.queue: deque[Any] = deque(maxlen=queue_size)
        self.queue_size = queue_size
        self.batch_size = batch_size
        self._full_batch = min(batch_size, queue_size)  # waiting events that wake the thread
        self.linger = linger
        self.tracking_project = tracking_project
        self.overflowed = 0
        self._busy_at = 0  # `emit` takes its slow path at this many waiting events: 0 until the thread runs
        self._wake = threading.Event()
        self._waiters: list[threading.Event] = []
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = False
        self._taking = threading.Lock()  # held by whoever takes events from the queue into a batch
        self._in_flight: Items | None = None  # the batch being delivered: spooled again if shutdown cuts it

    # the caller's side -------------------------------------------------------------------------------

    def emit(self, event: Any) -> None:
        queue = self.queue
        waiting = len(queue)
        queue.append(event)
        if waiting == self._busy_at or waiting >= self.queue_size:
            self._crowded(waiting)

    def _crowded(self, waiting: int) -> None:
        """The rare part of `emit`: start the thread, wake it for a full batch, count an overflow."""
        if self._thread is None:
            self._start()
        if waiting + 1 == self._full_batch:
            self._wake.set()
        if waiting >= self.queue_size:  # the append above pushed the oldest event out
            self.overflowed += 1
            warn_once("queue-full", "PromptWatch's event queue is full: the oldest events are being dropped.")

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stopping:
                thread = threading.Thread(target=self._run, name="promptwatch-worker", daemon=True)
                thread.start()
                self._thread = thread
                self._busy_at = self._full_batch - 1

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is sent or spooled; False when `timeout` ran out first."""
        if self._thread is None or not self._thread.is_alive():
            return not self.queue
        done = threading.Event()
        self._waiters.append(done)
        self._wake.set()
        return done.wait(max(0.0, timeout))

    def shutdown(self, timeout: float) -> bool:
        """Flush, then stop the thread; returns within `timeout` seconds whatever the server does. What the
        thread has not sent or spooled when the flush runs out of time is spooled here."""
        timeout = max(0.0, timeout)
        deadline = time.monotonic() + timeout
        flushed = self.flush(timeout - min(SPOOL_AT_EXIT_SECONDS, timeout / 4))
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if not flushed and thread is not threading.current_thread():
            with never_raise():
                flushed = self._spool_unsent(deadline)
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        return flushed

    def _spool_unsent(self, deadline: float) -> bool:
        """Spool the batch in flight and what is queued, from the calling thread; True when nothing is lost."""
        delivery = self.delivery
        if not self._taking.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return self._lost_at_exit(len(self.queue))  # the thread is converting a huge queue
        try:
            lost_before = delivery.dropped_events
            in_flight = self._in_flight
            batches = [in_flight] if in_flight is not None else []
            while self.queue:
                batches.append(self._take_batch())
            lost = delivery.dropped_events - lost_before  # events that could not be converted
        finally:
            self._taking.release()
        for items in batches:
            lost += delivery.spool_unsent(items, "did not take every event before exit")
        return self._lost_at_exit(lost)

    def _lost_at_exit(self, events: int) -> bool:
        if events:
            logger.warning(
                "PromptWatch lost %d events at shutdown: they could not be sent in time "
                "(PROMPTWATCH_SHUTDOWN_TIMEOUT) nor spooled.",
                events,
            )
        return not events

    def reset_after_fork(self) -> None:
        """In a forked child: the parent's thread is gone and its queued events are the parent's to send."""
        self.queue.clear()
        self._thread = None
        self._busy_at = 0
        self._waiters = []
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._taking = threading.Lock()
        self._in_flight = None
        self.delivery.spool.reset_after_fork()

    # the thread's side -------------------------------------------------------------------------------

    def _run(self) -> None:
        with never_raise():
            self.delivery.spool.adopt_orphans()
            _ids.refill()
        draining = False
        while True:
            self._wake.wait(0.0 if draining else self.linger)
            self._wake.clear()
            waiters, self._waiters = self._waiters, []
            with never_raise():
                self._send_queued()
            draining = False
            with never_raise():
                draining = self.delivery.drain_spool()
            for waiter in waiters:
                waiter.set()
            if self._stopping and not self.queue:
                break
        with never_raise():
            self.delivery.close()

    def _send_queued(self) -> None:
        queue = self.queue
        while queue:
            with self._taking:
                if not queue:  # `shutdown` spooled them meanwhile
                    return
                items = self._in_flight = self._take_batch()
            _ids.refill(len(queue) + 2 * self.batch_size)  # what the app will want before the next batch
            try:
                self.delivery.deliver(items)
            finally:
                self._in_flight = None

    def _take_batch(self) -> Items:
        """Up to `batch_size` queued events as wire items; the caller holds `_taking`."""
        queue = self.queue
        items: Items = ([], [])
        taken = 0
        while queue and taken < self.batch_size:
            # only the holder of `_taking` takes from the queue, so what `len` counted is there to be taken
            count = min(SLICE, len(queue), self.batch_size - taken)
            failed = to_wire([queue.popleft() for _ in range(count)], self.tracking_project, into=items)
            if failed:
                self._drop_unconvertible(failed)
            taken += count
            if len(queue) < 2 * self.batch_size:
                _yield_gil()  # let the app's threads have the GIL between slices
        return items

    def _drop_unconvertible(self, events: int) -> None:
        self.delivery.dropped_events += events
        warn_once(
            "unconvertible",
            "PromptWatch dropped an event it could not convert (a PromptWatch bug; "
            "the 'promptwatch' logger's debug level has the error).",
        )

    def stats(self) -> dict[str, int]:
        delivery = self.delivery
        return {
            "queued": len(self.queue),
            "dropped_queue_full": self.overflowed,
            "sent": delivery.sent_events,
            "rejected": delivery.rejected_events,
            "dropped": delivery.dropped_events,
            "timed_out": delivery.timed_out_events,
            "dropped_spool_full": delivery.spool.dropped_events,
            "spooled_files": len(delivery.spool),
        }
