"""Scheduled backups (P19) follow the catalog, not the server's uptime: ten seconds after start, then every five
minutes (sooner with an interval shorter than that), a backup is taken when the last one the catalog lists is
older than PROMPTWATCH_BACKUP_INTERVAL_HOURS, or there is none; so restarts, however frequent, never put the
next one off, and several servers on one store take one between them (the job runs under its lock, and the
next reads the catalog the last one wrote). What became of them is in the readiness answer: the time of the
last backup the catalog lists and the time and reason of this process's last failed one.

A backup that keeps failing is logged without filling the log: its traceback when backups start failing, and
again when the reason changes (ERROR `job backup failed: <reason>`), then a line at each later check (WARNING
`job backup still failing (since <time>): <reason>`), and a line when a check works again (WARNING, so that
the default log level shows it with the failures it ends)."""

from __future__ import annotations

import logging
import subprocess
from datetime import datetime, timedelta

from .backups import BackupDirBusy, expire_backups, last_backup_time, take_backup
from .clock import utc_now
from .runtime import Runtime

FIRST_CHECK_SECONDS = 10.0
CHECK_SECONDS = 300.0
REASON_CHARS = 200
log = logging.getLogger("promptwatch.jobs")  # the job's own logger: a filter on it finds these lines too


class BackupSchedule:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.interval = timedelta(hours=runtime.settings.backup_interval_hours)
        self.last_failure_at: datetime | None = None
        self.last_failure: str | None = None
        self._failing_since: datetime | None = None  # the first failure of those since the last check that worked

    @property
    def first_check_seconds(self) -> float:
        return min(FIRST_CHECK_SECONDS, self.interval.total_seconds())

    @property
    def check_seconds(self) -> float:
        """Seconds between checks; 0 when scheduled backups are off."""
        return min(CHECK_SECONDS, self.interval.total_seconds())

    def run_if_due(self) -> None:
        """A backup, then the expiry of those past their retention, when the catalog's last backup is older than
        the interval; a failure is kept for `status()` and logged here, never raised (the job would log its
        traceback at every check)."""
        try:
            last = last_backup_time(self._rt.settings)
            if last is None or utc_now() - last >= self.interval:
                take_backup(self._rt, wait=0)
                expire_backups(self._rt, wait=0)
        except BackupDirBusy:  # another process backs up, expires or restores: the next check sees what it did
            log.info("job backup put off: the backup directory is busy")
            return
        except Exception as exc:
            self._failed(exc)
            return
        if self._failing_since is not None:
            log.warning("job backup works again (failing since %s)", self._failing_since.isoformat())
            self._failing_since = None

    def _failed(self, exc: Exception) -> None:
        now, reason = utc_now(), _reason(exc)
        if self._failing_since is None or reason != self.last_failure:
            log.error("job backup failed: %s", reason, exc_info=exc)
        else:
            log.warning("job backup still failing (since %s): %s", self._failing_since.isoformat(), reason)
        self._failing_since = self._failing_since or now
        self.last_failure_at, self.last_failure = now, reason

    def status(self) -> dict:
        """`interval_hours`, `last_backup_at` (the catalog's last; null for none, or a catalog that cannot be
        read), and `last_failure_at` and `last_failure` of this process's scheduled backups (null for none)."""
        try:
            last = last_backup_time(self._rt.settings)
        except (OSError, ValueError, KeyError):
            last = None
        return {
            "interval_hours": self._rt.settings.backup_interval_hours,
            "last_backup_at": last and last.isoformat(),
            "last_failure_at": self.last_failure_at and self.last_failure_at.isoformat(),
            "last_failure": self.last_failure,
        }


def _reason(exc: Exception) -> str:
    """One line: pg_dump's last word, a file and what the system said of it, or the error's message."""
    if isinstance(exc, subprocess.CalledProcessError):
        said = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        text = f"{exc.cmd[0]} exited with status {exc.returncode}" + (f": {said[-1]}" if said else "")
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        text = " ".join(str(exc).split())
    return text[:REASON_CHARS]
