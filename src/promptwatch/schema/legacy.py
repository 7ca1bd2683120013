"""The published promptwatch 0.4.x client's payloads (WIRE_PROTOCOL.md §6), as pydantic v2 models.

User code written for that client constructs these (`PromptWatch.log_activity(RetrievedDocuments(...))`),
so the names, fields and defaults are the client's: ids are uuid4 strings made on construction, times
are aware datetimes, and activities forbid unknown fields as the client's did. `activity_type` is the
discriminator (`ChainSequence` sends "chain-sequence", as the client did on the wire). An activity is mended
as the server's endpoints for that client mend it: one that names itself as its parent is a root, and an
end before the start is the start.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .common import ChatMessage, DocumentSnippet, TrackingLabel

__all__ = [
    "Action",
    "ActivityBase",
    "Answer",
    "ChainSequence",
    "ChatMessage",
    "ChatMessagePromptTemplate",
    "DocumentSnippet",
    "LegacyActivity",
    "LlmPrompt",
    "Log",
    "NamedPromptTemplateDescription",
    "ParallelPrompt",
    "PromptTemplateDescription",
    "Question",
    "RetrievedDocuments",
    "Session",
]


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Session(BaseModel):
    """A session as the published client sent it to /sessions/start and /sessions/finish."""

    id: str = Field(default_factory=_new_id)
    start_time: datetime | None = Field(default_factory=_now)
    end_time: datetime | None = None
    session_name: str | None = None
    steps_count: int = 0
    tracking_project: TrackingLabel | None = None
    tracking_tenant: TrackingLabel | None = None
    is_error: bool = False


class PromptTemplateDescription(BaseModel):
    prompt_template: str | list[ChatMessagePromptTemplate | ChatMessage | str]
    prompt_input_params: list[str] | None = None
    format: str | None = None  # "f-string" | "jinja2" | "chat_messages"


class ChatMessagePromptTemplate(PromptTemplateDescription):
    role: str | None = None


class NamedPromptTemplateDescription(PromptTemplateDescription):
    template_name: str
    template_version: str | None = None


class ActivityBase(BaseModel):
    """The fields every activity has; `activity_type` comes after them, as in the client's JSON."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=_new_id)
    order: int | None = None
    parent_activity_id: str | None = None
    start_time: datetime = Field(default_factory=_now)
    end_time: datetime | None = None
    metadata: dict[str, Any] | None = None
    error: str | None = None
    info_message: str | None = None
    feedback_label: int | None = None
    feedback_rating: int | None = None
    feedback_notes: str | None = None

    @model_validator(mode="after")
    def mend_parent_and_end(self) -> ActivityBase:
        """The native API, which the SDK sends these to, refuses what the client's server took."""
        if self.parent_activity_id == self.id:
            self.parent_activity_id = None
        end, start = self.end_time, self.start_time
        if end is not None and (end.tzinfo is None) == (start.tzinfo is None) and end < start:  # comparable
            self.end_time = start
        return self


class Question(ActivityBase):
    activity_type: Literal["question"] = "question"
    text: str


class Answer(ActivityBase):
    activity_type: Literal["answer"] = "answer"
    text: str


class Log(ActivityBase):
    activity_type: Literal["log"] = "log"
    text: str


class RetrievedDocuments(ActivityBase):
    activity_type: Literal["retrieved-docs"] = "retrieved-docs"
    documents: list[DocumentSnippet]
    scores: list[float] | None = None


class ChainSequence(ActivityBase):
    activity_type: Literal["chain-sequence"] = "chain-sequence"
    sequence_type: str = "others"
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] | None = None


class LlmPrompt(ActivityBase):
    activity_type: Literal["llm-prompt"] = "llm-prompt"
    prompt: str | list[ChatMessage]
    prompt_template: NamedPromptTemplateDescription | PromptTemplateDescription | None = None
    prompt_input_values: dict[str, str | ChatMessage | list[ChatMessage]] | None = None
    caption: str | None = None
    generated: str | None = None


class ParallelPrompt(ActivityBase):
    activity_type: Literal["parallel-prompt"] = "parallel-prompt"
    prompts: list[LlmPrompt]


class Action(ActivityBase):
    activity_type: Literal["action"] = "action"
    tool_type: str
    input: str
    input_data: dict[str, Any] | None = None
    output: str | None = None
    output_data: dict[str, Any] | None = None


LegacyActivity = Annotated[
    Question | Answer | Log | RetrievedDocuments | ChainSequence | LlmPrompt | ParallelPrompt | Action,
    Field(discriminator="activity_type"),
]
"""Any of the client's activities, told apart by `activity_type` (use with a pydantic TypeAdapter)."""

PromptTemplateDescription.model_rebuild()
