"""Values and rules shared by every wire format."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ACTIVITY_TYPES = (
    "question",
    "answer",
    "chain-sequence",
    "action",
    "retrieved-docs",
    "llm-prompt",
    "parallel-prompt",
    "log",
    "span",
)
ActivityType = Literal[
    "question",
    "answer",
    "chain-sequence",
    "action",
    "retrieved-docs",
    "llm-prompt",
    "parallel-prompt",
    "log",
    "span",
]

MAX_LABEL_LENGTH = 256
_WHITESPACE = re.compile(r"\s")


def check_tracking_label(value: str | None) -> str | None:
    """PromptWatch's rule for `tracking_project` and `tracking_tenant`: at most 256 chars, no whitespace."""
    if value is None:
        return None
    if len(value) > MAX_LABEL_LENGTH:
        raise ValueError(f"must be at most {MAX_LABEL_LENGTH} characters")
    if _WHITESPACE.search(value):
        raise ValueError("must not contain whitespace")
    if not value:
        raise ValueError("must not be empty")
    return value


TrackingLabel = Annotated[str, AfterValidator(check_tracking_label)]
ObjectId = Annotated[str, Field(min_length=1, max_length=200)]
Tag = Annotated[str, Field(min_length=1, max_length=200)]


class ChatMessage(BaseModel):
    """One message of a chat prompt, as the published client sends it (`text`, not `content`)."""

    model_config = ConfigDict(extra="allow")

    role: str | None = None
    text: str = ""
    metadata: dict | None = None


class DocumentSnippet(BaseModel):
    """A retrieved document."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    text: str = ""
    source: str | None = None
    metadata: dict | None = None
