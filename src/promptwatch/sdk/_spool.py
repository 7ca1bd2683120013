"""The on-disk spool that holds request bodies while the server is unreachable.

Layout: `<spool_dir>/<target>/<pid>-<random>/<time_ns>-<seq>-<events>.json.gz`, where `<target>` is a
hash of the server URL and API key (a spool is only ever sent where it was meant to go). Each process
writes to its own directory (0700, files 0600) and holds an exclusive `flock` on its `lock` file while it
lives; a later process adopts the directories whose lock it can take (their owner is gone) and sends
their files. Files are gzipped JSON bodies of `POST /api/v1/ingest`, written to a temporary name and
renamed, so a crash never leaves half a batch. The worker thread uses it; at shutdown the exiting thread
may write to it too (what the worker could not send in time), so writing and removing take a lock.

Disk-full policy: when a new file would take the process's spool past `max_bytes`, the oldest files are
deleted first; their events are counted in `dropped_events` and one warning is logged.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._safe import warn_once

try:
    import fcntl
except ImportError:  # Windows: no adoption of other processes' spools
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".json.gz"


def target_name(host_url: str, api_key: str) -> str:
    return hashlib.sha256(f"{host_url}\0{api_key}".encode()).hexdigest()[:16]


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def events_in(path: Path) -> int:
    try:
        return int(path.name[: -len(SUFFIX)].rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


class Spool:
    """This process's spool directory; used by the worker thread (and at shutdown by the exiting one)."""

    def __init__(self, root: Path, target: str, max_bytes: int):
        self.max_bytes = max_bytes
        self.dropped_events = 0
        self._target_dir = root / target
        self._dir = self._target_dir / f"{os.getpid()}-{os.urandom(4).hex()}"
        self._seq = itertools.count()
        self._lock_fd: int | None = None
        self._files: dict[Path, int] = {}  # path -> size, oldest first
        self._ready = False
        self._lock = threading.RLock()

    @property
    def directory(self) -> Path:
        return self._dir

    def _open(self) -> None:
        if self._ready:
            return
        for path in (self._target_dir.parent.parent, self._target_dir.parent, self._target_dir, self._dir):
            _private_dir(path)
        if fcntl is not None:
            self._lock_fd = os.open(self._dir / "lock", os.O_CREAT | os.O_RDWR, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._ready = True

    def __len__(self) -> int:
        return len(self._files)

    def size_bytes(self) -> int:
        with self._lock:
            return sum(self._files.values())

    def pending_events(self) -> int:
        with self._lock:
            return sum(events_in(path) for path in self._files)

    def write(self, body_gz: bytes, events: int) -> None:
        """Keep one gzipped body on disk, dropping the oldest files if the cap requires it."""
        with self._lock:
            self._write(body_gz, events)

    def _write(self, body_gz: bytes, events: int) -> None:
        if self.max_bytes <= 0:
            self._drop(events)
            return
        self._open()
        while self._files and self.size_bytes() + len(body_gz) > self.max_bytes:
            oldest = next(iter(self._files))
            self.remove(oldest)
            self._drop(events_in(oldest))
        if len(body_gz) > self.max_bytes:
            self._drop(events)
            return
        path = self._dir / f"{time.time_ns():020d}-{next(self._seq):06d}-{events}{SUFFIX}"
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body_gz)
        os.replace(temporary, path)
        self._files[path] = len(body_gz)

    def _drop(self, events: int) -> None:
        self.dropped_events += events
        warn_once(
            "spool-full",
            f"PromptWatch's spool is full ({self.max_bytes} bytes, PROMPTWATCH_SPOOL_MAX_BYTES): the oldest "
            "events are being dropped while the server is unreachable.",
        )

    def paths(self) -> list[Path]:
        """The spooled files, oldest first (a copy: removing files while going through it is safe)."""
        with self._lock:
            return list(self._files)

    def read(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            with self._lock:
                self._files.pop(path, None)
            return None

    @contextmanager
    def released(self, path: Path) -> Iterator[None]:
        """A file out of the count and the cap while its events are sent again in parts: the cap never drops
        it for its own parts. It stays on disk until `remove`, so a crash meanwhile leaves it to be sent again
        (the server keeps one copy of what it gets twice); should the parts fail, it is counted again."""
        with self._lock:
            size = self._files.pop(path, None)
        try:
            yield
        except BaseException:
            if size is not None:
                with self._lock:
                    self._files[path] = size
            raise

    def remove(self, path: Path) -> None:
        with self._lock:
            self._files.pop(path, None)
            path.unlink(missing_ok=True)

    def adopt_orphans(self) -> int:
        """Move the files of dead processes' spools (same server and key) into ours; how many were moved."""
        if fcntl is None or not self._target_dir.is_dir():
            return 0
        moved = 0
        for other in sorted(self._target_dir.iterdir()):
            if other == self._dir or not other.is_dir():
                continue
            moved += self._adopt(other)
        return moved

    def _adopt(self, other: Path) -> int:
        try:
            fd = os.open(other / "lock", os.O_CREAT | os.O_RDWR, 0o600)
        except OSError:
            return 0
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return 0  # its process still runs and sends its own
        try:
            with self._lock:
                self._open()
                moved = 0
                for path in sorted(other.glob(f"*{SUFFIX}")):
                    destination = self._dir / path.name
                    os.replace(path, destination)
                    self._files[destination] = destination.stat().st_size
                    moved += 1
                self._files = dict(sorted(self._files.items()))
            shutil.rmtree(other, ignore_errors=True)
            return moved
        finally:
            os.close(fd)

    def reset_after_fork(self) -> None:
        """In a forked child: a lock the parent's worker held at the fork would never be released."""
        self._lock = threading.RLock()

    def close(self) -> None:
        """Release the lock; the directory goes when it holds no events, else a later process adopts it."""
        with self._lock:
            if not self._ready:
                return
            if not self._files:
                shutil.rmtree(self._dir, ignore_errors=True)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
            self._ready = False
