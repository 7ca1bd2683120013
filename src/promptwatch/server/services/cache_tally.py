"""The semantic cache's lookup counts, gathered in memory so that a lookup writes nothing, and added to the
database in one transaction every `cache_counts_flush_seconds` and at shutdown.

Two tallies: per account, namespace and UTC day, the lookups and hits (`cache_lookups`); per entry, its hits
and when it was last served (`cache_entries.hits`, `last_hit_at`). Counting takes a short lock, no I/O.

A reader does not write: it adds the counts not yet written (`unwritten`, a batch being written included) to
what it reads in the database, and no batch of this process commits while it reads.

A deletion of counts (an account's, a namespace's, a project's namespaces', old days') runs its transaction in
`settled`: a flush writing when it starts finishes first, and no flush writes the counts of its scope until it
ends. When it commits, the scope's counts held are dropped, and so is any count of its scope that a lookup
begun before the commit makes later: that lookup may have read what the deletion removed. A deletion that
fails keeps them.

Each process holds its own tally: with several worker processes (PostgreSQL), or a command run beside the
server, a reader sees another process's counts once that process flushed. What reaches other processes is the
check of every flush: the counts of an account deleted (or gone) are never written, nor those of a namespace
cleared (whole, or as one of a project's) after their first lookup, which the clear records for a day
(`store.mark_cleared`, by the ledger's keyed hash of the name): counts held since a lookup begun before the
clear, or up to CLEAR_MARGIN after it (one that read before the clear committed, or ran on a clock a little
behind), are dropped. A deletion of counts locks its account's row, so
that a flush elsewhere waits for it and then sees what it did. Another process's lookups of a cleared namespace
made after the clear, but held with earlier ones, go with them: the hit rate misses a few seconds of lookups
rather than count lookups of cleared entries.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from ..store import prompt_cache as store
from .clock import utc_now

CLEAR_MARGIN = timedelta(seconds=5)

Served = tuple[int, datetime]  # the entry a lookup served, as it read it: pk, created_at
Lookups = dict[store.DayKey, list[int]]  # [lookups, hits]
Hits = dict[store.EntryKey, tuple[int, datetime]]  # (hits, last hit)
Batch = tuple[Lookups, Hits]


@dataclass(frozen=True)
class Scope:
    """The counts a deletion takes: an account's, one namespace's when named, a project's namespaces
    (`<project>` and `<project>.*`) when a project is named, the days before `before` when given (entries are
    taken only by a deletion without `before`)."""

    account_id: int
    namespace: str | None = None
    before: datetime | None = None
    project: str | None = None

    def holds(self, account_id: int, namespace: str, day: datetime | None) -> bool:
        """Whether counts of the namespace on `day` are in the scope (`day` None: an entry's hits)."""
        if account_id != self.account_id or self.namespace not in (None, namespace):
            return False
        if self.project is not None and namespace != self.project and not namespace.startswith(f"{self.project}."):
            return False
        return self.before is None or (day is not None and day < self.before)


@dataclass
class Unwritten:
    """An account's counts not in the database yet, per namespace: [lookups, hits], and the latest hit."""

    lookups: dict[str, list[int]] = field(default_factory=dict)
    last_hit: dict[str, datetime] = field(default_factory=dict)


class CacheTally:
    """`name_hash` is the deletion ledger's keyed hash, by which clears are recorded for other processes."""

    def __init__(
        self, engine: Engine, name_hash: Callable[[str], str], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._engine = engine
        self._name_hash = name_hash
        self._clock = clock
        self._counting = threading.Lock()  # the state below, never held over I/O
        self._writing = threading.Lock()  # a flush, from taking its batch to its commit
        self._committing = threading.Lock()  # a commit that changes what is held, or a reader's read
        self._lookups: Lookups = {}
        self._served: Hits = {}
        self._since: dict[store.DayKey, datetime] = {}  # when the earliest lookup of each key held began
        self._batch: Batch = ({}, {})  # the batch being written
        self._deleting: list[Scope] = []  # deletions under way: their counts stay held
        self._deletions = 0  # deletions committed
        self._deleted: list[tuple[int, Scope]] = []  # (number, scope) of those a lookup under way began before
        self._open: Counter[int] = Counter()  # lookups under way, by the deletions committed when they began

    @contextmanager
    def lookup(self, account_id: int, namespace: str) -> Iterator[Callable[[datetime, Served | None], None]]:
        """Around a lookup of the namespace, from before its first read: yields `count(now, served)`, to call
        once, with the entry served (None for a miss)."""
        with self._counting:
            began, began_at = self._deletions, self._clock()
            self._open[began] += 1
        try:
            yield functools.partial(self._count, began, began_at, account_id, namespace)
        finally:
            with self._counting:
                self._open[began] -= 1
                if not self._open[began]:
                    del self._open[began]
                if self._deleted:
                    oldest = min(self._open, default=self._deletions)
                    self._deleted = [(n, scope) for n, scope in self._deleted if n > oldest]

    def _count(
        self, began: int, began_at: datetime, account_id: int, namespace: str, now: datetime, served: Served | None
    ) -> None:
        day = store.lookup_day(now)
        with self._counting:
            if any(n > began and scope.holds(account_id, namespace, day) for n, scope in self._deleted):
                return  # a deletion of its counts committed since it began
            key = (account_id, namespace, day)
            counts = self._lookups.setdefault(key, [0, 0])
            self._since[key] = min(self._since.get(key, began_at), began_at)
            counts[0] += 1
            if served is not None:
                counts[1] += 1
                _add_served(self._served, (account_id, namespace, *served), 1, now)

    def flush(self) -> None:
        """Write what was counted, but the counts of a deletion under way; on failure they are kept."""
        with self._writing:
            with self._counting:
                self._batch = lookups, served = self._take()
                since = {key: self._since.pop(key) for key in lookups}
            if not lookups and not served:
                return
            try:
                with self._engine.begin() as conn:
                    store.add_lookups(conn, lookups, since, self._name_hash)
                    store.add_hits(conn, served)
                    with self._committing:
                        conn.commit()
                        with self._counting:
                            self._batch = ({}, {})
            except BaseException:
                with self._counting:
                    self._batch = ({}, {})
                    self._merge(lookups, served, since)
                raise

    @contextmanager
    def settled(
        self,
        account_id: int,
        namespace: str | None = None,
        before: datetime | None = None,
        project: str | None = None,
    ) -> Iterator[Connection]:
        """The transaction of a deletion of counts: the account's, one namespace's, a project's namespaces, or
        those of the days before `before`. Its counts held are dropped when it commits (see the module's
        docstring)."""
        scope = Scope(account_id, namespace, before, project)
        with self._counting:
            self._deleting.append(scope)
        try:
            with self._writing:  # a flush already writing commits first: the deletion then takes its rows
                pass
            with self._engine.begin() as conn:
                store.hold_account(conn, account_id)
                yield conn
                if before is None and (namespace or project):
                    store.mark_cleared(
                        conn,
                        account_id,
                        self._name_hash(namespace or project),
                        not namespace,
                        self._clock() + CLEAR_MARGIN,
                    )
                with self._committing:
                    conn.commit()
                    with self._counting:
                        self._drop(scope)
        finally:
            with self._counting:
                self._deleting.remove(scope)

    @contextmanager
    def unwritten(self, account_id: int) -> Iterator[Unwritten]:
        """The account's counts not written yet, for a reader to add to what it reads in the database inside
        the block (no batch commits meanwhile: each count is read once, from memory or from the database)."""
        held = Unwritten()
        with self._committing:
            with self._counting:
                for lookups, served in ((self._lookups, self._served), self._batch):
                    for (account, namespace, _day), (n, hits) in lookups.items():
                        if account == account_id:
                            counts = held.lookups.setdefault(namespace, [0, 0])
                            counts[0] += n
                            counts[1] += hits
                    for (account, namespace, _pk, _created), (_hits, last) in served.items():
                        if account == account_id:
                            held.last_hit[namespace] = max(held.last_hit.get(namespace, last), last)
            yield held

    def _take(self) -> Batch:
        """The counts to write, all but those of the deletions under way, which stay held."""
        if not self._deleting:
            taken = (self._lookups, self._served)
            self._lookups, self._served = {}, {}
            return taken
        lookups = {k: v for k, v in self._lookups.items() if not self._deleted_now(k[0], k[1], k[2])}
        served = {k: v for k, v in self._served.items() if not self._deleted_now(k[0], k[1], None)}
        self._lookups = {k: v for k, v in self._lookups.items() if k not in lookups}
        self._served = {k: v for k, v in self._served.items() if k not in served}
        return lookups, served

    def _deleted_now(self, account_id: int, namespace: str, day: datetime | None) -> bool:
        return any(scope.holds(account_id, namespace, day) for scope in self._deleting)

    def _drop(self, scope: Scope) -> None:
        """A deletion of `scope` committed: its counts held go, and those lookups under way would make later."""
        self._lookups = {k: v for k, v in self._lookups.items() if not scope.holds(*k)}
        self._since = {k: v for k, v in self._since.items() if k in self._lookups}
        self._served = {k: v for k, v in self._served.items() if not scope.holds(k[0], k[1], None)}
        self._deletions += 1
        if self._open:
            self._deleted.append((self._deletions, scope))

    def _merge(self, lookups: Lookups, served: Hits, since: dict[store.DayKey, datetime]) -> None:
        for key, (n, hits) in lookups.items():
            self._since[key] = min(since[key], self._since.get(key, since[key]))
            counts = self._lookups.setdefault(key, [0, 0])
            counts[0] += n
            counts[1] += hits
        for key, (hits, last) in served.items():
            _add_served(self._served, key, hits, last)


def _add_served(served: Hits, key: store.EntryKey, hits: int, last: datetime) -> None:
    held, held_last = served.get(key, (0, last))
    served[key] = (held + hits, max(held_last, last))
