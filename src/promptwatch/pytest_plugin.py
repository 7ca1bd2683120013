"""PromptWatch unit tests as pytest tests: one pytest test per test case (entry point `pytest11`).

    import pytest
    from promptwatch.unit_tests import TestCase

    @pytest.mark.promptwatch_unit_test("greetings", template="greeter")        # cases from the server
    def test_greeter(promptwatch_case):
        promptwatch_case.evaluate(chain)       # fails the test when the case does not pass

The marker says where the cases come from: `cases=[TestCase | dict, ...]`, `file="cases.jsonl"` (relative
to the test module), `template="<registered template>"` or `project="<tracking project>"`; `evaluator=`
(default: CosineScoreEvaluationStrategy()) and `api_key=` are optional, the name defaults to the test's.
Cases are read when the tests are collected; each becomes `test_greeter[<case id or #n>]`. All tests of
one name make one run, posted as the cases go and closed at the end of the pytest session. A test fails
when its case scores below the evaluator's threshold, when the chain raises, or when it neither evaluates
nor skips (`promptwatch_case.skip()` skips it). Nothing is imported from PromptWatch until a test uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

MARKER = "promptwatch_unit_test"
FIXTURE = "promptwatch_case"
_RUNS = pytest.StashKey[dict]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name=None, *, cases=None, file=None, template=None, project=None, evaluator=None, api_key=None): "
        f"run the test once per PromptWatch test case, given to it as the `{FIXTURE}` fixture",
    )
    config.stash[_RUNS] = {}


def _unit_test(marker: Any, default_name: str, base: Path) -> Any:
    from promptwatch.unit_tests import UnitTest

    options = dict(marker.kwargs)
    name = marker.args[0] if marker.args else options.pop("name", None) or default_name
    test = UnitTest(name, evaluator=options.get("evaluator"), api_key=options.get("api_key"), verbose=False)
    sources = [key for key in ("cases", "file", "template", "project") if options.get(key) is not None]
    if len(sources) != 1:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} needs exactly one of cases=, file=, template=, project=")
    if sources == ["cases"]:
        return test.for_test_cases(options["cases"])
    if sources == ["file"]:
        path = Path(options["file"])
        return test.for_test_cases_in_file(path if path.is_absolute() else base / path)
    if sources == ["template"]:
        return test.for_prompt_template(options["template"])
    return test.for_project_sessions(options["project"])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if FIXTURE not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        raise pytest.UsageError(f"{metafunc.definition.nodeid} uses `{FIXTURE}` without @pytest.mark.{MARKER}(...)")
    unit_test = _unit_test(marker, metafunc.function.__name__, Path(str(metafunc.definition.path)).parent)
    cases = unit_test.get_all_test_cases()
    ids = [case.id or f"#{number}" for number, case in enumerate(cases, 1)]
    metafunc.parametrize(FIXTURE, [(unit_test, case) for case in cases], ids=ids, indirect=True)


def _case_class() -> type:
    from promptwatch.unit_tests import TestCaseHandle

    class PytestCase(TestCaseHandle):
        """A test case whose result decides the pytest test."""

        def evaluate_result(self, generated_result: Any) -> Any:
            result = super().evaluate_result(generated_result)
            if not result.passed:
                closest = (result.evaluation_metadata or {}).get("closest_reference_example")
                raise AssertionError(
                    f"PromptWatch test case did not pass: score {result.score!r}"
                    + (f" ({result.reasoning})" if result.reasoning else "")
                    + f"\n  generated: {result.generated_result!r}\n  closest example: {closest!r}"
                )
            return result

        def skip(self) -> None:
            super().skip()
            pytest.skip("skipped by promptwatch_case.skip()")

    return PytestCase


@pytest.fixture
def promptwatch_case(request: pytest.FixtureRequest) -> Any:
    """The PromptWatch test case this test runs (see `promptwatch.pytest_plugin`)."""
    unit_test, case = request.param
    runs = request.config.stash[_RUNS]
    session = runs.get(unit_test.test_name)
    if session is None:
        session = unit_test.session()
        session.start()
        runs[unit_test.test_name] = session
    handle = session.open_case(case, _case_class())
    yield handle
    if session.pending is handle:  # neither evaluated nor skipped
        handle.mark_as_failed("neither evaluated nor skipped")
        pytest.fail(f"{request.node.nodeid}: the PromptWatch test case was neither evaluated nor skipped")


def pytest_sessionfinish(session: pytest.Session) -> None:
    runs = session.config.stash.get(_RUNS, {})
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for run in runs.values():
        try:
            run.finish()
            line = run.summary()
        except Exception as exc:  # the tests' outcomes stand; the server's copy of the run could not be closed
            line = f"PromptWatch could not close unit test run {run.test_name!r}: {exc}"
        if reporter is not None:
            reporter.write_line(line)
    runs.clear()
