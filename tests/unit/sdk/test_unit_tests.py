"""`promptwatch.unit_tests` without a server: the models' wire shapes, the cosine evaluator, the sources and
the rules of a run (a run without an API key is evaluated locally and posts nothing)."""

from __future__ import annotations

import json

import pytest

from promptwatch import PromptWatchError
from promptwatch.schema.text_embedding import cosine, embed_text
from promptwatch.unit_tests import (
    CosineScoreEvaluationStrategy,
    EvaluationStrategyBase,
    LabeledOutput,
    PromptUnitTestRun,
    TestCase,
    TestCaseResult,
    UnitTest,
)

CASE = TestCase(inputs={"input": "The quick brown fox"},
                outputs=[{"label": 1, "value": "jumps over the lazy dog"}, {"label": 0, "value": "sleeps all day"}])


def test_models_have_the_published_wire_shapes():
    with pytest.raises(ValueError):
        LabeledOutput(label=2, value="x")
    run = PromptUnitTestRun(session_id="s", evaluation_method="cos_sim_score", test_name="t")
    assert list(run.wire()) == ["run_id", "session_id", "evaluation_method", "test_name", "start_time", "end_time",
                                "conditions", "results"]
    assert run.wire()["results"] == {"overall_score": None, "total_processed": 0, "passed": 0, "failed": 0}
    result = TestCaseResult(test_case=CASE, passed=True).wire()
    assert list(result) == ["evaluation_method", "evaluation_metadata", "test_case", "activity_id", "llm_prompt",
                            "conversation_session_id", "response_time_ms", "passed", "order", "reasoning", "score",
                            "generated_result", "error_description"]
    assert result["test_case"] == {"id": None, "for_template_name": None, "for_tracking_project": None,
                                   "inputs": {"input": "The quick brown fox"},
                                   "outputs": [{"label": 1, "value": "jumps over the lazy dog"},
                                               {"label": 0, "value": "sleeps all day"}]}


def test_the_offline_embedding_scores_word_overlap():
    assert cosine(embed_text("lazy dog"), embed_text("the lazy dog")) == pytest.approx(1.0)
    assert cosine(embed_text("lazy dog"), embed_text("quarterly revenue")) < 0.2


def test_cosine_scoring_toward_liked_and_away_from_disliked_examples():
    strategy = CosineScoreEvaluationStrategy()
    liked = strategy.evaluate("jumps over the lazy dog", CASE)
    assert liked.passed and liked.score == pytest.approx(1.0)
    assert liked.evaluation_metadata == {"positive_score_threshold": 0.9, "negative_score_threshold": 0.1,
                                         "closest_reference_example": {"label": 1, "value": "jumps over the lazy dog"}}
    disliked = strategy.evaluate("sleeps all day", CASE)
    assert not disliked.passed and disliked.score == pytest.approx(0.0)
    assert disliked.evaluation_metadata["closest_reference_example"]["label"] == 0
    mismatch = strategy.evaluate({"text": "x", "extra": 1}, TestCase(inputs={}, outputs=[{"label": 1, "value": "x"}]))
    assert not mismatch.passed and mismatch.reasoning.startswith("Type mismatch")
    unwrapped = strategy.evaluate("Paris", TestCase(inputs={}, outputs=[{"label": 1, "value": {"text": "Paris"}}]))
    assert unwrapped.passed
    own = CosineScoreEvaluationStrategy(embed_function=lambda text: [1.0, float(len(text))],
                                        positive_score_threshold=0.5)
    assert own.evaluate("abc", TestCase(inputs={}, outputs=[{"label": 1, "value": "abd"}])).passed


class ExactMatch(EvaluationStrategyBase):
    evaluation_method = "exact"

    def evaluate(self, generated_result, test_case):
        passed = any(output.value == generated_result for output in test_case.outputs if output.label == 1)
        return TestCaseResult(test_case=test_case, passed=passed, score=float(passed),
                              evaluation_method=self.evaluation_method, generated_result=generated_result)


