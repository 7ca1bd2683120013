"""`UnitTest`: run a chain (or any function) over annotated examples, score each answer, store the run.

    with UnitTest("greetings").for_prompt_template("greeter") as test:
        for case in test.test_cases():
            case.evaluate(chain)          # chain.invoke(case.inputs), or fn(case.inputs)

On entering, a `PromptWatch` context opens (its session records what the chain does, named after the
test); the run is posted (`POST /tests/{name}/runs`) with its first result, each result as it comes
(`.../runs/{run_id}/result-details`, re-sent with the next one when that failed) with the run's updated
summary; on exit the run is closed. A run without a result is never posted: it warns that no case was found
(or that every case was skipped). A case must be evaluated (`evaluate`, `evaluate_result`,
`mark_as_failed`) or skipped before the next one: otherwise `PromptWatchError`. Without an API key the run
is evaluated locally and nothing is posted (one warning); sources that read the server then fail.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from datetime import datetime, timezone
from typing import Any

from ..schema.legacy import LlmPrompt
from ..sdk._http import call, pipeline_for, segment
from ..sdk._safe import logger, never_raise, warn_once
from ..sdk.context import open_instance
from ..sdk.errors import PromptWatchError
from ..sdk.session import PromptWatch
from .evaluation import CosineScoreEvaluationStrategy, EvaluationStrategyBase
from .schema import PromptUnitTestConditions, PromptUnitTestRun, TestCase, TestCaseResult

SERVER_TIMEOUT = 30.0
PAGE_SIZE = 500
_LLM_FIELDS = ("id", "order", "parent_activity_id", "start_time", "end_time", "error", "prompt", "prompt_template",
               "prompt_input_values", "generated")


def _case(value: TestCase | dict[str, Any]) -> TestCase:
    return value if isinstance(value, TestCase) else TestCase.model_validate(value)


class UnitTest:
    """A unit test definition: a name, an evaluator, and (by one `for_*` call) where its cases come from."""

    def __init__(self, test_name: str, evaluation: EvaluationStrategyBase | None = None, api_key: str | None = None,
                 *, evaluator: EvaluationStrategyBase | None = None, tracking_project: str | None = None,
                 verbose: bool = True):
        if evaluation is not None and evaluator is not None and evaluation is not evaluator:
            raise TypeError("give the evaluator once: evaluation=... or evaluator=...")
        self.test_name = test_name
        self.evaluation_strategy = evaluation or evaluator or CosineScoreEvaluationStrategy()
        self.api_key = api_key
        self.tracking_project = tracking_project
        self.verbose = verbose
        self.conditions: PromptUnitTestConditions | None = None
        self._cases: Callable[[], Iterator[TestCase]] | None = None
        self._session: UnitTestSession | None = None
        self._context: PromptWatch | None = None

    # sources ---------------------------------------------------------------------------------------------

    def for_test_cases(self, examples: Iterable[TestCase | dict[str, Any]]) -> UnitTest:
        cases = [_case(example) for example in examples]
        self._cases, self.conditions = (lambda: iter(cases)), None
        return self

    def for_test_cases_in_file(self, file_path: str | os.PathLike[str]) -> UnitTest:
        """Test cases from a JSON Lines file, one `TestCase` object a line (blank lines are skipped)."""
        path = os.fspath(file_path)

        def read() -> Iterator[TestCase]:
            with open(path, encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    if not line.strip():
                        continue
                    try:
                        yield _case(json.loads(line))
                    except ValueError as exc:
                        raise PromptWatchError(f"{path} line {number} is not a TestCase: {exc}") from None

        self._cases = read
        self.conditions = PromptUnitTestConditions(for_test_cases_in_file=os.path.basename(path))
        return self

    def for_prompt_template(self, registered_template: str | Any) -> UnitTest:
        """The annotated LLM calls of a registered template (inputs = its input values)."""
        name = registered_template if isinstance(registered_template, str) else getattr(
            registered_template, "template_name", None)
        if not isinstance(name, str):
            raise ValueError("registered_template must be the template's name")
        self._cases = lambda: self._fetch({"for_template_name": name})
        self.conditions = PromptUnitTestConditions(for_template_name=name)
        return self

    def for_project_sessions(self, for_tracking_project: str | None = None) -> UnitTest:
        """The annotated root chains of a project's sessions (default: PROMPTWATCH_TRACKING_PROJECT)."""
        project = for_tracking_project or pipeline_for(self.api_key).config.tracking_project
        if not project:
            raise ValueError("for_project_sessions() needs a tracking project (or PROMPTWATCH_TRACKING_PROJECT)")
        self._cases = lambda: self._fetch({"for_tracking_project": project})
        self.conditions = PromptUnitTestConditions(for_tracking_project=project)
        return self

    def for_dataset(self, name: str) -> UnitTest:
        """The items of a dataset on the server: an object input is the case's inputs (any other value becomes
        `{"input": value}`), the expected output its example, labelled as the item is (good when unlabelled): a
        good example is what the answer should say, a bad one (label 0) what it must not say."""
        if not isinstance(name, str) or not name:
            raise ValueError("for_dataset() needs the dataset's name")
        self._cases = lambda: self._fetch_dataset(name)
        self.conditions = PromptUnitTestConditions(for_dataset=name)
        return self

    def for_simulated_conversations(self, definition: Any) -> UnitTest:
        raise NotImplementedError(
            "Simulated conversations are not supported: the published promptwatch client never finished them "
            "(its version raised NotImplementedError too). Record real conversations and use "
            "for_project_sessions(), or list the cases with for_test_cases()."
        )

    def _fetch(self, query: dict[str, str]) -> Iterator[TestCase]:
        pipeline = pipeline_for(self.api_key)
        skip = 0
        while True:
            page = call(pipeline, "GET", "/test-cases", params={**query, "skp": skip, "limit": PAGE_SIZE},
                        timeout=SERVER_TIMEOUT) or []
            for item in page:
                yield _case(item)
            if len(page) < PAGE_SIZE:
                return
            skip += PAGE_SIZE

    def _fetch_dataset(self, name: str) -> Iterator[TestCase]:
        pipeline, cursor = pipeline_for(self.api_key), None
        while True:
            page = call(pipeline, "GET", f"/api/v1/datasets/{segment(name)}/items",
                        params={"limit": PAGE_SIZE, "cursor": cursor}, timeout=SERVER_TIMEOUT)
            for item in page["items"]:
                yield _dataset_case(item)
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def get_all_test_cases(self) -> list[TestCase]:
        """The test cases, without running anything."""
        if self._cases is None:
            raise PromptWatchError("choose the test cases first: for_test_cases(), for_test_cases_in_file(), "
                                   "for_prompt_template() or for_project_sessions()")
        return list(self._cases())

    # running ---------------------------------------------------------------------------------------------

    def session(self) -> UnitTestSession:
        """A run of this test, not started (the pytest plugin drives it; `with UnitTest(...)` is simpler)."""
        if self._cases is None:
            raise PromptWatchError("choose the test cases before running: for_test_cases(), "
                                   "for_test_cases_in_file(), for_prompt_template() or for_project_sessions()")
        return UnitTestSession(self, self._cases())

    def __enter__(self) -> UnitTestSession:
        session = self.session()
        self._context = session.prompt_watch.__enter__()
        try:
            session.start()
        except BaseException:
            self._context.__exit__(None, None, None)
            raise
        self._session = session
        return session

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        session, context = self._session, self._context
        self._session = self._context = None
        try:
            if session is not None:
                session.finish(exc)
        finally:
            if context is not None:
                context.__exit__(exc_type, exc, tb)


