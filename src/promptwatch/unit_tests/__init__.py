"""`promptwatch.unit_tests`: test prompts and chains against annotated examples (the published client's API).

    from promptwatch.unit_tests import UnitTest
    from promptwatch.unit_tests.evaluation import CosineScoreEvaluationStrategy

    with UnitTest("greetings", evaluator=CosineScoreEvaluationStrategy()).for_prompt_template("greeter") as test:
        for case in test.test_cases():
            case.evaluate(chain)

Sources: `for_test_cases([...])`, `for_test_cases_in_file(path)` (JSON Lines of TestCase),
`for_prompt_template(name)` and `for_project_sessions(project)` (annotated examples on the server);
`for_simulated_conversations()` raises NotImplementedError, as it effectively did. As pytest tests:
`promptwatch.pytest_plugin`.
"""

from __future__ import annotations

from .evaluation import CosineScoreEvaluationStrategy, EvaluationStrategyBase
from .runner import TestCaseEvaluationWrapper, TestCaseHandle, UnitTest, UnitTestSession
from .schema import LabeledOutput, PromptUnitTestConditions, PromptUnitTestRun, TestCase, TestCaseResult

__all__ = [
    "CosineScoreEvaluationStrategy",
    "EvaluationStrategyBase",
    "LabeledOutput",
    "PromptUnitTestConditions",
    "PromptUnitTestRun",
    "TestCase",
    "TestCaseEvaluationWrapper",
    "TestCaseHandle",
    "TestCaseResult",
    "UnitTest",
    "UnitTestSession",
]
