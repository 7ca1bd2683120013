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
longer.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Any

from . import _ids
from ._delivery import Delivery
from ._safe import never_raise, warn_once
from ._wire import to_wire

SLICE = 50
"""Events converted while the worker holds the GIL before it yields it (about 0.1 ms of work)."""
_yield_gil = getattr(os, "sched_yield", None) or (lambda: time.sleep(0))


class Worker:
    """One queue and one sender thread for one pipeline."""

    def __init__(self, delivery: Delivery, queue_size: int, batch_size: int, linger: float,
                 tracking_project: str | None = None):
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
        """Flush, then stop the thread; returns within `timeout` seconds whatever the server does."""
        deadline = time.monotonic() + max(0.0, timeout)
        flushed = self.flush(timeout)
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        return flushed

    def reset_after_fork(self) -> None:
        """In a forked child: the parent's thread is gone and its queued events are the parent's to send."""
        self.queue.clear()
        self._thread = None
        self._busy_at = 0
        self._waiters = []
        self._wake = threading.Event()
        self._start_lock = threading.Lock()

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
            items: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
            taken = 0
            while queue and taken < self.batch_size:
                # only this thread takes from the queue, so what `len` counted is there to be taken
                count = min(SLICE, len(queue), self.batch_size - taken)
                failed = to_wire([queue.popleft() for _ in range(count)], self.tracking_project, into=items)
                if failed:
                    self._drop_unconvertible(failed)
                taken += count
                if len(queue) < 2 * self.batch_size:
                    _yield_gil()  # let the app's threads have the GIL between slices
            _ids.refill(len(queue) + 2 * self.batch_size)  # what the app will want before the next batch
            self.delivery.deliver(items)

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
