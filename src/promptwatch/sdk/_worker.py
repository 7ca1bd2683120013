"""The bounded queue between the app's threads and the one daemon thread that sends their events.

The caller's side is `emit()`: a `deque.append` (the deque drops its oldest item when full, which is
counted) and, once per full batch, a wake-up. No lock, no I/O, no serialisation. The thread starts on the
first event, wakes at least every `flush_interval` seconds, turns what it finds into batches of at most
`batch_size` events and hands them to `Delivery`. `flush(timeout)` and `shutdown(timeout)` wait for it
with a deadline and never longer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from ._delivery import Delivery
from ._safe import never_raise, warn_once
from ._wire import to_wire


class Worker:
    """One queue and one sender thread for one pipeline."""

    def __init__(self, delivery: Delivery, queue_size: int, batch_size: int, linger: float,
                 tracking_project: str | None = None):
        self.delivery = delivery
        self.queue: deque[tuple[int, Any]] = deque(maxlen=queue_size)
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.linger = linger
        self.tracking_project = tracking_project
        self.overflowed = 0
        self._wake = threading.Event()
        self._waiters: list[threading.Event] = []
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = False

    # the caller's side -------------------------------------------------------------------------------

    def emit(self, kind: int, payload: Any) -> None:
        queue = self.queue
        if len(queue) >= self.queue_size:
            self.overflowed += 1
            warn_once("queue-full", "PromptWatch's event queue is full: the oldest events are being dropped.")
        queue.append((kind, payload))
        if self._thread is None:
            self._start()
        elif len(queue) == self.batch_size:
            self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stopping:
                thread = threading.Thread(target=self._run, name="promptwatch-worker", daemon=True)
                thread.start()
                self._thread = thread

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
        self._waiters = []
        self._wake = threading.Event()
        self._start_lock = threading.Lock()

    # the thread's side -------------------------------------------------------------------------------

    def _run(self) -> None:
        with never_raise():
            self.delivery.spool.adopt_orphans()
        while True:
            self._wake.wait(self.linger)
            self._wake.clear()
            waiters, self._waiters = self._waiters, []
            with never_raise():
                self._send_queued()
            if not self.queue:
                with never_raise():
                    if len(self.delivery.spool) and self.delivery.backoff.ready():
                        self.delivery.drain_spool()
            for waiter in waiters:
                waiter.set()
            if self._stopping and not self.queue:
                break
        with never_raise():
            self.delivery.close()

    def _send_queued(self) -> None:
        queue = self.queue
        while queue:
            batch = []
            while queue and len(batch) < self.batch_size:
                batch.append(queue.popleft())
            self.delivery.deliver(to_wire(batch, self.tracking_project))

    def stats(self) -> dict[str, int]:
        delivery = self.delivery
        return {
            "queued": len(self.queue),
            "dropped_queue_full": self.overflowed,
            "sent": delivery.sent_events,
            "rejected": delivery.rejected_events,
            "dropped": delivery.dropped_events,
            "dropped_spool_full": delivery.spool.dropped_events,
            "spooled_files": len(delivery.spool),
        }
