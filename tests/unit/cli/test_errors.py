"""The one handler of user errors: a line on stderr and status 1 for the user's mistakes, a traceback for
anything else."""

from __future__ import annotations

import errno
import sqlite3

import pytest
import typer
from sqlalchemy.exc import DatabaseError, OperationalError
from typer.testing import CliRunner

from promptwatch.cli.errors import CommandError, GuardedGroup
from promptwatch.server.errors import NotFound
from promptwatch.server.settings import SettingsError
from promptwatch.server.store.schema_version import SchemaOutOfDate

DAMAGED = DatabaseError("SELECT 1", {}, sqlite3.DatabaseError("file is not a database"))
LOCKED = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
UNOPENED = OperationalError(None, None, sqlite3.OperationalError("unable to open database file"))


def run(exc: Exception):
    app = typer.Typer(cls=GuardedGroup)

    @app.command("fail")
    def fail() -> None:
        raise exc

    @app.command("other")
    def other() -> None:
        """A second command, so that `fail` is a sub-command of the guarded group."""

    return CliRunner().invoke(app, ["fail"])


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (CommandError("no store\n  here"), "error: no store here"),
        (NotFound("no key pk_x"), "error: no key pk_x"),
        (SchemaOutOfDate("the schema is old"), "error: the schema is old"),
        (OSError(errno.ENOENT, "No such file or directory", "/nope"), "error: /nope: No such file or directory"),
        (
            DAMAGED,
            "error: the database is damaged (file is not a database); `promptwatch restore BACKUP` puts a backup back",
        ),
        (
            UNOPENED,
            "error: cannot connect to the database: unable to open database file; check PROMPTWATCH_DATABASE_URL",
        ),
    ],
)
def test_a_user_error_is_one_line_and_status_1(exc, line):
    result = run(exc)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [line]


@pytest.mark.parametrize("exc", [LOCKED, ValueError("a bug")], ids=["other database error", "bug"])
def test_anything_else_keeps_its_traceback(exc):
    assert run(exc).exception is exc


def test_each_wrong_setting_is_a_line_of_its_own():
    result = run(SettingsError(["PROMPTWATCH_A: must be at most 60", "PROMPTWATCH_B: must be at least 1"]))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: PROMPTWATCH_A: must be at most 60",
        "error: PROMPTWATCH_B: must be at least 1",
    ]
