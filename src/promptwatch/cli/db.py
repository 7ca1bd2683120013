"""`promptwatch db`: upgrade, downgrade and show the schema revision. Upgrade and downgrade refuse while a
server has the store open."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from .errors import CommandError
from .options import DataDir, load_settings, store_engine

app = typer.Typer(no_args_is_help=True)
console = Console()


def _shown(revisions: str | None) -> str:
    """Revisions as rich wraps them: between ids, never inside one."""
    return ", ".join(revisions.split(",")) if revisions else "empty"


@app.command("upgrade")
def upgrade_command(data_dir: DataDir = None) -> None:
    """Migrate the database schema to this version of PromptWatch."""
    from promptwatch.server.services.store_lock import rewriting
    from promptwatch.server.settings import resolve_database_url
    from promptwatch.server.store.engine import make_engine
    from promptwatch.server.store.schema_version import current_revision, upgrade

    settings = load_settings(data_dir)
    with rewriting(settings):
        engine = make_engine(resolve_database_url(settings), settings.database_connect_timeout_seconds)
        before = current_revision(engine)
        upgrade(engine)  # a schema of a newer release is one line (`SchemaFromNewerRelease`)
        console.print(f"schema: {_shown(before)} -> {_shown(current_revision(engine))}")


@app.command("downgrade")
def downgrade_command(revision: Annotated[str, typer.Argument(metavar="REVISION")], data_dir: DataDir = None) -> None:
    """Migrate the schema back to REVISION (use 'base' for an empty database)."""
    from alembic.util.exc import CommandError as AlembicError

    from promptwatch.server.services.store_lock import rewriting
    from promptwatch.server.store.schema_version import current_revision, downgrade

    settings = load_settings(data_dir)
    engine = store_engine(settings)
    with rewriting(settings):
        before = current_revision(engine)
        try:
            downgrade(engine, revision)
        except AlembicError as exc:  # an unknown or ambiguous revision
            raise CommandError(f"cannot downgrade to {revision}: {exc}") from None
        after = current_revision(engine)
    if after == before:
        console.print(f"schema unchanged: {_shown(after)} ({revision} is not below it)")
    else:
        console.print(f"schema: {_shown(after)}")


@app.command("current")
def current_command(data_dir: DataDir = None) -> None:
    """Show the schema revision of the database and the one this PromptWatch needs."""
    from promptwatch.server.store.schema_version import current_revision, head_revision

    engine = store_engine(load_settings(data_dir))
    console.print(f"database: {_shown(current_revision(engine))}")
    console.print(f"needed:   {_shown(head_revision())}")
