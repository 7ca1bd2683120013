"""Request models of the native API's prompt-improvement loop: templates, labels, annotations, the cache
and replays (strict: unknown fields are an error)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr

from .common import JsonDepth, JsonObject, free_text, name_text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_messages(messages: list) -> None:
    if not messages:
        raise ValueError("a chat template needs at least one message")
    for index, message in enumerate(messages):
        if isinstance(message, str) and message.strip():
            continue  # a MessagesPlaceholder's variable name
        if not isinstance(message, dict):
            raise ValueError(f"message {index} is neither a message object nor a placeholder name")
        if not isinstance(message.get("role", ""), str | None):
            raise ValueError(f"message {index}: role is not text")
        texts = [message[key] for key in ("prompt_template", "text") if key in message]
        if len(texts) != 1 or not isinstance(texts[0], str):
            raise ValueError(f"message {index} needs one of prompt_template (a template) or text (literal), as text")


def _check_template(template: str | list | dict) -> str | list | dict:
    """Text, a list of chat messages, or a PromptTemplateDescription holding one of those."""
    inner = template.get("prompt_template") if isinstance(template, dict) else template
    if isinstance(inner, list):
        _check_messages(inner)
    elif not isinstance(inner, str) or not inner:
        raise ValueError("a template is non-empty text or a list of chat messages")
    return template


class TemplateCreate(_Strict):
    """A template registered through the API: `template` is the text (f-string) or a list of chat messages
    `{"role", "prompt_template" | "text"}` and placeholder names (or the published client's
    PromptTemplateDescription as a dict)."""

    template: Annotated[str | list[Any] | dict[str, Any], JsonDepth, AfterValidator(_check_template)]
    version: name_text(max_length=100) | None = None
    format: name_text(max_length=30) | None = None
    input_params: list[name_text()] | None = None


class LabelMove(_Strict):
    version: name_text(min_length=1, max_length=140)


def _whole_number(low: int, high: int, rule: str):
    """An integer from `low` to `high`, refused with `rule` (so are `true` and `4.0`, which pydantic would
    take as integers); the bounds show in the OpenAPI schema."""

    def check(value):
        if type(value) is not int or not low <= value <= high:
            raise ValueError(rule)
        return value

    return Annotated[int, Field(ge=low, le=high), BeforeValidator(check)]


_Label = _whole_number(0, 1, "a label is 1 (thumbs up) or 0 (thumbs down), or null")
_Rating = _whole_number(1, 5, "a rating is a whole number from 1 to 5, or null")


class AnnotationIn(_Strict):
    """A PUT changes the fields it sends (null clears one); those it leaves out keep their stored value."""

    label: _Label | None = None
    rating: _Rating | None = None
    notes: free_text(max_length=20_000) | None = None


class CacheEntryCreate(_Strict):
    result: str
    text: str | None = None
    embedding: list[float] | list[list[float]] | None = None
    template_identity: str | None = Field(default=None, max_length=600)
    input_values: JsonObject | None = None
    id: str | None = Field(default=None, min_length=1, max_length=200)


class CacheLookup(_Strict):
    text: str | None = None
    embedding: list[float] | list[list[float]] | None = None
    template_identity: str | None = Field(default=None, max_length=600)
    input_values: JsonObject | None = None
    min_similarity: float | None = Field(default=None, ge=-1, le=1)


class ProviderConfigIn(_Strict):
    base_url: name_text(min_length=8, max_length=2000)
    api_key: name_text(max_length=4000) | None = None
    default_model: name_text(max_length=200) | None = None


def _number(low: float, high: float):
    """A finite number from `low` to `high`: an integer too, never "0.5" or true."""
    return Annotated[float, Field(strict=True, allow_inf_nan=False, ge=low, le=high)]


_Penalty = _number(-2, 2)


class ReplaySettings(BaseModel):
    """The request settings replay takes from the recorded call, typed and held to the ranges the OpenAI API
    documents; any other is sent as given. Only edits are checked: recorded settings are sent as recorded."""

    model_config = ConfigDict(extra="allow")
    temperature: _number(0, 2) | None = None
    top_p: _number(0, 1) | None = None
    max_tokens: Annotated[StrictInt, Field(ge=1)] | None = None
    stop: StrictStr | Annotated[list[StrictStr], Field(max_length=4)] | None = None
    presence_penalty: _Penalty | None = None
    frequency_penalty: _Penalty | None = None
    seed: Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)] | None = None  # a signed 64-bit integer
    n: Annotated[StrictInt, Field(ge=1, le=128)] | None = None


class ReplayCreate(_Strict):
    """Edits to the recorded call; everything left out is replayed as recorded."""

    provider: name_text(max_length=100) = "default"
    template: Annotated[str | list[Any] | None, JsonDepth] = None
    input_values: JsonObject | None = None
    messages: list[JsonObject] | None = None
    model: name_text(max_length=200) | None = None
    settings: Annotated[ReplaySettings | None, JsonDepth] = None
