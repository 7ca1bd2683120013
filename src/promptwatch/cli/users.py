"""`promptwatch users reset-password`: the way back in when a password is lost, e.g. the owner's one-time
password of the first run; `promptwatch users set-role`: a person's role in an account, e.g. an owner for an
account a restore left without one; `promptwatch users delete`: a person's erasure."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console

from .choices import Role
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


@app.command("set-role")
def set_role(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail: their sign-in name.")],
    role: Annotated[Role, typer.Argument(metavar="ROLE", help="The role in the account.")],
    account: Annotated[int, typer.Option("--account", help="Account id (the first account is 1).")],
    data_dir: DataDir = None,
) -> None:
    """Set an existing user's role in an account, making them a member of the whole account when they are
    not one; the account's last owner is not demoted. The audit log records `member.update`."""
    from promptwatch.server.services.mail import MailService
    from promptwatch.server.services.members import MemberService

    runtime = open_runtime(data_dir, account)
    changed = MemberService(runtime, MailService(runtime)).set_role_from_command_line(email, account, role)
    was = f"was {changed['previous_role']}" if changed["previous_role"] else "was not a member"
    console.print(f"{email} is now {changed['role']} of account {account} ({was})", markup=False)
    if changed["projects"]:
        console.print(f"limited to the projects {', '.join(changed['projects'])}, as before", markup=False)


@app.command("delete")
def delete(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The user's e-mail: their sign-in name.")],
    data_dir: DataDir = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Erase a user: their sign-in, log-in tokens, memberships, invitations, tokens and mail. Refused while
    they are the only owner of an account (delete the account or give it another owner first)."""
    from promptwatch.server.services.deletion import DeletionService

    if not yes and not typer.confirm(f"Erase {email} and everything that names them? This cannot be undone"):
        raise typer.Exit(1)
    receipt = DeletionService(open_runtime(data_dir)).erase_user(email)
    for table, rows in sorted(receipt["counts"].items()):
        console.print(f"  erased {table}: {rows}")
    console.print(f"user {email} erased; receipt {receipt['id']}")
