"""Clause P19 when the deletion ledger is gone: it exists from the server's first start, so a missing one is a
lost one, and a restore without it (which would bring back everything deleted since the backup) is refused
unless the operator says they accept that."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.integration.test_backups import assert_one_line_error, cli, ingest_session, run_cli, session_status


def test_p19_a_fresh_instance_has_its_deletion_ledger_from_the_first_start(fresh_server):
    server = fresh_server()
    ledger = server.settings().deletion_ledger_path()
    assert not ledger.exists()  # bootstrapped, never started
    server.start()
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    first = json.loads(ledger.read_text())  # its one line: the ledger's id, which backups record
    assert first["kind"] == "ledger_started" and first["ledger_id"]


def test_p19_a_restore_without_the_deletion_ledger_is_refused_unless_the_operator_accepts_it(fresh_server):
    server = fresh_server().start()
    doomed = ingest_session(server)
    backup = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    with server.client(server.first.api_key) as client:
        assert client.delete(f"/api/v1/sessions/{doomed}").status_code == 204
    server.stop()
    ledger = server.settings().deletion_ledger_path()
    ledger.unlink()  # lost with the machine, say
    refused = run_cli(server, "restore", str(backup), "--yes")
    assert_one_line_error(refused, f"no deletion ledger at {ledger}", "--without-ledger")
    accepted = cli(server, "restore", str(backup), "--yes", "--without-ledger")
    assert f"no deletion ledger at {ledger}" in accepted.stderr and "deletions re-applied: 0" in accepted.stderr
    server.start()
    assert session_status(server, doomed) == 200  # what the operator accepted: the deletion is undone