class UnitTestSession:
    """One run: hands out the cases, records their results and keeps the server's copy of the run current."""

    def __init__(self, unit_test: UnitTest, cases: Iterator[TestCase]):
        self.unit_test = unit_test
        self.test_name = unit_test.test_name
        self.evaluation_strategy = unit_test.evaluation_strategy
        self.pipeline = pipeline_for(unit_test.api_key)
        self.prompt_watch = PromptWatch(tracking_project=unit_test.tracking_project, api_key=unit_test.api_key)
        self.prompt_watch.set_session_name(self.test_name)
        self.prompt_watch.add_on_activity_callback(self._on_activity)
        self.run = PromptUnitTestRun(test_name=self.test_name, session_id=self.prompt_watch.session_id,
                                     evaluation_method=self.evaluation_strategy.evaluation_method,
                                     conditions=unit_test.conditions)
        self.results: list[TestCaseResult] = []
        self._cases = cases
        self._pending: TestCaseHandle | None = None
        self._outbox: list[TestCaseResult] = []
        self._handed_out = 0
        self._run_posted = False
        self.online = self.pipeline.enabled
        if not self.online:
            warn_once("unit-test-offline", f"PromptWatch unit test {self.test_name!r} runs locally: "
                      f"{self.pipeline.problem} Its results are not stored.")

    # the server's copy -------------------------------------------------------------------------------------

    def _post_run(self) -> None:
        call(self.pipeline, "POST", f"/tests/{segment(self.test_name)}/runs", self.run.wire(), timeout=SERVER_TIMEOUT)
        self._run_posted = True

    def _post_results(self) -> None:
        if self._outbox:
            path = f"/tests/{segment(self.test_name)}/runs/{segment(self.run.run_id)}/result-details"
            call(self.pipeline, "POST", path, [result.wire() for result in self._outbox], timeout=SERVER_TIMEOUT)
        self._outbox.clear()

    def _send(self) -> None:
        """The results not sent yet and the run's summary. The run goes first, with its first result: a run
        without results is never stored."""
        if not self.online:
            self._outbox.clear()
        elif self._run_posted:
            self._post_results()
            self._post_run()
        elif self.results:
            self._post_run()
            self._post_results()

    def start(self) -> None:
        """Start the run's clock; the run is posted with its first result."""
        self.run.start_time = datetime.now(timezone.utc)

    def finish(self, exc: BaseException | None = None) -> None:
        """Close the run: a case still pending fails (with the exception, if one ended the run)."""
        if self._pending is not None:
            self._pending.mark_as_failed(str(exc) if exc is not None else "neither evaluated nor skipped")
        self.run.end_time = datetime.now(timezone.utc)
        if not self.results and exc is None:
            self._warn_empty()
        try:
            self._send()
        except PromptWatchError:
            if exc is None:
                raise
            logger.warning("PromptWatch could not store unit test run %s", self.run.run_id, exc_info=True)
        finally:
            if self.unit_test.verbose:
                print(self.summary())

    def _warn_empty(self) -> None:
        source = _source(self.run.conditions)
        if self._handed_out:
            logger.warning("PromptWatch unit test %r skipped every test case of %s: the run is not stored",
                           self.test_name, source)
        else:
            logger.warning("PromptWatch unit test %r found no test cases for %s: the run is not stored",
                           self.test_name, source)

    # cases ------------------------------------------------------------------------------------------------

    def test_cases(self) -> Iterator[TestCaseHandle]:
        for case in self._cases:
            if self._pending is not None:
                raise PromptWatchError("test case left neither evaluated nor skipped: call case.evaluate(...), "
                                       "case.evaluate_result(...), case.mark_as_failed(...) or case.skip() first")
            self._handed_out += 1
            self._pending = TestCaseHandle(self, case)
            yield self._pending

    def open_case(self, test_case: TestCase, handle_class: type[TestCaseHandle] | None = None) -> TestCaseHandle:
        """Make `test_case` the pending case (the pytest plugin hands out cases one test at a time)."""
        if self._pending is not None:
            raise PromptWatchError("the previous test case was neither evaluated nor skipped")
        self._handed_out += 1
        self._pending = (handle_class or TestCaseHandle)(self, test_case)
        return self._pending

    @property
    def pending(self) -> TestCaseHandle | None:
        return self._pending

    @property
    def langchain(self) -> Any:
        """LangChain helpers of the run: `get_test_memory(memory_key="history")` (needs langchain-core)."""
        from ..integrations.langchain_test_memory import LangChainUnitTestSupport

        return LangChainUnitTestSupport(self)

    def skip(self, n: int = 1) -> list[TestCase]:
        """Skip the pending case (and the n-1 after it); returns the skipped cases."""
        skipped = [self._pending.test_case] if self._pending is not None else []
        self._pending = None
        for _ in range(max(n - 1, 0)):
            case = next(self._cases, None)
            if case is None:
                break
            skipped.append(case)
        return skipped

    def add_evaluation_result(self, result: TestCaseResult) -> TestCaseResult:
        pending = self._pending
        if pending is not None and pending.test_case is not result.test_case and pending.test_case != result.test_case:
            raise PromptWatchError("a result for another case than the pending one")
        result.order = len(self.results) + 1
        self.results.append(result)
        self._pending = None
        summary = self.run.results
        summary.total_processed += 1
        score = result.score if result.score is not None else 0.0
        previous = summary.overall_score or 0.0
        summary.overall_score = previous + (score - previous) / summary.total_processed
        if result.passed:
            summary.passed += 1
        else:
            summary.failed += 1
        self._outbox.append(result)
        try:
            self._send()
        except PromptWatchError as exc:  # kept in the outbox, sent with the next result or at the end
            logger.info("PromptWatch will send the results of %s again later: %s", self.test_name, exc)
        return result

    def add_failed_result(self, test_case: TestCase, error_description: str) -> TestCaseResult:
        return self.add_evaluation_result(TestCaseResult(
            test_case=test_case, passed=False, score=0.0, error_description=str(error_description),
            conversation_session_id=self.prompt_watch.session_id))

    # linking the recorded activity ----------------------------------------------------------------------------

    def context(self) -> Any:
        """The run's `PromptWatch` context, entered when it is not the open one (the pytest plugin)."""
        return nullcontext() if open_instance() is self.prompt_watch else self.prompt_watch

    def _on_activity(self, activity: dict[str, Any]) -> None:
        pending, conditions = self._pending, self.run.conditions
        if pending is None or conditions is None:
            return
        if conditions.for_template_name and activity.get("activity_type") == "llm-prompt":
            pending.activity_id = activity.get("id")
            with never_raise():
                pending.llm_prompt = LlmPrompt.model_validate(
                    {key: activity[key] for key in _LLM_FIELDS if activity.get(key) is not None})
        elif (conditions.for_tracking_project and activity.get("activity_type") == "chain-sequence"
              and activity.get("parent_activity_id") is None and pending.activity_id is None):
            pending.activity_id = activity.get("id")

    def summary(self) -> str:
        summary = self.run.results
        score = round((summary.overall_score or 0.0) * 100)
        return (f"Unit test {self.test_name!r} run {self.run.run_id}: score {score}%, "
                f"{summary.passed} passed, {summary.failed} failed of {summary.total_processed}")


