"""User errors: every command's mistakes end as one line on stderr and exit status 1, decided here once.

A usage mistake (a wrong option value) is typer's: it names the option and exits 2. What goes wrong after
that — no store at the data dir, an unknown key or account, a file that cannot be written, a port in use,
a schema to upgrade — is a `CommandError`, a domain error of a service, or an `OSError`. Anything else is
a bug and keeps its traceback.
"""

from __future__ import annotations

import click
import typer
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
            typer.secho(f"error: {one_line(exc)}", err=True, fg="red")
            raise typer.Exit(1) from None
