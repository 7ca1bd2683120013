"""Request models of the native API's datasets: a dataset, its items, and an item made from an LLM call
(strict: unknown fields are an error)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import JsonDepth, JsonObject, TrackingLabel, free_text, name_text

MAX_ITEMS_PER_REQUEST = 1000
NAME_RULES = {"min_length": 1, "max_length": 256, "pattern": r"^[^/\x00-\x1f]+$"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetCreate(_Strict):
    name: str = Field(**NAME_RULES)
    description: free_text(max_length=20_000) | None = None
    project: TrackingLabel | None = Field(default=None, description="limit it to a project (created on first use)")


class DatasetUpdate(_Strict):
    name: str | None = Field(default=None, **NAME_RULES)
    description: free_text(max_length=20_000) | None = None


class DatasetItemFields(_Strict):
    """What an item holds besides its input; on update, only the fields sent change."""

    expected_output: Annotated[Any, JsonDepth] = None
    metadata: JsonObject | None = None
    label: Literal[0, 1] | None = Field(default=None, description="1 good, 0 bad")
    notes: free_text(max_length=20_000) | None = None


class DatasetItemCreate(DatasetItemFields):
    id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    input: Annotated[Any, JsonDepth] = Field(
        description="any JSON value; a JSON object maps to a unit test case's inputs"
    )
    source_session_id: name_text(max_length=200) | None = None
    source_activity_id: name_text(max_length=200) | None = None


class DatasetItemsCreate(_Strict):
    items: list[DatasetItemCreate] = Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)


class DatasetItemUpdate(DatasetItemFields):
    input: Annotated[Any, JsonDepth] = None


class DatasetItemFromActivity(_Strict):
    activity_id: name_text(min_length=1, max_length=200) = Field(description="an LLM call (llm-prompt activity)")
    label: Literal[0, 1] | None = None
    notes: free_text(max_length=20_000) | None = None
