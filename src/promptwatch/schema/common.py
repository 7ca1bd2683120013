"""Values and rules shared by every wire format."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, to_json

ACTIVITY_TYPES = (
    "question",
    "answer",
    "chain-sequence",
    "action",
    "retrieved-docs",
    "llm-prompt",
    "parallel-prompt",
    "embedding",
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
    "embedding",
    "log",
    "span",
]

# NUL: PostgreSQL text cannot hold it, SQLite can, and an import refuses it (import_validation). So that both
# databases take the same requests and every export imports, a name, a label, an id, an e-mail or a token the
# native API takes refuses it, the error naming the field (`name_text`), and free text is stored with U+FFFD in
# its place (`free_text`), as ingest stores every string (json_bodies.storable_text, before any field is read).
NUL = "\x00"


def refuse_nul(value: str) -> str:
    if NUL in value:
        raise PydanticCustomError("string_nul", "must not contain NUL (\\u0000)")
    return value


def nul_as_replacement(value: str) -> str:
    return value.replace(NUL, "\ufffd") if NUL in value else value


NulFree = AfterValidator(refuse_nul)


def name_text(**constraints: Any) -> Any:
    """A name, label, id, e-mail or token: text within `constraints` (Field's `min_length`, `max_length`,
    `pattern`), checked first, and without NUL (`string_nul`)."""
    return Annotated[str, Field(**constraints), NulFree]


def free_text(**constraints: Any) -> Any:
    """Free text (a note, a description, an address, a reason): text within `constraints`, each NUL made
    U+FFFD."""
    return Annotated[str, Field(**constraints), AfterValidator(nul_as_replacement)]


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


# every field that names a project (a session's, a dataset's, a key's, a retention policy's, a member's) or
# a tenant: projects are created on first use, by any of them, under this one rule
TrackingLabel = Annotated[
    str, Field(min_length=1, max_length=MAX_LABEL_LENGTH), NulFree, AfterValidator(check_tracking_label)
]

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

# A session's metadata comes with it in every row of the session list, so it is bounded as its name and tags
# are: at most this many keys, and this many bytes once written as compact JSON in UTF-8
MAX_METADATA_KEYS = 256
MAX_METADATA_BYTES = 16 * 1024


def check_metadata_size(value: dict[str, Any]) -> dict[str, Any]:
    """The native API's rule: a session's metadata over either limit is refused, the error naming the field."""
    if len(value) > MAX_METADATA_KEYS:
        message = "has {actual_length} keys; at most {max_length} are taken"
        context = {"field_type": "Dictionary", "max_length": MAX_METADATA_KEYS, "actual_length": len(value)}
        raise PydanticCustomError("too_long", message, context)
    size = len(to_json(value))
    if size > MAX_METADATA_BYTES:
        message = "its JSON is {size} bytes; at most {limit} are taken"
        raise PydanticCustomError("json_too_large", message, {"size": size, "limit": MAX_METADATA_BYTES})
    return value


SessionMetadata = Annotated[dict[str, Any], JsonDepth, AfterValidator(check_metadata_size)]


def fit_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """The keys of `value`, in order, that fit within MAX_METADATA_KEYS and MAX_METADATA_BYTES together; a key
    whose value would go over is left out and the next ones may still fit (the tolerant endpoints keep what they
    can rather than refuse)."""
    if len(value) <= MAX_METADATA_KEYS and len(to_json(value)) <= MAX_METADATA_BYTES:
        return value
    kept: dict[str, Any] = {}
    size = len(b"{}")
    for key, item in value.items():
        if len(kept) == MAX_METADATA_KEYS:
            break
        entry = len(to_json(key)) + len(b":") + len(to_json(item)) + (len(b",") if kept else 0)
        if size + entry <= MAX_METADATA_BYTES:
            kept[key] = item
            size += entry
    return kept


# An id is addressed in URLs (`/api/v1/sessions/{id}`), where a `/` would split it; a control character in an
# id is a mistake (NUL, which no text column holds, is U+FFFD by then, as in every string: json_bodies)
ObjectId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\x00-\x1f\x7f]+$")]


NEEDS_OFFSET = "expected an ISO-8601 time with a UTC offset, e.g. 2026-01-01T00:00:00Z"
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
# what pydantic answers for text that is no time, or a time without an offset: these get NEEDS_OFFSET
_NOT_A_TIME = frozenset(
    {"datetime_type", "datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid", "timezone_aware"}
)
_SHOWN_CHARS = 100


def not_a_time(value: Any) -> PydanticCustomError:
    """The refusal of `value` where a time with a UTC offset belongs, echoing what was received (cut short)."""
    shown = repr(value if len(str(value)) <= _SHOWN_CHARS else f"{str(value)[:_SHOWN_CHARS]}…")
    return PydanticCustomError("datetime_type", NEEDS_OFFSET + "; got {value}", {"value": shown})


def _time_with_offset(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """A number is no time, nor is its text: pydantic would take either for seconds since 1970. (Text with
    a date's `-` after its year, as ISO-8601 writes it, is no number: it goes straight to pydantic.)"""
    if not (type(value) is str and value[4:5] == "-") and (
        isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value))
    ):
        raise not_a_time(value)
    try:
        return handler(value)
    except ValidationError as exc:
        if any(error["type"] in _NOT_A_TIME for error in exc.errors()):
            raise not_a_time(value) from None
        raise


