"""Request models of the native API's prompt-improvement loop: templates, labels, annotations, the cache
and replays (strict: unknown fields are an error)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateCreate(_Strict):
    """A template registered through the API: `template` is the text (f-string) or a list of chat messages
    `{"role", "prompt_template"}` (or the published client's PromptTemplateDescription as a dict)."""

    template: str | list[Any] | dict[str, Any]
    version: str | None = Field(default=None, max_length=100)
    format: str | None = Field(default=None, max_length=30)
    input_params: list[str] | None = None


class LabelMove(_Strict):
    version: str = Field(min_length=1, max_length=140)


class AnnotationIn(_Strict):
    label: Literal[0, 1] | None = None
    rating: int | None = Field(default=None, ge=-1000, le=1000)
    notes: str | None = Field(default=None, max_length=20_000)


class CacheEntryCreate(_Strict):
    result: str
    text: str | None = None
    embedding: list[float] | list[list[float]] | None = None
    template_identity: str | None = Field(default=None, max_length=600)
    input_values: dict[str, Any] | None = None
    id: str | None = Field(default=None, min_length=1, max_length=200)


class CacheLookup(_Strict):
    text: str | None = None
    embedding: list[float] | list[list[float]] | None = None
    template_identity: str | None = Field(default=None, max_length=600)
    input_values: dict[str, Any] | None = None
    min_similarity: float | None = Field(default=None, ge=-1, le=1)


class ProviderConfigIn(_Strict):
    base_url: str = Field(min_length=8, max_length=2000)
    api_key: str | None = Field(default=None, max_length=4000)
    default_model: str | None = Field(default=None, max_length=200)


class ReplayCreate(_Strict):
    """Edits to the recorded call; everything left out is replayed as recorded."""

    provider: str = Field(default="default", max_length=100)
    template: str | list[Any] | None = None
    input_values: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None
    model: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] | None = None