class TestCaseHandle:
    """One case of a run: `inputs`, `outputs`, and the ways to give its result."""

    __test__ = False  # not a pytest test class

    def __init__(self, session: UnitTestSession, test_case: TestCase):
        self.unit_test_session = session
        self.test_case = self.inner_test_case = test_case
        self.llm_prompt: LlmPrompt | None = None
        self.activity_id: str | None = None
        self.result: TestCaseResult | None = None
        self._started: float | None = None

    @property
    def inputs(self) -> dict[str, Any]:
        return self.test_case.inputs

    @property
    def outputs(self) -> list[Any]:
        return self.test_case.outputs

    def evaluate(self, result_generator: Any, continue_on_error: bool = False) -> TestCaseResult | None:
        """Run `result_generator` on the inputs (`.invoke(inputs)` for a LangChain runnable, else a call),
        score what it returns. If it raises, the case fails and the exception is re-raised unless
        `continue_on_error`."""
        self._started = time.monotonic()
        try:
            with self.unit_test_session.context():
                if hasattr(result_generator, "invoke"):
                    generated = result_generator.invoke(self.inputs)
                else:
                    generated = result_generator(self.inputs)
        except Exception as exc:
            self.mark_as_failed(f"{type(exc).__name__}: {exc}")
            if not continue_on_error:
                raise
            return self.result
        return self.evaluate_result(_plain_output(result_generator, generated))

    def evaluate_result(self, generated_result: Any) -> TestCaseResult:
        """Score a result you produced yourself."""
        session = self.unit_test_session
        result = session.evaluation_strategy.evaluate(generated_result, self.test_case)
        result.llm_prompt, result.activity_id = self.llm_prompt, self.activity_id
        if self._started is not None:
            result.response_time_ms = int((time.monotonic() - self._started) * 1000)
        self.result = session.add_evaluation_result(result)
        return self.result

    def mark_as_failed(self, error_description: str) -> TestCaseResult:
        self.result = self.unit_test_session.add_failed_result(self.test_case, error_description)
        return self.result

    def skip(self) -> None:
        self.unit_test_session.skip()


