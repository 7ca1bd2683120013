"""The published client's unit-test models (WIRE_PROTOCOL §6.4), as pydantic v2 models; `.wire()` is the
JSON body the server takes (every field, nulls included, as the published client sent it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from ..schema.legacy import LlmPrompt

__all__ = [
    "LabeledOutput",
    "PromptUnitTestConditions",
    "PromptUnitTestRun",
    "PromptUnitTestRunResultsSummary",
    "TestCase",
    "TestCaseResult",
]


class _Wire(BaseModel):
    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class LabeledOutput(_Wire):
    """An example output of a test case: label 1 = what we want, 0 = what we do not want."""

    label: int
    value: str | dict[str, Any]

    @field_validator("label")
    @classmethod
    def _zero_or_one(cls, value: int) -> int:
        if value not in (0, 1):
            raise ValueError("label must be 0 or 1")
        return value


class TestCase(_Wire):
    """Inputs and their labelled outputs (an annotated example)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    id: str | None = None
    for_template_name: str | None = None
    for_tracking_project: str | None = None
    inputs: dict[str, Any]
    outputs: list[LabeledOutput]


class TestCaseResult(_Wire):
    """How one test case went; `order` is its 1-based place in the run (set when it is recorded)."""

    __test__: ClassVar[bool] = False

    evaluation_method: str | None = None
    evaluation_metadata: dict[str, Any] | None = None
    test_case: TestCase
    activity_id: str | None = None
    llm_prompt: LlmPrompt | None = None
    conversation_session_id: str | None = None
    response_time_ms: int | None = None
    passed: bool
    order: int | None = None
    reasoning: str | None = None
    score: float | None = None
    generated_result: str | bool | int | float | list[Any] | dict[str, Any] | None = None  # any JSON value
    error_description: str | None = None


class PromptUnitTestConditions(_Wire):
    """Where a run's test cases came from (null for an inline list)."""

    for_template_name: str | None = None
    for_tracking_project: str | None = None
    for_test_cases_in_file: str | None = None
    for_dataset: str | None = None
    for_simulated_conversations: str | None = None


class PromptUnitTestRunResultsSummary(_Wire):
    overall_score: float | None = None
    total_processed: int = 0
    passed: int = 0
    failed: int = 0


class PromptUnitTestRun(_Wire):
    """One run of a unit test; posted at its start, after each result and at its end (upsert by run_id)."""

    run_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    session_id: str
    evaluation_method: str
    test_name: str
    start_time: datetime | None = None
    end_time: datetime | None = None
    conditions: PromptUnitTestConditions | None = None
    results: PromptUnitTestRunResultsSummary = Field(default_factory=PromptUnitTestRunResultsSummary)
