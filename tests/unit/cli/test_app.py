"""The command line's help: shown without importing the server, with every option it had."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from promptwatch.cli.app import app
from promptwatch.server.constants import default_data_dir


def test_help_of_every_command_imports_nothing_of_the_server():
    script = textwrap.dedent(
        """
        import contextlib, io, json, sys
        from promptwatch.cli.app import app

        commands = [[]] + [[c.name] for c in app.registered_commands]
        for group in app.registered_groups:
            commands += [[group.name]] + [[group.name, c.name] for c in group.typer_instance.registered_commands]
        for command in commands:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                app([*command, "--help"], prog_name="promptwatch", standalone_mode=False)
        heavy = ("sqlalchemy", "fastapi", "starlette", "alembic", "uvicorn", "pydantic_settings", "argon2")
        server = {"promptwatch.server", "promptwatch.server.constants"}  # constants: the defaults help shows
        loaded = [m for m in sys.modules if m.split(".")[0] in heavy or m.startswith("promptwatch.server")]
        print(json.dumps({"commands": len(commands), "loaded": sorted(set(loaded) - server)}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["commands"] > 30
    assert found["loaded"] == [], "import these inside the commands that use them"


# what a command's help shows, in words (the help's line breaks aside)
HELP = {
    "": ["up", "cleanup", "backup", "restore", "export", "import", "stats", "keys", "db", "invoices", "mail"],
    "keys": ["create", "list", "revoke", "rotate-master", "Manage API keys offline."],
    "keys create": [
        "--data-dir <path> Directory of the store (the embedded database and its keys); PROMPTWATCH_DATA_DIR when "
        f"set, else the default. [default: ({default_data_dir()})]",
        "--account <int> Account id (the first account is 1). [default: 1]",
        "--scope <write|ingest|read|admin> What the key may do. [default: ingest]",
        "--name <str>",
        "--project <str>",
    ],
    "keys list": ["--data-dir <path>", "--account <int>", "never their secrets"],
    "db downgrade": ["REVISION", "--data-dir <path>"],
    "up": ["--port <int> Port to listen on. [default: 8765]", "--tls-self-signed", "--workers <int>"],
    "export": ["--out <path>", "--account <int>", "--tenant <str>"],
    "invoices issue": ["--period <str>", "--account <int>"],
    # a fixed set of values: listed, and a value outside it is a usage error (tests/integration/test_cli.py)
    "staff create": ["--role <operator|staff>", "[default: staff]"],
    "invoices plan": ["PLAN <free|team|business>"],
    "policy announce": ["--kind <privacy|terms>", "[default: privacy]"],
    "mail outbox": ["--status <queued|sent|suppressed|failed>"],
    "mail broadcast": ["--category <product_news|promotions>", "--audience <users|leads|all>"],
    "customers leads": ["--status <waitlist|opted_out|customer>"],
}


@pytest.mark.parametrize("command", HELP)
def test_help_shows_the_options(command):
    result = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert not [text for text in HELP[command] if text not in words], result.output


def test_a_scope_not_in_the_list_is_a_usage_error_naming_the_scopes():
    result = CliRunner().invoke(app, ["keys", "create", "--scope", "everything"])
    assert result.exit_code == 2
    assert "'write', 'ingest', 'read', 'admin'" in result.output
