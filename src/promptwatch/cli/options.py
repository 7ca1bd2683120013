"""Options shared by several commands, and building settings from them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings, resolve_database_url
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import ensure_current

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Directory of the embedded database and keys [env: PROMPTWATCH_DATA_DIR]."),
]


def load_settings(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


def open_runtime(data_dir: Path | None) -> Runtime:
    """The server's runtime on its database, for commands that work with the server stopped or running."""
    settings = load_settings(data_dir)
    engine = make_engine(resolve_database_url(settings))
    ensure_current(engine, create_if_empty=False)
    return Runtime.build(settings, engine)
