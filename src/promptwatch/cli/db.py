"""`promptwatch db`: upgrade, downgrade and show the schema revision."""

from __future__ import annotations

import typer
from alembic.util.exc import CommandError as AlembicError
from rich.console import Console

from promptwatch.server.settings import resolve_database_url
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import current_revision, downgrade, head_revision, upgrade

from .errors import CommandError
from .options import DataDir, load_settings, store_engine

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command("upgrade")
def upgrade_command(data_dir: DataDir = None) -> None:
    """Migrate the database schema to this version of PromptWatch."""
    engine = make_engine(resolve_database_url(load_settings(data_dir)))
    before = current_revision(engine)
    upgrade(engine)
    console.print(f"schema: {before or 'empty'} -> {current_revision(engine)}")


@app.command("downgrade")
def downgrade_command(revision: str, data_dir: DataDir = None) -> None:
    """Migrate the schema back to REVISION (use 'base' for an empty database)."""
    engine = store_engine(load_settings(data_dir))
    before = current_revision(engine)
    try:
        downgrade(engine, revision)
    except AlembicError as exc:  # an unknown or ambiguous revision
        raise CommandError(f"cannot downgrade to {revision}: {exc}") from None
    after = current_revision(engine)
    if after == before:
        console.print(f"schema unchanged: {after or 'empty'} ({revision} is not below it)")
    else:
        console.print(f"schema: {after or 'empty'}")


@app.command("current")
def current_command(data_dir: DataDir = None) -> None:
    """Show the schema revision of the database and the one this PromptWatch needs."""
    engine = store_engine(load_settings(data_dir))
    console.print(f"database: {current_revision(engine) or 'empty'}; needed: {head_revision()}")
