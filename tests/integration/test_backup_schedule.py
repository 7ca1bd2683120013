"""Clause P19's scheduled backups follow the catalog, so that restarts never put them off, and a failed one is
seen: in the readiness answer (which stays 200: serving is fine) and in the log, a line with its time, level
and logger, its traceback once however many checks it keeps failing, and a line when it works again."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from promptwatch.server.services.backups import read_catalog, take_backup
from promptwatch.server.services.clock import utc_now
from tests.integration.test_backups import runtime_of

pytestmark = pytest.mark.timeout(180)


def backups_status(server) -> dict:
    with server.client() as client:
        answer = client.get("/api/v1/ready")
    assert answer.status_code == 200, answer.text
    return answer.json()["backups"]


def wait_for(check: Callable[[], object], seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.2)
    return found


def test_p19_a_restarted_server_backs_up_when_the_catalogs_last_backup_is_older_than_the_interval(fresh_server):
    server = fresh_server()
    server.extra_env = {"PROMPTWATCH_BACKUP_INTERVAL_HOURS": "1"}
    take_backup(runtime_of(server), now=utc_now() - timedelta(hours=2))  # before the last restart, say
    server.start()  # a whole interval after it: none would have been taken before this fix
    wait_for(lambda: len(read_catalog(server.settings())) == 2, seconds=45)
    taken = datetime.fromisoformat(read_catalog(server.settings())[-1]["taken_at"])
    assert utc_now() - taken < timedelta(minutes=1)
    assert backups_status(server) == {
        "interval_hours": 1,
        "last_backup_at": taken.isoformat(),
        "last_failure_at": None,
        "last_failure": None,
    }
    server.stop()
    server.start()  # the last backup is recent: a restart takes none
    time.sleep(15)  # past the first look
    assert len(read_catalog(server.settings())) == 2


def test_p19_a_failed_scheduled_backup_shows_in_readiness_and_the_log_and_serving_goes_on(fresh_server):
    server = fresh_server()
    server.extra_env = {"PROMPTWATCH_BACKUP_INTERVAL_HOURS": "0.001"}  # 3.6 seconds
    server.start()
    first = wait_for(lambda: backups_status(server)["last_backup_at"])  # none in the catalog: one soon after start
    backups = server.data_dir / "backups"
    shutil.rmtree(backups)
    backups.write_text("not a directory")
    failed = wait_for(lambda: (status := backups_status(server))["last_failure_at"] and status)
    assert failed["last_failure"] == f"PROMPTWATCH_BACKUP_DIR: {backups} is not a directory"
    assert failed["last_backup_at"] is None and failed["interval_hours"] == 0.001  # its catalog is gone with it
    time_level_logger = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERROR promptwatch\.jobs: job backup failed: "
    failed_line = f"^{time_level_logger}{re.escape(failed['last_failure'])}$"
    assert re.search(failed_line, server.log_text(), re.MULTILINE), server.log_text()[-2000:]
    wait_for(lambda: "WARNING promptwatch.jobs: job backup still failing (since " in server.log_text())
    assert server.log_text().count("Traceback") == 1  # once, not at every check
    with server.client(server.first.api_key) as client:
        assert client.get("/api/v1/sessions").status_code == 200
    backups.unlink()  # the operator puts it right: the next look backs up again
    again = wait_for(lambda: (status := backups_status(server))["last_backup_at"] and status)
    times = [datetime.fromisoformat(at) for at in (first, failed["last_failure_at"], again["last_backup_at"])]
    assert times == sorted(times)
    assert again["last_failure"] == failed["last_failure"]  # kept: the times say which came last
    wait_for(lambda: "WARNING promptwatch.jobs: job backup works again (failing since " in server.log_text())
