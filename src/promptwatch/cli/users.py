"""`promptwatch users reset-password`: the way back in when a password is lost, e.g. the owner's one-time
password of the first run."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console

from .options import DataDir, open_runtime

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail: their sign-in name.")],
    data_dir: DataDir = None,
) -> None:
    """Give the user a new generated password, printed once; their open sessions end."""
    from promptwatch.server.services.accounts import AccountService

    password = secrets.token_urlsafe(12)
    AccountService(open_runtime(data_dir)).set_password(email, password)
    console.print(f"new password for {email}, shown this once:")
    typer.echo(password)