# A time as every native endpoint takes it: ISO-8601 text with a UTC offset (or an aware datetime, in Python),
# never a number, and one the store can keep in UTC: in the years 1 to 9999 once in UTC (the last second of 9999
# at -14:00 is in the year 10000). The bounds are checked by pydantic's own code, offsets included, with the
# item's other fields. The published client's endpoints read times their own tolerant way (`parse_time`).
Moment = Annotated[
    AwareDatetime,
    Field(ge=datetime.min.replace(tzinfo=timezone.utc), le=datetime.max.replace(tzinfo=timezone.utc)),
    WrapValidator(_time_with_offset),
]
MAX_TAG_LENGTH = 200
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG_LENGTH)]


class ChatMessage(BaseModel):
    """One message of a chat prompt: `role` and `text`, as the published client sends it, with the fields a
    message carries beyond them kept as sent (`name`, `tool_calls`, `tool_call_id`...).

    OpenAI's `content` is another name for `text`: a string, or a list of content parts whose text parts (type
    `text`, or the Responses API's `input_text` and `output_text`) are joined by a newline into `text`; the other
    parts (images, audio, files, refusals) stay in `content` as they are, so a message read back can be sent
    again. A message whose `content` holds text as well as a `text` is refused, naming `content`: which one is
    meant cannot be told. `content: null` (an assistant message that only calls tools) is no content."""

    model_config = ConfigDict(extra="allow")

    role: str | None = None
    text: str = ""
    metadata: dict | None = None

    @model_validator(mode="before")
    @classmethod
    def content_as_text(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "content" not in data:
            return data
        message = {key: value for key, value in data.items() if key != "content"}
        content = data["content"]
        if content is None:
            return message
        if isinstance(content, str):
            texts, others = [content], []
        elif isinstance(content, list):
            texts, others = _content_parts(content)
        else:
            raise _message_error(content, ("content",), "content_type", "content is text or a list of content parts")
        if any(texts) and data.get("text"):
            raise _message_error(content, ("content",), "text_and_content", "a message has text or content, not both")
        if any(texts):
            message["text"] = "\n".join(texts)
        if others:
            message["content"] = others
        return message


_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def _content_parts(parts: list) -> tuple[list[str], list[dict]]:
    """The texts of a message's content parts, and its other parts as they are."""
    texts, others = [], []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise _message_error(part, ("content", index), "model_type", "a content part is an object with a type")
        kind = part.get("type", "text")
        if not isinstance(kind, str):
            raise _message_error(kind, ("content", index, "type"), "string_type", "a content part's type is a string")
        if kind not in _TEXT_PARTS:
            others.append(part)
        elif isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            message = "a text part's text is a string"
            raise _message_error(part.get("text"), ("content", index, "text"), "string_type", message)
    return texts, others


def _message_error(value: Any, loc: tuple, kind: str, message: str) -> ValidationError:
    """A refusal that names the message's field (`prompt.0.content`), which a model validator cannot."""
    error = InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)
    return ValidationError.from_exception_data("ChatMessage", [error])


class DocumentSnippet(BaseModel):
    """A retrieved document."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    text: str = ""
    source: str | None = None
    metadata: dict | None = None
