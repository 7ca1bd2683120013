"""`promptwatch staff create`: the operator's people (instance role `staff` or `operator`), made offline."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console

from .choices import InstanceRole
from .options import DataDir, open_runtime

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The person's e-mail: their sign-in name.")],
    role: Annotated[
        InstanceRole,
        typer.Option(help="staff (manage the instance, no customer data) or operator (also billing and mail)."),
    ] = "staff",
    data_dir: DataDir = None,
) -> None:
    """Create a staff user with a generated password, printed once (they sign in at /ui/ with it)."""
    from promptwatch.server.services.staff import StaffService

    password = secrets.token_urlsafe(18)
    StaffService(open_runtime(data_dir)).create_staff(email, password, role)
    console.print(f"{role} user {email} created; the password, shown this once:")
    typer.echo(password)
