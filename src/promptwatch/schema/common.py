"""Values and rules shared by every wire format."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt
from pydantic_core import PydanticCustomError

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

# free JSON (metadata, inputs, outputs, settings, attributes...): at most this many levels of objects and
# arrays, counted from the field's own value, so that nothing that walks stored JSON recurses without bound
MAX_JSON_DEPTH = 64
TOO_DEEP = f"[removed: nested deeper than {MAX_JSON_DEPTH} levels]"


def nests_deeper(value: Any, levels: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` holds an object or array below `levels` levels of them. One pass per level over that
    level's objects and arrays, without recursion, and none at all for a value that is neither: ingest checks
    every free field of every item."""
    containers = [value] if isinstance(value, _CONTAINERS) else []
    for _ in range(levels):
        if not containers:
            return False
        containers = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, _CONTAINERS)
        ]
    return bool(containers)


_CONTAINERS = (dict, list)


def check_json_depth(value: Any) -> Any:
    if nests_deeper(value):
        raise PydanticCustomError(
            "json_too_deep", "nests deeper than {limit} levels of objects and arrays", {"limit": MAX_JSON_DEPTH}
        )
    return value


def cap_json_depth(value: Any) -> Any:
    """`value` with every object or array nested deeper than MAX_JSON_DEPTH replaced by TOO_DEEP (the
    tolerant endpoints keep what they can rather than refuse)."""
    return _capped(value, MAX_JSON_DEPTH) if nests_deeper(value) else value


def _capped(value: Any, levels: int) -> Any:
    if not isinstance(value, dict | list):
        return value
    if levels == 0:
        return TOO_DEEP
    if isinstance(value, dict):
        return {key: _capped(child, levels - 1) for key, child in value.items()}
    return [_capped(child, levels - 1) for child in value]


# Numbers the store keeps in integer columns: a call's token counts (far beyond any model, and far below what
# a session's 64-bit totals could overflow at), and small integers (PostgreSQL's INTEGER is 32-bit). Strict, as
# the native API is: a boolean, a string or a float is refused, not converted
MAX_TOKENS = 10**12
TokenCount = Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS)]
Int32 = Annotated[StrictInt, Field(ge=-(2**31), le=2**31 - 1)]

JsonDepth = BeforeValidator(check_json_depth)  # on a field of any type that may hold free JSON
JsonObject = Annotated[dict[str, Any], JsonDepth]
# An id is addressed in URLs (`/api/v1/sessions/{id}`), where a `/` would split it; a control character in an
# id is a mistake (NUL, which no text column holds, is U+FFFD by then, as in every string: json_bodies)
ObjectId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\x00-\x1f\x7f]+$")]


# A time the store can keep in UTC: in the years 1 to 9999 once in UTC (the last second of 9999 at -14:00 is in
# the year 10000). The bounds are checked by pydantic's own code, offsets included, with the item's other fields.
Moment = Annotated[
    AwareDatetime,
    Field(ge=datetime.min.replace(tzinfo=timezone.utc), le=datetime.max.replace(tzinfo=timezone.utc)),
]
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
