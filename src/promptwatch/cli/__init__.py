"""The `promptwatch` command: a typer app with one module per command group. The modules import the server
inside the commands that use it, so that `--help` and every command pay only for what they run."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .app import app
    except ImportError as exc:  # the SDK alone is installed
        sys.stderr.write(f"the promptwatch command needs the server extra: pip install 'promptwatch[server]' ({exc})\n")
        raise SystemExit(2) from None
    app()
