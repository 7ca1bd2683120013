"""Options shared by several commands, and opening the store they name. Only `up` and `db upgrade` create a
store; every other command finds an existing one or says where it looked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from promptwatch.server.constants import default_data_dir

from .errors import CommandError

if TYPE_CHECKING:  # the server is imported by the commands that run, never for `--help`
    from sqlalchemy import Engine

    from promptwatch.server.services.runtime import Runtime
    from promptwatch.server.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Directory of the store (the embedded database and its keys); PROMPTWATCH_DATA_DIR when set, "
        "else the default.",
        show_default=str(default_data_dir()),
    ),
]
AccountId = Annotated[int, typer.Option("--account", help="Account id (the first account is 1).")]


def load_settings(data_dir: Path | None) -> Settings:
    """The server's settings, with `--data-dir` when given; wrong ones are a line each (`SettingsError`). A
    `PROMPTWATCH_*` variable that no setting (nor the SDK) reads is a warning line each."""
    from promptwatch.sdk.config import ENV_VARS
    from promptwatch.server.settings import load_settings, unknown_variables

    for warning in unknown_variables(frozenset(variable.name for variable in ENV_VARS.values())):
        typer.secho(f"warning: {warning}", err=True, fg="yellow")
    return load_settings(data_dir=data_dir) if data_dir else load_settings()


def store_engine(settings: Settings) -> Engine:
    """The engine of the store the settings name; a missing SQLite file is an error, never created."""
    from sqlalchemy.engine import make_url

    from promptwatch.server.settings import resolve_database_url
    from promptwatch.server.store.engine import make_engine

    url = resolve_database_url(settings)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise _no_store(settings)
    return make_engine(url, settings.database_connect_timeout_seconds)


def open_runtime(data_dir: Path | None, account: int | None = None) -> Runtime:
    """The server's runtime on an existing store at the current schema (the server may be running); with
    `account`, that account must exist."""
    from promptwatch.server.services.runtime import Runtime
    from promptwatch.server.services.store_lock import refuse_unfinished_restore
    from promptwatch.server.store.schema_version import ensure_current, is_empty

    settings = load_settings(data_dir)
    refuse_unfinished_restore(settings)
    engine = store_engine(settings)
    if is_empty(engine):
        raise _no_store(settings)
    ensure_current(engine, create_if_empty=False)
    runtime = Runtime.build(settings, engine)
    if account is not None:
        _check_account(runtime, account)
    return runtime


def _no_store(settings: Settings) -> CommandError:
    if settings.database_url:
        from sqlalchemy.engine import make_url

        where = make_url(settings.database_url).render_as_string(hide_password=True)
        return CommandError(
            f"no PromptWatch store in {where}; start it with `promptwatch up` or set the "
            "PROMPTWATCH_DATABASE_URL it uses"
        )
    where = Path(settings.data_dir).absolute()
    return CommandError(
        f"no PromptWatch store at {where}; start it with `promptwatch up --data-dir {where}` "
        "or pass the --data-dir it uses"
    )


def _check_account(runtime: Runtime, account: int) -> None:
    from promptwatch.server.services.accounts import AccountService

    accounts = AccountService(runtime)
    if accounts.has_account(account):
        return
    if not accounts.is_bootstrapped():
        raise CommandError("the store has no account yet; `promptwatch up` on it creates the first one")
    raise CommandError(f"no account {account} in this store (the first account is 1)")
