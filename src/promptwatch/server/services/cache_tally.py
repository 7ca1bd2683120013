"""The semantic cache's lookup counts, gathered in memory so that a lookup writes nothing, and added to the
database in one transaction every `cache_counts_flush_seconds`, at shutdown, and before anything reads or
deletes them.

Two tallies: per account, namespace and UTC day, the lookups and hits (`cache_lookups`); per entry, its hits
and when it was last served (`cache_entries.hits`, `last_hit_at`). Counting takes a short lock, no I/O.

A reader calls `flush()` first: it sees every lookup answered before it. A deletion of counts runs its
transaction inside `settled()`: what was counted so far is written first, and no flush writes until the
deletion is over, so counts taken before it never come back after it; a lookup counted meanwhile is one
made while the deletion ran and is kept.

Each process holds its own tally: with several worker processes (PostgreSQL) a reader sees another worker's
counts once that worker flushed, and a deletion settles its own worker's counts only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine

from ..store import prompt_cache as store


class CacheTally:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._counting = threading.Lock()  # a count or a swap of the tallies, never I/O
        self._writing = threading.RLock()  # a flush; a deletion of counts, from before its flush to its commit
        self._lookups: dict[store.DayKey, list[int]] = {}  # [lookups, hits]
        self._served: dict[int, tuple[int, datetime]] = {}  # entry pk: (hits, last hit)

    def count(self, account_id: int, namespace: str, now: datetime, served_pk: int | None) -> None:
        """One lookup of the namespace at `now`; a hit when it served the entry `served_pk`."""
        key = (account_id, namespace, store.lookup_day(now))
        with self._counting:
            counts = self._lookups.setdefault(key, [0, 0])
            counts[0] += 1
            if served_pk is not None:
                counts[1] += 1
                self._add_served(served_pk, 1, now)

    def flush(self) -> None:
        """Add what was counted to the database; on failure the counts are kept for the next flush."""
        with self._writing:
            with self._counting:
                lookups, served = self._lookups, self._served
                self._lookups, self._served = {}, {}
            if not lookups:  # an entry is served by a lookup: no lookups, nothing served either
                return
            try:
                with self._engine.begin() as conn:
                    store.add_lookups(conn, lookups)
                    store.add_hits(conn, served)
            except BaseException:
                self._take_back(lookups, served)
                raise

    @contextmanager
    def settled(self) -> Iterator[None]:
        """Every count so far in the database, and none written by a flush until the block ends: enter it
        before the transaction of a deletion that takes counts (a flush within a transaction would wait for
        the database's write lock that transaction holds)."""
        with self._writing:
            self.flush()
            yield

    def _take_back(self, lookups: dict[store.DayKey, list[int]], served: dict[int, tuple[int, datetime]]) -> None:
        with self._counting:
            for key, (n, hits) in lookups.items():
                counts = self._lookups.setdefault(key, [0, 0])
                counts[0] += n
                counts[1] += hits
            for pk, (hits, last) in served.items():
                self._add_served(pk, hits, last)

    def _add_served(self, pk: int, hits: int, last: datetime) -> None:
        held, held_last = self._served.get(pk, (0, last))
        self._served[pk] = (held + hits, max(held_last, last))
