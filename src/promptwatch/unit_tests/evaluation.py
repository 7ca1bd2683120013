"""How a generated result is scored against a test case's labelled outputs.

`CosineScoreEvaluationStrategy` scores as PromptWatch documented it: the generated result is compared with
every labelled output; if it is closest to a liked one (label 1) its score is that similarity and it passes
at `positive_score_threshold` (0.9); if it is closest to a disliked one (label 0) its score is its distance
from it (1 - similarity) and it passes at `negative_score_threshold` (0.1). A dict result must have the
same keys as the dict outputs, and a result of another JSON kind than an output (text, number, bool, list,
dict) fails; subclasses count as their kind, so LangChain's `StrOutputParser` text is text. Without an
`embed_function` it embeds offline with PromptWatch's `pw-hash-ngram-512-v1` (no model, no network);
pass a function `str -> list[float]` or any LangChain `Embeddings` for a real model.

Custom evaluators subclass `EvaluationStrategyBase` (an `evaluation_method` name and `evaluate()`).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from numbers import Real
from typing import Any

from ..schema.text_embedding import cosine, embed_text
from .schema import LabeledOutput, TestCase, TestCaseResult

__all__ = ["CosineScoreEvaluationStrategy", "EvaluationStrategyBase"]


class EvaluationStrategyBase(ABC):
    """Decides whether a generated result passes a test case."""

    @property
    @abstractmethod
    def evaluation_method(self) -> str:
        """The method's name, stored with the run (e.g. "cos_sim_score")."""

    @abstractmethod
    def evaluate(self, generated_result: Any, test_case: TestCase) -> TestCaseResult:
        """A result with `passed`, `score` and why; `order` and activity links are filled by the run."""


def _as_text(value: Any) -> str:
    """The text that is embedded: text as it is, a number as JSON writes it (2.0 as 2), anything else as JSON."""
    kind = _json_kind(value)
    if kind == "str":
        return str.__str__(value)
    if kind == "number" and not isinstance(value, int):
        value = int(value) if float(value).is_integer() else float(value)
    return json.dumps(value, sort_keys=True, default=str)


def _json_kind(value: Any) -> str:
    """The JSON kind of a value, whatever its class: a `str` subclass is text, a bool is no number."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Real | Decimal):
        return "number"
    if isinstance(value, Mapping):
        return "dict"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


class CosineScoreEvaluationStrategy(EvaluationStrategyBase):
    def __init__(self, embed_function: Callable[[str], list[float]] | Any = None, positive_score_threshold: float = 0.9,
                 negative_score_threshold: float = 0.1, auto_unwrap_dict: bool = True):
        self.embed_function = embed_function
        self.positive_score_threshold = positive_score_threshold
        self.negative_score_threshold = negative_score_threshold
        self.auto_unwrap_dict = auto_unwrap_dict
        self._embed = lru_cache(maxsize=1000)(self._embedder())

    @property
    def evaluation_method(self) -> str:
        return "cos_sim_score"

    def _embedder(self) -> Callable[[str], list[float]]:
        function = self.embed_function
        if function is None:
            return embed_text
        if hasattr(function, "embed_query"):
            return function.embed_query
        if function == "OpenAIEmbeddings":  # the published client's default, by name
            from langchain_openai import OpenAIEmbeddings

            return OpenAIEmbeddings().embed_query
        if callable(function):
            return function
        raise ValueError("embed_function must be a function str -> list[float] or LangChain Embeddings")

    def similarity(self, generated: Any, example: LabeledOutput) -> float:
        return cosine(self._embed(_as_text(generated)), self._embed(_as_text(example.value)))

    def _mismatch(self, generated: Any, value: Any) -> str | None:
        expected, got = _json_kind(value), _json_kind(generated)
        if expected != got:
            return f"Type mismatch (expected {expected}, got {got})"
        if expected == "dict" and set(generated) != set(value):
            return (f"Missing keys: {sorted(set(value) - set(generated))}; "
                    f"unexpected keys: {sorted(set(generated) - set(value))}")
        return None

    def evaluate(self, generated_result: Any, test_case: TestCase) -> TestCaseResult:
        best: dict[int, tuple[float, LabeledOutput | None]] = {1: (-1.0, None), 0: (-1.0, None)}
        reasoning = None
        for output in test_case.outputs:
            value = output.value
            if (self.auto_unwrap_dict and _json_kind(generated_result) != "dict" and isinstance(value, dict)
                    and len(value) == 1):
                value = next(iter(value.values()))  # a chain's {"text": ...} against a plain answer
            reasoning = self._mismatch(generated_result, value)
            if reasoning:
                break
            example = LabeledOutput.model_construct(label=output.label, value=value)  # an unwrapped value: any JSON
            score = self.similarity(generated_result, example)
            if score > best[output.label][0]:
                best[output.label] = (score, output)
        closest: LabeledOutput | None = None
        if reasoning:
            passed, score = False, 0.0
        elif best[1][0] >= best[0][0]:  # closest to a liked example (ties go to the liked one)
            score = max(best[1][0], 0.0)
            passed, closest = score >= self.positive_score_threshold, best[1][1]
        else:
            score = 1.0 - max(best[0][0], 0.0)
            passed, closest = score >= self.negative_score_threshold, best[0][1]
        metadata: dict[str, Any] = {"positive_score_threshold": self.positive_score_threshold,
                                    "negative_score_threshold": self.negative_score_threshold}
        if closest is not None:
            metadata["closest_reference_example"] = closest.wire()
        return TestCaseResult(test_case=test_case, passed=passed, score=score, reasoning=reasoning,
                              evaluation_method=self.evaluation_method, evaluation_metadata=metadata,
                              generated_result=generated_result)
