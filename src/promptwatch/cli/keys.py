"""`promptwatch keys`: create, list and revoke API keys without the server running."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from promptwatch.server.services.accounts import AccountService
from promptwatch.server.services.credentials import Caller

from .options import DataDir, open_runtime

app = typer.Typer(no_args_is_help=True)
console = Console()
Account = Annotated[int, typer.Option("--account", help="Account id (the first account is 1).")]


def _accounts(data_dir) -> AccountService:
    return AccountService(open_runtime(data_dir))


def _admin(account: int) -> Caller:
    return Caller(account_id=account, scope="admin")


@app.command("create")
def create(
    data_dir: DataDir = None,
    account: Account = 1,
    scope: Annotated[str, typer.Option(help="ingest, read or admin.")] = "ingest",
    name: Annotated[str | None, typer.Option(help="A name to recognise the key by.")] = None,
    project: Annotated[str | None, typer.Option(help="Limit the key to one tracking project.")] = None,
) -> None:
    """Create a key and print it: the only time it is shown."""
    created = _accounts(data_dir).create_key(_admin(account), scope, name, project, None)
    console.print(f"key id: {created['key_id']}")
    typer.echo(created["api_key"])


@app.command("list")
def list_keys(data_dir: DataDir = None, account: Account = 1) -> None:
    """List the account's keys (never their secrets)."""
    table = Table("key id", "name", "scope", "project", "created", "expires", "revoked", "last used")
    for key in _accounts(data_dir).list_keys(_admin(account)):
        table.add_row(
            *(
                str(key[c] or "")
                for c in (
                    "key_id",
                    "name",
                    "scope",
                    "project",
                    "created_at",
                    "expires_at",
                    "revoked_at",
                    "last_used_at",
                )
            )
        )
    console.print(table)


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@app.command("revoke")
def revoke(key_id: str, data_dir: DataDir = None, account: Account = 1) -> None:
    """Revoke a key at once."""
    _accounts(data_dir).revoke_key(_admin(account), key_id)
    console.print(f"revoked {key_id}")


@app.command("rotate-master")
def rotate_master(data_dir: DataDir = None) -> None:
    """Re-wrap every account's data key under a new instance master key (encryption at rest)."""
    count = open_runtime(data_dir).crypto.rotate_master()
    console.print(f"master key rotated; {count} account keys re-wrapped")
