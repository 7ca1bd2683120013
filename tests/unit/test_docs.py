"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from promptwatch.server.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented():
    page = (DOCS / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"PROMPTWATCH_{name.upper()}" not in page]
    assert not missing, f"document these settings in docs/configuration.md: {missing}"


def test_every_setting_has_a_description():
    assert all(field.description for field in Settings.model_fields.values())


def test_every_cli_command_is_documented():
    from promptwatch.cli.app import app

    page = (DOCS / "cli.md").read_text()
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    for group in app.registered_groups:
        names += [f"{group.name} {c.name}" for c in group.typer_instance.registered_commands]
    missing = [n for n in names if f"promptwatch {n}" not in page and f"`{n}" not in page]
    assert not missing, missing


def test_local_server_addresses_in_the_docs_use_the_default_port():
    """A local address in an example is the server's (`promptwatch up`'s default port) or PostgreSQL's."""
    from promptwatch.cli.up import DEFAULT_PORT

    pages = [*DOCS.glob("*.md"), DOCS.parent / "README.md"]
    found = {(page.name, port) for page in pages for port in re.findall(r"127\.0\.0\.1:(\d+)", page.read_text())}
    wrong = sorted((name, port) for name, port in found if int(port) not in (DEFAULT_PORT, 5432))
    assert not wrong, f"use port {DEFAULT_PORT} for the server: {wrong}"