def test_a_local_run_over_a_file_with_a_custom_evaluator(tmp_path, caplog, capsys):
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(case) for case in [
        {"inputs": {"q": "2+2"}, "outputs": [{"label": 1, "value": "4"}]},
        {"inputs": {"q": "3+3"}, "outputs": [{"label": 1, "value": "6"}]},
        {"inputs": {"q": "boom"}, "outputs": [{"label": 1, "value": "x"}]},
    ]) + "\n\n")
    test = UnitTest("sums", evaluator=ExactMatch()).for_test_cases_in_file(path)
    assert test.conditions.for_test_cases_in_file == "cases.jsonl"
    with test as run:
        for case in run.test_cases():
            if case.inputs["q"] == "boom":
                case.evaluate(lambda inputs: 1 / 0, continue_on_error=True)
            else:
                case.evaluate(lambda inputs: "4")
    assert [r.passed for r in run.results] == [True, False, False] and [r.order for r in run.results] == [1, 2, 3]
    assert run.results[2].error_description == "ZeroDivisionError: division by zero"
    assert run.run.results.total_processed == 3 and run.run.results.passed == 1
    assert run.run.results.overall_score == pytest.approx(1 / 3) and run.run.end_time is not None
    assert "runs locally" in caplog.text and "1 passed, 2 failed of 3" in capsys.readouterr().out


def test_the_rules_of_a_run():
    with pytest.raises(TypeError):
        UnitTest("t", evaluation=ExactMatch(), evaluator=CosineScoreEvaluationStrategy())
    assert isinstance(UnitTest("t", evaluation=ExactMatch()).evaluation_strategy, ExactMatch)
    with pytest.raises(PromptWatchError, match="choose the test cases"), UnitTest("t"):
        pass
    with pytest.raises(NotImplementedError, match="never finished"):
        UnitTest("t").for_simulated_conversations({"personas": []})
    with pytest.raises(ValueError, match="tracking project"):
        UnitTest("t").for_project_sessions()
    with pytest.raises(PromptWatchError, match="neither evaluated nor skipped"), \
            UnitTest("t", verbose=False).for_test_cases([CASE, CASE]) as run:
        for _case in run.test_cases():
            pass
    assert "neither evaluated nor skipped" in run.results[0].error_description
    with UnitTest("t", verbose=False).for_test_cases([CASE, CASE, CASE]) as run:
        for case in run.test_cases():
            case.skip()
    assert run.results == []
    with pytest.raises(PromptWatchError, match="turned off"):  # server sources need a server
        UnitTest("t").for_prompt_template("greeter").get_all_test_cases()


class Text(str):
    """A `str` subclass, as LangChain's `StrOutputParser` returns (`TextAccessor`)."""


class Record(dict):
    """A `dict` subclass, as LangChain's `RunnableParallel` returns (`AddableDict`)."""


@pytest.mark.parametrize("generated, expected, passed, reasoning", [
    (Text("jumps over the lazy dog"), "jumps over the lazy dog", True, None),
    (Record(text="Paris"), {"text": "Paris"}, True, None),
    (6, {"output": 6}, True, None),
    (6.0, {"output": 6}, True, None),
    ([1, 2], {"output": [1, 2]}, True, None),
    (True, {"output": True}, True, None),
    (True, {"output": 1}, False, "Type mismatch (expected number, got bool)"),
    (1, {"output": True}, False, "Type mismatch (expected bool, got number)"),
    ([1, 2], "1, 2", False, "Type mismatch (expected str, got list)"),
    ({"a": 1, "b": 2}, "x", False, "Type mismatch (expected str, got dict)"),
])
def test_results_compare_by_their_json_kind_not_their_class(generated, expected, passed, reasoning):
    result = CosineScoreEvaluationStrategy().evaluate(generated, TestCase(inputs={}, outputs=[
        {"label": 1, "value": expected}]))
    assert (result.passed, result.reasoning) == (passed, reasoning)
    assert json.loads(json.dumps(result.wire()["generated_result"])) == generated
