"""A scheduled backup that keeps failing fills no log: its traceback once when it starts failing (and again
when the reason changes), a line at each later check, and a line when it works again."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator

import pytest

from promptwatch.server.services.backup_schedule import BackupSchedule
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade


@pytest.fixture
def schedule(tmp_path) -> Iterator[BackupSchedule]:
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'promptwatch.db'}", backup_interval_hours=0.001
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield BackupSchedule(Runtime.build(settings, engine))
    engine.dispose()


def checks(schedule: BackupSchedule, caplog, times: int) -> list[logging.LogRecord]:
    """The records `times` checks logged (none raises: the job would log its traceback again)."""
    caplog.clear()
    for _ in range(times):
        schedule.run_if_due()
    return [record for record in caplog.records if record.name == "promptwatch.jobs"]


def test_a_failing_scheduled_backup_logs_its_traceback_once_then_a_line_per_check_and_its_recovery(
    schedule, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger="promptwatch.jobs")
    backups = tmp_path / "backups"
    backups.write_text("not a directory")
    reason = f"PROMPTWATCH_BACKUP_DIR: {backups} is not a directory"

    [first] = checks(schedule, caplog, 1)
    assert (first.levelname, first.getMessage()) == ("ERROR", f"job backup failed: {reason}")
    assert first.exc_info is not None
    since = schedule.status()["last_failure_at"]
    later = checks(schedule, caplog, 2)
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in later] == [
        ("WARNING", f"job backup still failing (since {since}): {reason}", None)
    ] * 2

    backups.unlink()
    (backups / "catalog.json").mkdir(parents=True)  # another reason: its traceback is logged again
    changed, again = checks(schedule, caplog, 2)
    assert changed.levelname == "ERROR" and changed.exc_info is not None
    assert changed.getMessage() == f"job backup failed: {backups / 'catalog.json'}: Is a directory"
    assert again.levelname == "WARNING" and again.exc_info is None
    assert f"(since {since})" in again.getMessage()  # the same run of failures

    shutil.rmtree(backups / "catalog.json")
    recovered = checks(schedule, caplog, 1)
    assert [(r.levelname, r.getMessage()) for r in recovered] == [
        ("WARNING", f"job backup works again (failing since {since})")
    ]
    assert schedule.status()["last_backup_at"] is not None
    assert checks(schedule, caplog, 1) == []  # working: nothing to say


def test_a_scheduled_backup_is_put_off_not_failed_while_another_process_holds_the_backup_directory(
    schedule, caplog
):
    """A long `promptwatch backup` (a pg_dump of an hour) is no failure of the scheduled one: it waits for none."""
    caplog.set_level(logging.INFO, logger="promptwatch.jobs")
    lock = schedule._rt.settings.backups_path() / "catalog.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        [record] = checks(schedule, caplog, 1)
        assert time.monotonic() - started < 5
    finally:
        os.close(descriptor)
    assert (record.levelname, record.getMessage()) == ("INFO", "job backup put off: the backup directory is busy")
    assert schedule.status()["last_failure"] is None and schedule.status()["last_backup_at"] is None
    checks(schedule, caplog, 1)
    assert schedule.status()["last_backup_at"] is not None
