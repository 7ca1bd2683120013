"""The pytest plugin, run in a pytest of its own (`-p promptwatch.pytest_plugin`), without a server: one
test per case, failing when the case fails, when it is left alone, or when the marker is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def run_pytest(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_cases.py").write_text(textwrap.dedent(source))
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROMPTWATCH_")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", XDG_CACHE_HOME=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "promptwatch.pytest_plugin", "-p", "no:cacheprovider", "-rA",
         str(tmp_path / "test_cases.py")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_one_test_per_case_and_a_failed_case_fails_its_test(tmp_path):
    (tmp_path / "cases.jsonl").write_text("\n".join(json.dumps(case) for case in [
        {"id": "fr", "inputs": {"q": "France"}, "outputs": [{"label": 1, "value": "Paris"}]},
        {"id": "es", "inputs": {"q": "Spain"}, "outputs": [{"label": 1, "value": "Madrid"}]},
    ]))
    result = run_pytest(tmp_path, """
        import pytest
        from promptwatch.unit_tests import TestCase

        CAPITALS = {"France": "Paris", "Spain": "Barcelona"}

        @pytest.mark.promptwatch_unit_test(file="cases.jsonl")
        def test_capitals(promptwatch_case):
            promptwatch_case.evaluate(lambda inputs: CAPITALS[inputs["q"]])

        @pytest.mark.promptwatch_unit_test("inline", cases=[
            TestCase(inputs={"n": 1}, outputs=[{"label": 1, "value": "one"}]),
            {"inputs": {"n": 2}, "outputs": [{"label": 1, "value": "two"}]},
            {"inputs": {"n": 3}, "outputs": [{"label": 1, "value": "three"}]},
        ])
        def test_inline(promptwatch_case):
            if promptwatch_case.inputs["n"] == 2:
                promptwatch_case.skip()
            if promptwatch_case.inputs["n"] == 1:
                promptwatch_case.evaluate_result("one")
    """)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "PASSED test_cases.py::test_capitals[fr]" in out and "FAILED test_cases.py::test_capitals[es]" in out
    assert "did not pass: score" in out and "closest example" in out
    assert "PASSED test_cases.py::test_inline[#1]" in out and "SKIPPED" in out
    assert "ERROR at teardown of test_inline[#3]" in out and "neither evaluated nor skipped" in out
    assert "run locally" not in out  # the offline warning goes to the log, not the report
    assert "Unit test 'inline'" in out and "1 passed, 1 failed of 2" in out


def test_the_fixture_without_the_marker_is_a_usage_error(tmp_path):
    result = run_pytest(tmp_path, """
        def test_forgot(promptwatch_case):
            pass
    """)
    assert result.returncode != 0 and "without @pytest.mark.promptwatch_unit_test" in result.stdout + result.stderr
