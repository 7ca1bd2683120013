"""User errors: every command's mistakes end as one line on stderr and exit status 1, decided here once.

A usage mistake (a wrong option value) is typer's: it names the option and exits 2. What goes wrong after
that — no store at the data dir, an unknown key or account, a file that cannot be written, a port in use,
a schema to upgrade, a server that has the store open — is a `CommandError`, a domain error of a service,
or an `OSError`; a damaged SQLite file says so and how to put a backup back. Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import sqlite3
from typing import NoReturn

import click
import typer
from sqlalchemy.exc import DatabaseError
from typer.core import TyperGroup

from promptwatch.server.errors import DomainError
from promptwatch.server.store.schema_version import SchemaOutOfDate

USER_ERRORS = (DomainError, SchemaOutOfDate, OSError)


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
        except (CommandError, *USER_ERRORS) as exc:
            _fail(one_line(exc))
        except DatabaseError as exc:
            if type(exc.orig) is not sqlite3.DatabaseError:  # SQLite's word for a damaged file; not its subclasses
                raise
            _fail(f"the database is damaged ({exc.orig}); `promptwatch restore BACKUP` puts a backup back")


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg="red")
    raise typer.Exit(1) from None
