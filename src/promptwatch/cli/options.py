"""Options shared by several commands, and building settings from them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from promptwatch.server.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Directory of the embedded database and keys [env: PROMPTWATCH_DATA_DIR]."),
]


def load_settings(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()
