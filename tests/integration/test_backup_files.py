"""What backups leave for other users of the machine to see: no database password on the command line of
pg_dump or pg_restore (the process list shows it to everyone), and a catalog as private as the backups."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.server import TEST_ENV

PASSWORD = "SuperSecretPW"


def recording_tools(directory: Path) -> tuple[str, Path]:
    """A PATH on which pg_dump and pg_restore write their arguments and their PGPASSWORD to a file, then run as
    the real ones; and that file."""
    calls = directory / "calls.log"
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    for tool in ("pg_dump", "pg_restore"):
        script = bin_dir / tool
        script.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "{tool} argv: $*" "{tool} PGPASSWORD: $PGPASSWORD" >> "{calls}"\n'
            f'exec {shutil.which(tool)} "$@"\n'
        )
        script.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin", calls


def command(server, database_url: str, path: str, *args: str) -> subprocess.CompletedProcess:
    env = {**TEST_ENV, "PROMPTWATCH_DATABASE_URL": database_url, "PATH": path, "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "promptwatch.cli", *args, "--data-dir", str(server.data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.postgresql  # pg_dump and pg_restore are PostgreSQL's
def test_the_database_password_reaches_pg_dump_and_pg_restore_only_in_their_environment(
    backend, fresh_server, tmp_path
):
    server = fresh_server()  # the test server trusts local connections: the password is accepted, not needed
    url = make_url(server.database_url).set(password=PASSWORD).render_as_string(hide_password=False)
    path, calls = recording_tools(tmp_path)
    backup = command(server, url, path, "backup").stdout.strip().splitlines()[-1]
    command(server, url, path, "restore", backup, "--yes")
    lines = calls.read_text().splitlines()
    argv = [line for line in lines if " argv: " in line]
    assert [line.split()[0] for line in argv] == ["pg_dump", "pg_restore"], lines
    assert not [line for line in argv if PASSWORD in line], argv
    assert f"pg_dump PGPASSWORD: {PASSWORD}" in lines and f"pg_restore PGPASSWORD: {PASSWORD}" in lines


def test_the_catalog_is_as_private_as_the_backups(fresh_server, tmp_path):
    server = fresh_server()
    previous = os.umask(0o022)  # the usual one, under which files are made readable by everyone
    try:
        for _ in range(2):  # a catalog written again stays so
            backup = Path(command(server, server.database_url, "/usr/bin:/bin", "backup").stdout.split()[-1])
    finally:
        os.umask(previous)
    for path in (backup, backup.parent / "catalog.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
