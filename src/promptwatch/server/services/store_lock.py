"""Who has the store: `promptwatch up` holds a shared lock on `<data dir>/promptwatch.lock` for its whole life
(several servers on one PostgreSQL share it); a command that replaces or rewrites the store (restore, schema
migrations, master key rotation) holds it exclusively. On SQLite a server also holds
`<database file>.server.lock` alone: one process writes a SQLite store, so a second server on it is refused,
whichever data dir it names the file from. Nobody waits: each refuses while the other runs.

The SQLite server's lock is a second file rather than the store lock taken exclusively, so that a refused
command can still tell a running server (shared holders) from another command (a sole holder).

A restore leaves a marker (`restore-pending.json`) in the data dir from the moment it starts to replace the
database until every later deletion is applied again: while it is there the restored store may hold data
deleted since the backup, so no server serves it and no command reads it until the restore is run again.

POSIX `flock`: the lock goes with the process however it ends, so a crashed server never leaves a stale
lock. Where `fcntl` is missing (Windows) nothing is checked and stopping the server is up to the operator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy.engine import make_url

from ..errors import Conflict
from ..settings import Settings, resolve_database_url

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "promptwatch.lock"
RESTORE_MARKER = "restore-pending.json"
SERVER_LOCK_SUFFIX = ".server.lock"  # beside a SQLite database file, whichever data dir names it


@contextmanager
def serving(settings: Settings) -> Iterator[None]:
    """Held by a running server; refuses while a command rewrites the store, after a restore that did not
    finish, and on SQLite while another server serves it."""
    with _held(_store_lock(settings), shared=True) as taken:
        if not taken:
            raise Conflict(
                f"a command is restoring or migrating the store at {_where(settings)}; start the server when it is done"
            )
        refuse_unfinished_restore(settings)
        server_lock = _server_lock(settings)
        with _held(server_lock, shared=False) if server_lock else nullcontext(True) as alone:
            if not alone:
                raise Conflict(
                    f"a PromptWatch server already serves the store at {_where(settings)}; "
                    "a SQLite store has one server at a time"
                )
            yield


@contextmanager
def rewriting(settings: Settings) -> Iterator[None]:
    """Held while a command replaces or rewrites the store; refuses while a server has it open."""
    with _held(_store_lock(settings), shared=False) as taken:
        if not taken:
            raise Conflict(_holder(settings))
        yield


@contextmanager
def restoring(settings: Settings, backup: str) -> Iterator[None]:
    """Around a restore, from before the database is replaced: the marker stays if the restore fails."""
    marker = _restore_marker(settings)
    marker.write_text(json.dumps({"backup": backup}))
    yield
    marker.unlink()


def refuse_unfinished_restore(settings: Settings) -> None:
    """Refuse (409) while a restore that did not finish left its marker."""
    marker = _restore_marker(settings)
    if marker.exists():
        backup = json.loads(marker.read_text()).get("backup", "BACKUP")
        raise Conflict(
            f"the restore of {backup} did not finish, so the store may hold data deleted since that backup; "
            f"run `promptwatch restore {backup} --yes` again"
        )


def _restore_marker(settings: Settings) -> Path:
    return Path(settings.data_dir) / RESTORE_MARKER


def _holder(settings: Settings) -> str:
    with _held(_store_lock(settings), shared=True) as shared:  # servers share it; another command holds it alone
        if shared:
            return f"a PromptWatch server has the store at {_where(settings)} open; stop the server first"
    return f"another command is restoring or migrating the store at {_where(settings)}; wait until it is done"


def _store_lock(settings: Settings) -> Path:
    return Path(settings.data_dir) / LOCK_FILE


def _server_lock(settings: Settings) -> Path | None:
    """`<database file>.server.lock` for a SQLite store (beside the file, whichever data dir names it); None
    for PostgreSQL, which several servers share."""
    url = make_url(resolve_database_url(settings))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = Path(url.database).absolute()
    return database.with_name(database.name + SERVER_LOCK_SUFFIX)


@contextmanager
def _held(path: Path, shared: bool) -> Iterator[bool]:
    """Try the lock on the file `path` without waiting; yields whether it was taken (always True without
    `fcntl`)."""
    if fcntl is None:
        yield True
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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
