"""Backups and restores on a SQLite store of their own, in this process: the deletion ledger a restore needs
exists from the first backup on and a restore refuses without it (P19), a restore holds the backup directory's
lock, and nobody waits for that lock without end."""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest

from promptwatch.server.errors import Conflict
from promptwatch.server.services import backups
from promptwatch.server.services.backups import expire_backups, restore_backup, take_backup
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade

pytestmark = pytest.mark.timeout(60)  # a wait without end fails here, not after the suite's five minutes


@pytest.fixture
def runtime(tmp_path) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'promptwatch.db'}")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield Runtime.build(settings, engine)
    engine.dispose()


@contextmanager
def lock_held_elsewhere(settings: Settings) -> Iterator[Path]:
    """The backup directory's lock, held alone as a stuck backup or expiry would hold it."""
    path = settings.backups_path() / backups.CATALOG_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield path
    finally:
        os.close(descriptor)


def test_p19_the_first_backup_begins_the_deletion_ledger_private_and_names_it(runtime):
    ledger = runtime.settings.deletion_ledger_path()
    assert not ledger.exists()  # nothing was deleted and no server started: none yet
    taken = take_backup(runtime)
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert list(runtime.ledger.entries()) == []  # its id line is no entry
    assert taken["ledger"] == runtime.ledger.identity()[0] and len(taken["ledger"]) == 32
    runtime.ledger.append({"kind": "session", "at": "2026-01-01T00:00:00+00:00"})
    assert runtime.ledger.identity()[0] == taken["ledger"] and len(list(runtime.ledger.entries())) == 1


def test_p19_a_ledger_written_at_the_first_deletion_is_private_too(runtime):
    runtime.ledger.append({"kind": "session", "at": "2026-01-01T00:00:00+00:00"})
    assert stat.S_IMODE(runtime.settings.deletion_ledger_path().stat().st_mode) == 0o600


def test_p19_a_restore_refuses_without_the_deletion_ledger_unless_told_to_go_without(runtime):
    backup = Path(take_backup(runtime)["path"])
    ledger = runtime.settings.deletion_ledger_path()
    ledger.unlink()
    runtime.engine.dispose()
    with pytest.raises(Conflict, match=f"no deletion ledger at {ledger}: .*--without-ledger"):
        restore_backup(runtime.settings, backup)
    assert not (runtime.settings.data_dir / "restore-pending.json").exists()  # refused before anything was replaced
    restored = restore_backup(runtime.settings, backup, without_ledger=True)
    assert restored["restored"] == backup.name and restored["ledger_missing"] == str(ledger)
    ledger.touch()
    assert "ledger_missing" not in restore_backup(runtime.settings, backup, without_ledger=True)


def test_p19_a_restore_refuses_a_ledger_begun_after_the_backup(runtime):
    """A lost ledger is replaced, empty, by the next start (a new machine); its id is not the backup's."""
    backup = Path(take_backup(runtime)["path"])
    runtime.ledger.path.unlink()
    runtime.ledger.create()
    runtime.engine.dispose()
    with pytest.raises(Conflict, match=f"ledger at {runtime.ledger.path} is not the one this backup was taken with"):
        restore_backup(runtime.settings, backup)
    assert not (runtime.settings.data_dir / "restore-pending.json").exists()
    assert restore_backup(runtime.settings, backup, without_ledger=True)["restored"] == backup.name


def test_p19_a_ledger_of_an_earlier_release_is_named_by_its_first_entry(runtime):
    ledger = runtime.settings.deletion_ledger_path()
    ledger.parent.mkdir()
    first = '{"at": "2026-01-01T00:00:00+00:00", "kind": "session"}\n'
    ledger.write_text(first)
    assert runtime.ledger.identity() == (runtime.ledger.hash(first), datetime(2026, 1, 1, tzinfo=timezone.utc))
    taken = take_backup(runtime)
    assert taken["ledger"] == runtime.ledger.hash(first)
    runtime.engine.dispose()
    assert restore_backup(runtime.settings, Path(taken["path"]))["restored"] == taken["file"]
    ledger.unlink()
    runtime.ledger.create()  # lost, and begun anew
    with pytest.raises(Conflict, match="not the one this backup was taken with"):
        restore_backup(runtime.settings, Path(taken["path"]))


def test_p19_a_backup_of_an_earlier_release_refuses_a_ledger_begun_after_it(runtime):
    """Such a backup names no ledger: the ledger must have begun before it."""
    taken = take_backup(runtime)
    catalog = backups.read_catalog(runtime.settings)
    for entry in catalog:
        del entry["ledger"]
    backups._write_catalog(runtime.settings, catalog)
    runtime.engine.dispose()
    assert restore_backup(runtime.settings, Path(taken["path"]))["restored"] == taken["file"]  # begun before it
    runtime.ledger.path.unlink()
    runtime.ledger.create()
    refusal = "began at .*, after this backup of an earlier release was taken .*--without-ledger loses nothing"
    with pytest.raises(Conflict, match=refusal):
        restore_backup(runtime.settings, Path(taken["path"]))
    assert restore_backup(runtime.settings, Path(taken["path"]), without_ledger=True)["restored"] == taken["file"]


def test_p19_a_ledger_begins_where_the_file_system_has_no_hard_links(runtime, monkeypatch):
    def no_links(*_args):
        raise PermissionError("hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    runtime.ledger.append({"kind": "session", "at": "2026-01-01T00:00:00+00:00"})
    assert runtime.ledger.identity() is not None and len(list(runtime.ledger.entries())) == 1
    assert [p.name for p in runtime.ledger.path.parent.iterdir()] == [runtime.ledger.path.name]

def test_a_restore_holds_the_backup_directorys_lock_so_no_expiry_removes_its_backup_meanwhile(runtime, monkeypatch):
    backup = Path(take_backup(runtime)["path"])
    runtime.engine.dispose()
    monkeypatch.setattr(backups, "LOCK_WAIT_SECONDS", 0.5)
    with lock_held_elsewhere(runtime.settings) as lock, pytest.raises(Conflict, match=str(lock)):
        restore_backup(runtime.settings, backup)
    assert not (runtime.settings.data_dir / "restore-pending.json").exists()  # nothing was replaced
    assert restore_backup(runtime.settings, backup)["restored"] == backup.name  # the lock gone, it goes on


def test_a_stuck_holder_of_the_backup_directorys_lock_fails_a_backup_and_an_expiry_in_bounded_time(
    runtime, monkeypatch
):
    monkeypatch.setattr(backups, "LOCK_WAIT_SECONDS", 0.5)
    with lock_held_elsewhere(runtime.settings) as lock:
        for work in (take_backup, expire_backups):
            started = time.monotonic()
            with pytest.raises(Conflict, match=f"{lock} is still locked after 0.5 seconds"):
                work(runtime)
            assert 0.5 <= time.monotonic() - started < 5
    assert take_backup(runtime)["file"]  # the holder gone, a backup is taken at once
