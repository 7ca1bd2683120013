"""The semantic cache's in-process accelerator: per partition, the entries' vectors as one numpy matrix.

The database stays the source of truth; the index only ranks. Every lookup reads the partition's latest write
(one index seek); when it moved, the entries written since are read and merged (new ones appended, updated
ones replaced). A delete is not seen by that check, so the caller re-reads each candidate from the database
before serving it: a deleted entry is never served, whatever the index holds, and a candidate found gone or
changed marks the partition stale, to be rebuilt by the next lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from ..store import prompt_cache as store

MAX_CANDIDATES = 64  # the best-ranked entries a lookup re-reads and guards, at most
DEFAULT_BUDGET_BYTES = 256 * 2**20  # vectors kept in memory across partitions (least recently used go)


@dataclass
class _Matrix:
    latest: tuple | None  # (updated_at, pk) of the partition's latest write when last read
    pks: np.ndarray  # int64, ascending; capacity rows, the first `size` used
    vectors: np.ndarray  # float32 (capacity, vectors per entry, dims)
    size: int = 0
    stale: bool = False

    def nbytes(self) -> int:
        return self.pks.nbytes + self.vectors.nbytes

    def merge(self, rows: Sequence, shape: tuple[int, int]) -> bool:
        """Replace the vectors of known pks, append larger ones; False when a row fits neither (rebuild)."""
        if not rows:
            return True
        blocks = np.frombuffer(b"".join(row.embedding for row in rows), dtype="<f4").reshape(len(rows), *shape)
        pks = np.fromiter((row.pk for row in rows), dtype=np.int64, count=len(rows))
        used = self.pks[: self.size]
        where = np.searchsorted(used, pks)
        known = used[np.minimum(where, self.size - 1)] == pks if self.size else np.zeros(len(pks), dtype=bool)
        new = ~known
        if self.size and new.any() and pks[new].min() <= used[-1]:
            return False
        self.vectors[where[known]] = blocks[known]
        self._append(pks[new], blocks[new])
        return True

    def _append(self, pks: np.ndarray, blocks: np.ndarray) -> None:
        needed = self.size + len(pks)
        if needed > len(self.pks):
            capacity = max(needed + needed // 4, 64)  # room for the entries that follow, not twice the memory
            self.pks = _grown(self.pks, capacity)
            self.vectors = _grown(self.vectors, capacity)
        self.pks[self.size : needed] = pks
        self.vectors[self.size : needed] = blocks
        self.size = needed


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class VectorIndex:
    """Ranks a partition's entries by similarity to a query; thread-safe, bounded by `budget_bytes`."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._budget = budget_bytes
        self._matrices: OrderedDict[store.Partition, _Matrix] = OrderedDict()
        self._lock = threading.Lock()  # guards the two dicts, held only for moments
        self._building: dict[store.Partition, threading.Lock] = {}  # one builder per partition at a time

    def ranked(
        self, conn: Connection, part: store.Partition, query: Sequence[Sequence[float]], threshold: float
    ) -> list[tuple[int, float]]:
        """(pk, similarity) of the best entries at or above `threshold`, best first, at most MAX_CANDIDATES."""
        pks, vectors = self._current(conn, part)
        if not len(pks):
            return []
        q = np.asarray(query, dtype=np.float32)
        # a list of vectors (one per template input): the weakest pair decides. einsum, not BLAS: a
        # single-threaded pass over memory, where BLAS threads fight for a busy machine's cores
        scores = np.einsum("nkd,kd->nk", vectors, q).min(axis=1)
        above = np.flatnonzero(scores >= threshold)
        if len(above) > MAX_CANDIDATES:
            above = above[np.argpartition(-scores[above], MAX_CANDIDATES - 1)[:MAX_CANDIDATES]]
        best_first = above[np.argsort(-scores[above], kind="stable")]
        return [(int(pks[i]), float(scores[i])) for i in best_first]

    def mark_stale(self, part: store.Partition) -> None:
        """A candidate was gone or changed in the database: rebuild this partition on its next lookup."""
        with self._lock:
            if part in self._matrices:
                self._matrices[part].stale = True

    def _current(self, conn: Connection, part: store.Partition) -> tuple[np.ndarray, np.ndarray]:
        latest = store.latest(conn, part)
        shape = (max(part.vector_count, 1), part.dims)
        with self._lock:
            building = self._building.setdefault(part, threading.Lock())
        with building:  # reads the database: other partitions' lookups go on meanwhile
            with self._lock:
                matrix = self._matrices.get(part)
            if matrix is None or matrix.stale or latest is None or matrix.latest is None:
                matrix = self._built(conn, part, latest, shape)
            elif matrix.latest != latest:
                if not matrix.merge(store.vectors_since(conn, part, matrix.latest), shape):
                    matrix = self._built(conn, part, latest, shape)
                matrix.latest = latest
            with self._lock:
                self._matrices[part] = matrix
                self._matrices.move_to_end(part)
                self._evict()
                # views of the used rows: a later merge appends beyond them (a replaced row is re-read when served)
                return matrix.pks[: matrix.size], matrix.vectors[: matrix.size]

    @staticmethod
    def _built(conn: Connection, part: store.Partition, latest: tuple | None, shape: tuple[int, int]) -> _Matrix:
        matrix = _Matrix(latest, np.zeros(0, np.int64), np.zeros((0, *shape), np.float32))
        if latest is not None:
            matrix.merge(store.vectors_since(conn, part, None), shape)
        return matrix

    def _evict(self) -> None:
        total = sum(m.nbytes() for m in self._matrices.values())
        while total > self._budget and len(self._matrices) > 1:
            evicted, dropped = self._matrices.popitem(last=False)
            self._building.pop(evicted, None)
            total -= dropped.nbytes()
