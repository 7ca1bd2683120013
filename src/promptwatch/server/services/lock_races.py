"""Lock races on PostgreSQL: a transaction that the database aborted only because a concurrent one won a lock
(a deadlock, a serialization failure: two workers writing the same rows) is run again, after a random wait of
up to WAIT_FIRST_SECONDS that doubles per try (so the transactions that collided do not collide again at
once); one that still loses after its tries ends as `Overloaded` (503 with Retry-After: safe to send again).
The batch writer and deletions both run their transactions so."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from ..errors import Overloaded
from ..store.tombstones import DeletedMeanwhile

RETRIES = 6
WAIT_FIRST_SECONDS = 0.02  # the longest wait before the first retry; it doubles per retry ...
WAIT_MAX_SECONDS = 0.5  # ... up to this
_STATES = {"40P01", "40001"}  # deadlock detected, serialization failure
log = logging.getLogger("promptwatch.writer")
T = TypeVar("T")


def lost_lock_race(error: BaseException) -> bool:
    """True when the database aborted the write only because a concurrent transaction won a lock, or the write
    found that a deletion committed meanwhile took what it wrote (run again, it reads the deletion's tombstones)."""
    if isinstance(error, DeletedMeanwhile):
        return True
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _STATES


def wait_before_retry(attempt: int) -> None:
    """The wait before try `attempt + 1` (0: the first retry)."""
    time.sleep(random.uniform(0, min(WAIT_MAX_SECONDS, WAIT_FIRST_SECONDS * 2**attempt)))


def overloaded(cause: BaseException) -> Overloaded:
    """What a caller gets for a transaction out of tries."""
    busy = Overloaded("the database is busy with concurrent writes of the same rows", retry_after=1)
    busy.__cause__ = cause
    return busy


def again_after_lock_races(transaction: Callable[[], T], what: str) -> T:
    """Run `transaction` (a function that runs one) and again while it loses a lock race, up to RETRIES more
    times; then `Overloaded`. `what` names it in the log."""
    attempt = 0
    while True:
        try:
            return transaction()
        except (DBAPIError, DeletedMeanwhile) as exc:
            if not lost_lock_race(exc):
                raise
            if attempt == RETRIES:
                raise overloaded(exc) from exc
        log.warning("%s lost a lock race; running its transaction again", what)
        wait_before_retry(attempt)
        attempt += 1
