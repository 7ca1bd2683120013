"""Fixtures for the published-client tests: the client's own virtualenv, built once per test session."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
VENV_SCRIPT = ROOT / "scripts" / "legacy_venv.sh"
OFFLINE_EXIT = 75  # legacy_venv.sh: the package index cannot be reached
BUILD_TIMEOUT = 1200


@pytest.fixture(scope="session")
def legacy_python() -> str:
    """The interpreter of the venv with the pins of WIRE_PROTOCOL.md §1 (PROMPTWATCH_LEGACY_VENV moves it).

    Without a reachable package index the tests skip, except under CI=true, where that is a failure.
    """
    target = os.environ.get("PROMPTWATCH_LEGACY_VENV") or str(ROOT / ".legacy-venv")
    try:
        built = subprocess.run(
            ["bash", str(VENV_SCRIPT), target], capture_output=True, text=True, timeout=BUILD_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{VENV_SCRIPT.name} took more than {BUILD_TIMEOUT} s", pytrace=False)
    if built.returncode == 0:
        return built.stdout.strip().splitlines()[-1]
    message = f"could not build the published client's venv ({VENV_SCRIPT.name} exit {built.returncode}):\n"
    message += built.stderr[-4000:]
    if built.returncode == OFFLINE_EXIT and os.environ.get("CI") != "true":
        pytest.skip(message + "\n(PyPI is not reachable; CI=true makes this a failure)")
    pytest.fail(message, pytrace=False)


@pytest.fixture(autouse=True)
def no_server_tracebacks(request):
    """Nothing the published client sends may make the server log an exception, answered 500 or not."""
    if "live_server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("live_server")
    before = server.log_text().count("Traceback")
    yield
    log = server.log_text()
    if log.count("Traceback") > before:
        pytest.fail(f"the server logged an exception:\n{log[-6000:]}", pytrace=False)