TestCaseEvaluationWrapper = TestCaseHandle  # the published client's name


def _source(conditions: PromptUnitTestConditions | None) -> str:
    """Where a run's cases came from, as a warning names it."""
    if conditions is None:
        return "the given list"
    named = (("for_template_name", "prompt template"), ("for_tracking_project", "tracking project"),
             ("for_dataset", "dataset"), ("for_test_cases_in_file", "file"))
    return next((f"{what} {getattr(conditions, field)!r}" for field, what in named if getattr(conditions, field)),
                "the given list")


def _dataset_case(item: dict[str, Any]) -> TestCase:
    value, expected = item["input"], item.get("expected_output")
    inputs = value if isinstance(value, dict) else {"input": value}
    outputs = []
    if expected is not None:
        label = 1 if item.get("label") is None else item["label"]
        value = expected if isinstance(expected, str | dict) else {"output": expected}
        outputs.append({"label": label, "value": value})
    return TestCase(id=item["id"], inputs=inputs, outputs=outputs)


def _plain_output(generator: Any, generated: Any) -> Any:
    """A chat message becomes its text; a legacy chain's dict keeps only its output keys."""
    content = getattr(generated, "content", None)
    if isinstance(content, str) and hasattr(generated, "type"):
        return content
    keys = getattr(generator, "output_keys", None)
    if isinstance(generated, dict) and isinstance(keys, list) and keys:
        return {key: value for key, value in generated.items() if key in keys}
    return generated
