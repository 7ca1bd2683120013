"""`promptwatch keys`: create, list and revoke API keys with the server running or not; `rotate-master`
refuses while a server has the store open."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from .choices import Scope
from .options import AccountId, DataDir, open_runtime

if TYPE_CHECKING:
    from promptwatch.server.services.accounts import AccountService
    from promptwatch.server.services.credentials import Caller

app = typer.Typer(no_args_is_help=True)
console = Console()


def _accounts(data_dir, account: int) -> AccountService:
    from promptwatch.server.services.accounts import AccountService

    return AccountService(open_runtime(data_dir, account))


def _admin(account: int) -> Caller:
    from promptwatch.server.services.credentials import Caller

    return Caller(account_id=account, scope="admin")


@app.command("create")
def create(
    data_dir: DataDir = None,
    account: AccountId = 1,
    scope: Annotated[Scope, typer.Option(help="What the key may do.")] = "ingest",
    name: Annotated[str | None, typer.Option(help="A name to recognise the key by.")] = None,
    project: Annotated[str | None, typer.Option(help="Limit the key to one tracking project.")] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, help="Days until the key expires; unset, it never does.")
    ] = None,
) -> None:
    """Create a key and print it: the only time it is shown."""
    expires_at = _expiry(expires_in_days) if expires_in_days else None
    created = _accounts(data_dir, account).create_key(_admin(account), scope, name, project, expires_at)
    console.print(f"key id: {created['key_id']}")
    if expires_at:
        console.print(f"expires: {expires_at:%Y-%m-%d %H:%M} UTC")
    typer.echo(created["api_key"])


def _expiry(days: int) -> datetime:
    """The moment `days` from now, as the API takes `expires_at`: in the future and before the year 10000."""
    from promptwatch.server.services.clock import utc_now

    try:
        return utc_now() + timedelta(days=days)
    except OverflowError:
        raise typer.BadParameter("ends after the year 9999", param_hint="--expires-in-days") from None


@app.command("list")
def list_keys(
    data_dir: DataDir = None,
    account: AccountId = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per key, one per line, for scripts (times in UTC).")
    ] = False,
) -> None:
    """List the account's keys (never their secrets)."""
    keys = _accounts(data_dir, account).list_keys(_admin(account))
    if as_json:
        for key in keys:
            typer.echo(json.dumps({name: _json_value(key[name]) for name in _KEY_FIELDS}))
        return
    wide = _key_table(keys, stacked=False)
    console.print(wide if console.measure(wide).maximum <= console.width else _key_table(keys, stacked=True))


_KEY_FIELDS = ("key_id", "name", "scope", "project", "created_at", "last_used_at", "expires_at", "revoked_at")


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _key_table(keys: list[dict], stacked: bool) -> Table:
    """One line per key; `stacked`, created and last used share a column, one under the other, and a state
    its date, so that names and projects keep their words in a narrow terminal."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    table.add_column("key id", no_wrap=True)  # what `keys revoke` takes: whole however narrow the terminal
    table.add_column("name", overflow="fold")
    table.add_column("scope", no_wrap=True)
    table.add_column("project", overflow="fold")
    dates_whole = console.width >= 80  # narrower, the dates fold rather than the key ids
    for title in ("created\nlast used", "state") if stacked else ("created", "last used", "state"):
        table.add_column(title, no_wrap=dates_whole, overflow="fold")
    sep = "\n" if stacked else " "
    for key in keys:
        dates = (_day(key["created_at"]), _day(key["last_used_at"]) or "never")
        cells = (key["key_id"], key["name"] or "", key["scope"], key["project"] or "")
        table.add_row(*cells, *((sep.join(dates),) if stacked else dates), _state(key, sep))
    return table


def _state(key: dict, sep: str) -> str:
    from promptwatch.server.services.clock import utc_now

    if key["revoked_at"]:
        return f"revoked{sep}{_day(key['revoked_at'])}"
    if key["expires_at"]:
        return f"{'expired' if key['expires_at'] <= utc_now() else 'expires'}{sep}{_day(key['expires_at'])}"
    return "active"


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID")], data_dir: DataDir = None, account: AccountId = 1
) -> None:
    """Revoke a key at once (a key already revoked stays as it is)."""
    accounts = _accounts(data_dir, account)
    known = next((key for key in accounts.list_keys(_admin(account)) if key["key_id"] == key_id), None)
    if known and known["revoked_at"]:
        console.print(f"{key_id} was already revoked on {_day(known['revoked_at'])}")
        return
    accounts.revoke_key(_admin(account), key_id)
    console.print(f"revoked {key_id}")


@app.command("rotate-master")
def rotate_master(data_dir: DataDir = None) -> None:
    """Re-wrap every account's data key under a new instance master key (encryption at rest); stop the
    server first."""
    from promptwatch.server.services.store_lock import rewriting

    runtime = open_runtime(data_dir)
    with rewriting(runtime.settings):
        count = runtime.crypto.rotate_master()
    console.print(f"master key rotated; {count} account keys re-wrapped")
