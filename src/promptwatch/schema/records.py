"""The native API's ingest shapes (`/api/v1/...`): strict, a field a session or an activity does not have is
an error, and a boolean, a number or a time is one as JSON writes it (`"yes"` is no boolean, `true` no number,
a string no number, a number no time: `Moment`). A chat message and a document keep the fields they carry
beyond those named (`ChatMessage`, `DocumentSnippet`).

One `ActivityIn` carries the fields of every activity type; `check_type_fields` says which ones a type
needs, so the store can keep one activity table with the light columns and one body for the rest. A `prompt`
is a text or, as a list, what its type takes: an LLM call's chat messages, an embedding's texts. An
`end_time` before the `start_time`, an activity that names itself as its parent, a `total_tokens` below the
prompt and completion tokens, and more `scores` than `documents` are refused, the error naming the field
(longer parent cycles are shown cut, see `server.store.session_detail`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    TypeAdapter,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .common import (
    ActivityType,
    ChatMessage,
    DocumentSnippet,
    Int32,
    JsonDepth,
    JsonObject,
    Moment,
    ObjectId,
    SessionMetadata,
    Tag,
    TokenCount,
    TrackingLabel,
)

_STRICT = ConfigDict(extra="forbid")

# the fields each type must carry; every other type-specific field is optional
_REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "question": ("text",),
    "answer": ("text",),
    "log": ("text",),
    "retrieved-docs": ("documents",),
    "llm-prompt": ("prompt",),
    "parallel-prompt": ("prompts",),
    "embedding": ("prompt",),
}


def _not_before_start(end_time: datetime | None, info: ValidationInfo) -> datetime | None:
    """The `end_time` validator of a model whose `start_time` comes before it (absent when that was invalid)."""
    start_time = info.data.get("start_time")
    if end_time is not None and start_time is not None and end_time < start_time:
        raise ValueError("end_time is before start_time")
    return end_time


_MESSAGES = TypeAdapter(list[ChatMessage])
_TEXTS = TypeAdapter(list[str])


def _prompt_of_its_type(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """A prompt's list is checked as the list its activity type takes, an embedding's texts or else chat
    messages, so that an error names the item's field (`prompt.0.content`, `prompt.1`) rather than each shape
    the prompt could have had. Checked without its activity (`info.data` is None), a list of strings is texts."""
    if not isinstance(value, list):
        return handler(value)
    activity_type = (info.data or {}).get("activity_type")
    if activity_type == "embedding" or (info.data is None and all(isinstance(item, str) for item in value)):
        return _TEXTS.validate_python(value)
    return _MESSAGES.validate_python(value)


class SessionIn(BaseModel):
    """A session as the native API takes it; sent again, it updates the stored one."""

    model_config = _STRICT

    id: ObjectId
    session_name: str | None = Field(default=None, max_length=1000)
    tracking_project: TrackingLabel | None = None
    tracking_tenant: TrackingLabel | None = None
    start_time: Moment | None = None
    end_time: Moment | None = None
    is_error: StrictBool | None = None
    tags: list[Tag] | None = Field(default=None, max_length=100)
    metadata: SessionMetadata | None = None

    check_end_time = field_validator("end_time")(_not_before_start)


class TokenUsage(BaseModel):
    model_config = _STRICT

    prompt_tokens: TokenCount | None = None
    completion_tokens: TokenCount | None = None
    total_tokens: TokenCount | None = None

    @field_validator("total_tokens")
    @classmethod
    def check_total(cls, total: int | None, info: ValidationInfo) -> int | None:
        """A total may exceed its parts (providers count reasoning or cached tokens in it), never fall short."""
        parts = sum(info.data.get(name) or 0 for name in ("prompt_tokens", "completion_tokens"))
        if total is not None and total < parts:
            message = "Input should be greater than or equal to {ge}, the prompt and completion tokens"
            raise PydanticCustomError("greater_than_equal", message, {"ge": parts})
        return total


class ActivityIn(BaseModel):
    """An activity of any type; `session_id` names its session, which is created on first use."""

    model_config = _STRICT

    id: ObjectId
    session_id: ObjectId
    activity_type: ActivityType
    parent_activity_id: ObjectId | None = None
    name: str | None = Field(default=None, max_length=500)
    order: Int32 | None = None
    start_time: Moment
    end_time: Moment | None = None
    error: str | None = None
    info_message: str | None = None
    metadata: JsonObject | None = None
    tags: list[Tag] | None = Field(default=None, max_length=100)
    feedback_label: Int32 | None = None
    feedback_rating: Int32 | None = None
    feedback_notes: str | None = None
    # question, answer, log
    text: str | None = None
    # retrieved-docs
    documents: Annotated[list[DocumentSnippet] | None, JsonDepth] = None
    scores: list[StrictFloat] | None = None
    # chain-sequence
    sequence_type: str | None = None
    inputs: JsonObject | None = None
    outputs: JsonObject | None = None
    # action (tool)
    tool_type: str | None = None
    input: str | None = None
    input_data: JsonObject | None = None
    output: str | None = None
    output_data: JsonObject | None = None
    # llm-prompt; embedding: model, provider, prompt (a text or a list of texts), settings, usage, and outputs
    # {"vectors", "dimensions"}
    prompt: Annotated[str | list[ChatMessage] | list[str] | None, WrapValidator(_prompt_of_its_type), JsonDepth] = None
    prompt_template: JsonObject | None = None
    prompt_input_values: JsonObject | None = None
    caption: str | None = None
    generated: str | None = None
    model: str | None = Field(default=None, max_length=200)
    provider: str | None = Field(default=None, max_length=100)
    settings: JsonObject | None = None
    usage: TokenUsage | None = None
    time_to_first_token_ms: StrictFloat | None = Field(default=None, ge=0)
    # parallel-prompt
    prompts: list[JsonObject] | None = None
    # span
    attributes: JsonObject | None = None

    check_end_time = field_validator("end_time")(_not_before_start)

    @field_validator("scores")
    @classmethod
    def check_scores(cls, scores: list[float] | None, info: ValidationInfo) -> list[float] | None:
        """One score per document at most (absent when `documents` was invalid)."""
        documents = info.data.get("documents")
        if scores is not None and documents is not None and len(scores) > len(documents):
            message = "at most one score per document: {actual_length} scores for {max_length} documents"
            context = {"field_type": "List", "max_length": len(documents), "actual_length": len(scores)}
            raise PydanticCustomError("too_long", message, context)
        return scores

    @field_validator("parent_activity_id")
    @classmethod
    def check_parent(cls, parent: str | None, info: ValidationInfo) -> str | None:
        if parent is not None and parent == info.data.get("id"):
            raise ValueError("an activity cannot be its own parent")
        return parent

    @model_validator(mode="after")
    def check_type_fields(self) -> ActivityIn:
        for field in _REQUIRED_BY_TYPE.get(self.activity_type, ()):
            if getattr(self, field) is None:
                raise ValueError(f"{field} is required for activity_type {self.activity_type!r}")
        return self


class IngestBatch(BaseModel):
    """`POST /api/v1/ingest`: sessions and activities in one request, each answered on its own."""

    model_config = _STRICT

    sessions: list[dict[str, Any]] = Field(default_factory=list, max_length=1000)
    activities: list[dict[str, Any]] = Field(default_factory=list, max_length=5000)


class ItemResult(BaseModel):
    id: str | None
    status: str  # "stored" | "unchanged" | "deleted" | "invalid"
    errors: list[dict[str, Any]] | None = None


class IngestResult(BaseModel):
    sessions: list[ItemResult]
    activities: list[ItemResult]
    stored: int
    rejected: int
