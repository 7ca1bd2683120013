"""User errors: every command's mistakes end as one line on stderr and exit status 1, decided here once.

A usage mistake (a wrong option value) is typer's: it names the option and exits 2. What goes wrong after
that — no store at the data dir, an unknown key or account, a file that cannot be written, a port in use,
a schema to upgrade, a server that has the store open — is a `CommandError`, a domain error of a service,
or an `OSError`; a damaged SQLite file says so and how to put a backup back. Anything else is a bug and
keeps its traceback.
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
DATABASE_ERROR = ("sqlalchemy.exc", "DatabaseError")


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
    """The line to show for a user error; None for anything else."""
    if isinstance(exc, (CommandError, OSError, *_loaded(*USER_ERRORS))):
        return one_line(exc)
    # SQLite's word for a damaged file is sqlite3.DatabaseError itself, not its subclasses
    if isinstance(exc, _loaded(DATABASE_ERROR)) and type(exc.orig) is sqlite3.DatabaseError:
        return f"the database is damaged ({exc.orig}); `promptwatch restore BACKUP` puts a backup back"
    return None


def _loaded(*classes: tuple[str, str]) -> tuple[type, ...]:
    """Those of the classes whose module is imported: an exception of a class never imported cannot have been
    raised, so the guard costs `--help` no import of the server."""
    return tuple(getattr(sys.modules[module], name) for module, name in classes if module in sys.modules)


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg="red")
    raise typer.Exit(1) from None
