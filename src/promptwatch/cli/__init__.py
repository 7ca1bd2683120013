"""The `promptwatch` command: a typer app with one module per command group."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .app import app
    except ImportError as exc:  # the SDK alone is installed
        sys.stderr.write(f"the promptwatch command needs the server extra: pip install 'promptwatch[server]' ({exc})\n")
        raise SystemExit(2) from None
    app()
