"""`promptwatch keys`: create, list and revoke API keys without the server running."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from promptwatch.server.services.accounts import AccountService
from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.credentials import Caller
from promptwatch.server.store.tables.credentials import SCOPES

from .options import AccountId, DataDir, open_runtime

app = typer.Typer(no_args_is_help=True)
console = Console()
Scope = Literal[SCOPES]  # the choices `--help` and a wrong value show come from the one list of scopes


def _accounts(data_dir, account: int) -> AccountService:
    return AccountService(open_runtime(data_dir, account))


def _admin(account: int) -> Caller:
    return Caller(account_id=account, scope="admin")


@app.command("create")
def create(
    data_dir: DataDir = None,
    account: AccountId = 1,
    scope: Annotated[Scope, typer.Option(help="What the key may do.")] = "ingest",
    name: Annotated[str | None, typer.Option(help="A name to recognise the key by.")] = None,
    project: Annotated[str | None, typer.Option(help="Limit the key to one tracking project.")] = None,
) -> None:
    """Create a key and print it: the only time it is shown."""
    created = _accounts(data_dir, account).create_key(_admin(account), scope, name, project, None)
    console.print(f"key id: {created['key_id']}")
    typer.echo(created["api_key"])


@app.command("list")
def list_keys(data_dir: DataDir = None, account: AccountId = 1) -> None:
    """List the account's keys (never their secrets)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # room for the columns in 80
    table.add_column("key id", no_wrap=True)  # what `keys revoke` takes: whole however narrow the terminal
    for title in ("name", "scope", "project", "created", "last used", "state"):
        table.add_column(title, overflow="fold")
    for key in _accounts(data_dir, account).list_keys(_admin(account)):
        table.add_row(
            key["key_id"],
            key["name"] or "",
            key["scope"],
            key["project"] or "",
            _when(key["created_at"]),
            _when(key["last_used_at"]),
            _state(key),
        )
    console.print(table)


def _state(key: dict) -> str:
    if key["revoked_at"]:
        return f"revoked {_when(key['revoked_at'])}"
    if key["expires_at"]:
        return f"{'expired' if key['expires_at'] <= utc_now() else 'expires'} {_when(key['expires_at'])}"
    return "active"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@app.command("revoke")
def revoke(key_id: str, data_dir: DataDir = None, account: AccountId = 1) -> None:
    """Revoke a key at once."""
    _accounts(data_dir, account).revoke_key(_admin(account), key_id)
    console.print(f"revoked {key_id}")


@app.command("rotate-master")
def rotate_master(data_dir: DataDir = None) -> None:
    """Re-wrap every account's data key under a new instance master key (encryption at rest)."""
    count = open_runtime(data_dir).crypto.rotate_master()
    console.print(f"master key rotated; {count} account keys re-wrapped")
