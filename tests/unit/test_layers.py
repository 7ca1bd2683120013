"""Dependency direction: schema imports nothing of ours; the SDK never imports the server; api does not
touch the store; services do not speak HTTP; services and the store never import the workers; nothing imports
the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "promptwatch"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
    return found


def modules_under(folder: str):
    return sorted((SRC / folder).rglob("*.py"))


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in modules_under(folder):
        for module in imports_of(path):
            if module.startswith(forbidden):
                out.append(f"{path.relative_to(SRC)} imports {module}")
    return out


def test_schema_imports_nothing_of_ours_but_itself():
    assert not offenders(
        "schema", ("promptwatch.sdk", "promptwatch.server", "promptwatch.integrations", "promptwatch.cli")
    )


def test_sdk_and_integrations_never_import_the_server_or_cli():
    for folder in ("sdk", "integrations"):
        assert not offenders(folder, ("promptwatch.server", "promptwatch.cli", "fastapi", "sqlalchemy"))


def test_api_never_touches_the_store_or_sql():
    assert not offenders("server/api", ("promptwatch.server.store", "sqlalchemy"))


def test_services_never_speak_http():
    assert not offenders("server/services", ("fastapi", "starlette", "promptwatch.server.api"))


def test_store_never_reaches_up():
    assert not offenders("server/store", ("promptwatch.server.services", "promptwatch.server.api", "fastapi"))


def test_nothing_imports_the_cli():
    for folder in ("schema", "sdk", "integrations", "server"):
        assert not offenders(folder, ("promptwatch.cli",))


def test_services_and_the_store_never_import_the_workers():
    for folder in ("server/services", "server/store"):
        assert not offenders(folder, ("promptwatch.server.workers",))
