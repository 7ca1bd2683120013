"""User errors: every command's mistakes end as one line on stderr and exit status 1, decided here once.

A usage mistake (a wrong option value) is typer's: it names the option and exits 2. What goes wrong after
that — no store at the data dir, an unknown key or account, a file that cannot be written, a port in use,
a schema to upgrade, a server that has the store open — is a `CommandError`, a domain error of a service,
or an `OSError`; a damaged SQLite file says so and how to put a backup back, a database that cannot be
reached names it and why, and wrong settings take a line each. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING, NoReturn

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    import click

# (module, class) of the server's errors, looked up only once a command failed
USER_ERRORS = (
    ("promptwatch.server.errors", "DomainError"),
    ("promptwatch.server.store.schema_version", "SchemaOutOfDate"),
)
SETTINGS_ERROR = ("promptwatch.server.settings", "SettingsError")
DATABASE_ERROR = ("sqlalchemy.exc", "DatabaseError")
CONNECT_ERROR = ("sqlalchemy.exc", "OperationalError")


class CommandError(Exception):
    """A mistake of the user's, said in one line."""


def one_line(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return " ".join(str(exc).split())


class GuardedGroup(TyperGroup):
    """The root command group: runs every command under the one handler of user errors."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # output piped to a reader that stopped: typer's own case
            raise
        except Exception as exc:
            message = _user_message(exc)
            if message is None:
                raise
            _fail(message)


def _user_message(exc: Exception) -> str | None:
    """The line (a line per wrong setting) to show for a user error; None for anything else."""
    if isinstance(exc, (CommandError, OSError, *_loaded(*USER_ERRORS))):
        return one_line(exc)
    if isinstance(exc, _loaded(SETTINGS_ERROR)):
        return "\n".join(exc.problems)
    # an error without a statement is the driver's at connecting: no such database, server, user or password
    if isinstance(exc, _loaded(CONNECT_ERROR)) and exc.statement is None:
        return _cannot_connect(exc.orig)
    # SQLite's word for a damaged file is sqlite3.DatabaseError itself, not its subclasses
    if isinstance(exc, _loaded(DATABASE_ERROR)) and type(exc.orig) is sqlite3.DatabaseError:
        return f"the database is damaged ({exc.orig}); `promptwatch restore BACKUP` puts a backup back"
    return None


def _cannot_connect(orig: BaseException) -> str:
    """libpq's reason, after the server and database it names (a psycopg error keeps the failed connection)."""
    reason = one_line(orig)
    where = ""
    if (pgconn := getattr(orig, "pgconn", None)) is not None:
        where = f" {pgconn.db.decode()!r} at {pgconn.host.decode()}:{pgconn.port.decode()}"
        reason = reason.rsplit(" failed: ", 1)[-1].removeprefix("FATAL: ")
    return f"cannot connect to the database{where}: {reason}; check PROMPTWATCH_DATABASE_URL"


def _loaded(*classes: tuple[str, str]) -> tuple[type, ...]:
    """Those of the classes whose module is imported: an exception of a class never imported cannot have been
    raised, so the guard costs `--help` no import of the server."""
    return tuple(getattr(sys.modules[module], name) for module, name in classes if module in sys.modules)


def _fail(message: str) -> NoReturn:
    for line in message.splitlines():
        typer.secho(f"error: {line}", err=True, fg="red")
    raise typer.Exit(1) from None
