"""`promptwatch accounts create`: the operator's way to open an account for a customer, with its owner and a
first API key, without opening public sign-up."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console

from .options import DataDir, open_runtime

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The account's name.")],
    owner: Annotated[str, typer.Option("--owner", metavar="EMAIL", help="The owner's e-mail: their sign-in name.")],
    data_dir: DataDir = None,
) -> None:
    """Create an account owned by EMAIL and an ingest key for it, printed once. An owner new to the instance
    gets a generated password, printed once too; one who signs in already keeps theirs. The account's audit
    log records `account.create`."""
    from promptwatch.server.errors import DomainError
    from promptwatch.server.services import audit
    from promptwatch.server.services.accounts import AccountService
    from promptwatch.server.store import accounts as account_store

    if not name.strip() or len(name) > 200:
        raise typer.BadParameter("1 to 200 characters", param_hint="NAME")
    runtime = open_runtime(data_dir)
    with runtime.engine.connect() as conn:
        known = account_store.find_user_by_email(conn, owner) is not None
    password = secrets.token_urlsafe(12)
    try:
        account_id = AccountService(runtime).create_account(name.strip(), owner, password)
    except DomainError as exc:
        raise typer.BadParameter(str(exc), param_hint="--owner") from None
    audit.record(runtime, account_id, "command line", "account.create", name.strip()[:200], {"owner": owner})
    key = runtime.keys.create(account_id, scope="ingest", name="first key")
    console.print(f"account {account_id} ({name.strip()}) created, owned by {owner}", markup=False)
    if not known:
        console.print(f"password for {owner}, shown this once:", markup=False)
        typer.echo(password)
    console.print("ingest key, shown this once:")
    typer.echo(key)
