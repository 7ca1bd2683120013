"""Who has the store: `promptwatch up` holds a shared lock on `<data dir>/promptwatch.lock` for its whole life
(several servers on one PostgreSQL share it); a command that replaces or rewrites the store (restore, schema
migrations, master key rotation) holds it exclusively. Neither waits: each refuses while the other runs.

POSIX `flock`: the lock goes with the process however it ends, so a crashed server never leaves a stale
lock. Where `fcntl` is missing (Windows) nothing is checked and stopping the server is up to the operator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import Conflict
from ..settings import Settings

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "promptwatch.lock"


@contextmanager
def serving(settings: Settings) -> Iterator[None]:
    """Held by a running server; refuses while a command rewrites the store."""
    with _held(settings, shared=True) as taken:
        if not taken:
            raise Conflict(
                f"a command is restoring or migrating the store at {_where(settings)}; start the server when it is done"
            )
        yield


@contextmanager
def rewriting(settings: Settings) -> Iterator[None]:
    """Held while a command replaces or rewrites the store; refuses while a server has it open."""
    with _held(settings, shared=False) as taken:
        if not taken:
            raise Conflict(_holder(settings))
        yield


def _holder(settings: Settings) -> str:
    with _held(settings, shared=True) as shared:  # servers share the lock; another command holds it alone
        if shared:
            return f"a PromptWatch server has the store at {_where(settings)} open; stop the server first"
    return f"another command is restoring or migrating the store at {_where(settings)}; wait until it is done"


@contextmanager
def _held(settings: Settings, shared: bool) -> Iterator[bool]:
    """Try the lock without waiting; yields whether it was taken (always True without `fcntl`)."""
    if fcntl is None:
        yield True
        return
    directory = Path(settings.data_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        yield taken
    finally:
        os.close(descriptor)  # closing lets the lock go


def _where(settings: Settings) -> Path:
    return Path(settings.data_dir).absolute()
