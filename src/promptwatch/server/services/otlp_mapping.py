"""What the LLM conventions of OpenTelemetry say, as PromptWatch activity fields: pure functions, no I/O.

Understood: OpenInference (`openinference.span.kind`), the OpenTelemetry GenAI semantic conventions
(`gen_ai.operation.name`, messages as `gen_ai.input/output.messages` or span events) and OpenLLMetry
(`traceloop.span.kind`, `llm.request.type`, `gen_ai.prompt.N.*`). `SpanAttributes` remembers which keys
a mapping used, so that the span's other attributes are kept, bounded, beside the activity. The span's
identity (ids, session, project, times, error) is `otlp_ingest`'s; docs/otlp.md has the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from promptwatch.schema.common import MAX_TOKENS

MAX_ATTRIBUTES = 128
MAX_VALUE_CHARS = 8192
MAX_LIST_ITEMS = 128
_MAX_DEPTH = 8
_MAX_TOKENS = 2**31 - 1  # the store's token columns are 32-bit

_CHAIN, _LLM, _TOOL, _EMBEDDING = "chain-sequence", "llm-prompt", "action", "embedding"
_OI_KINDS = {
    "LLM": _LLM,
    "EMBEDDING": _EMBEDDING,
    "TOOL": _TOOL,
    "RETRIEVER": "retrieved-docs",
    "CHAIN": _CHAIN,
    "AGENT": _CHAIN,
}
_GENAI_OPERATIONS = {
    "chat": _LLM,
    "text_completion": _LLM,
    "generate_content": _LLM,
    "embeddings": _EMBEDDING,
    "execute_tool": _TOOL,
    "invoke_agent": _CHAIN,
}
_TRACELOOP_KINDS = {"workflow": _CHAIN, "task": _CHAIN, "agent": _CHAIN, "tool": _TOOL}
_TRACELOOP_REQUESTS = {"chat": _LLM, "completion": _LLM, "embedding": _EMBEDDING}
_PROVIDER_KEYS = ("llm.provider", "llm.system", "gen_ai.provider.name", "gen_ai.system")
_GENAI_SETTINGS = ("temperature", "max_tokens", "top_p", "top_k", "frequency_penalty", "presence_penalty", "seed")
_GENAI_SETTINGS += ("stop_sequences",)
_KIND_KEYS = ("openinference.span.kind", "gen_ai.operation.name", "traceloop.span.kind", "llm.request.type")
_MESSAGE_EVENTS = ("gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message")
_USAGE_KEYS = {
    "prompt_tokens": ("llm.token_count.prompt", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
    "completion_tokens": ("llm.token_count.completion", "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
    "total_tokens": ("llm.token_count.total", "llm.usage.total_tokens"),
}
_TOOL_ARGUMENTS = "tool_call.function.arguments"


@dataclass(frozen=True)
class OtlpEvent:
    name: str
    time_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OtlpSpan:
    """One span as decoded from either encoding: ids in lowercase hex, times in Unix nanoseconds."""

    trace_id: str
    span_id: str
    name: str
    start_ns: int
    end_ns: int = 0
    parent_span_id: str = ""
    kind: str = "INTERNAL"
    attributes: dict[str, Any] = field(default_factory=dict)
    events: tuple[OtlpEvent, ...] = ()
    status_code: str = "UNSET"  # UNSET | OK | ERROR
    status_message: str = ""
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str = ""


class SpanAttributes:
    """A span's attributes that remembers which keys the mapping used; `rest()` is what it did not."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self._used: set[str] = set()

    def consume(self, *keys: str) -> None:
        """Mark keys as represented elsewhere (the session, the tenant), so `rest()` leaves them out."""
        self._used.update(keys)

    def get(self, *keys: str) -> Any:
        """The first of `keys` that is present (marked as used, like every key asked for)."""
        self.consume(*keys)
        return next((self._values[k] for k in keys if self._values.get(k) is not None), None)

    def text(self, *keys: str) -> str | None:
        return as_text(self.get(*keys))

    def token_count(self, *keys: str) -> int | None:
        """The first of `keys` that holds a count of tokens as the native API takes it (a whole number, 0 to
        MAX_TOKENS); a value that is none stays among the span's attributes (`rest()`), so what was sent is kept."""
        self.consume(*keys)
        for key in (k for k in keys if self._values.get(k) is not None):
            number = _whole_number(self._values[key])
            if number is not None and 0 <= number <= MAX_TOKENS:
                return number
            self._used.discard(key)
        return None

    def json(self, *keys: str) -> Any:
        """A value that conventions send as a JSON string (or, from some SDKs, already structured)."""
        return parse_json(self.get(*keys))

    def indexed(self, prefix: str) -> list[dict[str, Any]]:
        found = [k for k in self._values if k.startswith(prefix + ".")]
        self.consume(*found)
        return indexed({k: self._values[k] for k in found}, prefix)

    def count_indexed(self, prefix: str) -> int:
        """How many items OpenInference flattened under `prefix` (`prefix.N.…`), also past what `indexed` keeps."""
        head = prefix + "."
        indexes = {k.removeprefix(head).partition(".")[0] for k in self._values if k.startswith(head)}
        return sum(index.isdigit() for index in indexes)

    def rest(self) -> dict[str, Any] | None:
        unused = [(k, v) for k, v in self._values.items() if k not in self._used]
        return {k: bounded(v) for k, v in unused[:MAX_ATTRIBUTES]} or None


def _whole_number(value: Any) -> int | None:
    """An integer, or its text, or a float without a fraction, as an int; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def indexed(values: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """OpenInference flattens lists: `prefix.0.message.role` → `[{"message.role": ...}]`, in index order."""
    items: dict[int, dict[str, Any]] = {}
    head = prefix + "."
    for key, value in values.items():
        index, dot, rest = key.removeprefix(head).partition(".")
        if key.startswith(head) and dot and index.isdigit():
            items.setdefault(int(index), {})[rest] = value
    return [items[i] for i in sorted(items)][:MAX_LIST_ITEMS]


def as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode()


def parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value


def bounded(value: Any, depth: int = 0) -> Any:
    """Strings cut at MAX_VALUE_CHARS, lists and mappings at MAX_LIST_ITEMS, deeper nesting as JSON text."""
    if isinstance(value, str):
        return value[:MAX_VALUE_CHARS]
    if depth >= _MAX_DEPTH and isinstance(value, list | dict):
        return as_text(value)[:MAX_VALUE_CHARS]
    if isinstance(value, list):
        return [bounded(v, depth + 1) for v in value[:MAX_LIST_ITEMS]]
    if isinstance(value, dict):
        return {k: bounded(v, depth + 1) for k, v in list(value.items())[:MAX_LIST_ITEMS]}
    return value


def activity_type_of(attributes: dict[str, Any]) -> str:
    """OpenInference's span kind first, then GenAI's operation, then OpenLLMetry's hints; else `span`."""
    if (kind := attributes.get("openinference.span.kind")) is not None:
        return _OI_KINDS.get(str(kind).upper(), "span")
    if (operation := attributes.get("gen_ai.operation.name")) is not None:
        return _GENAI_OPERATIONS.get(str(operation), "span")
    if (kind := attributes.get("traceloop.span.kind")) is not None:
        return _TRACELOOP_KINDS.get(str(kind), "span")
    return _TRACELOOP_REQUESTS.get(str(attributes.get("llm.request.type")), "span")


def convention_fields(activity_type: str, attrs: SpanAttributes, events: tuple[OtlpEvent, ...]) -> dict[str, Any]:
    """The type-specific activity fields; spans without `openinference.span.kind` are read as GenAI."""
    if activity_type != "span":
        attrs.consume(*_KIND_KEYS)  # the activity type says it
    if activity_type == _LLM:
        return _llm_fields(attrs, events)
    if activity_type == _EMBEDDING:
        return _embedding_fields(attrs)
    if activity_type == _TOOL:
        return _action_fields(attrs)
    if activity_type == _CHAIN:
        return _chain_fields(attrs)
    if activity_type == "retrieved-docs":
        return _retriever_fields(attrs)
    return {}


def _input_output(attrs: SpanAttributes, side: str) -> tuple[str | None, dict | None]:
    """`input.value` as text, and as a mapping when `input.mime_type` says JSON and it is an object."""
    value = attrs.text(f"{side}.value")
    parsed = parse_json(value) if "json" in (attrs.text(f"{side}.mime_type") or "") else None
    return value, parsed if isinstance(parsed, dict) else None


def _llm_fields(attrs: SpanAttributes, events: tuple[OtlpEvent, ...]) -> dict[str, Any]:
    input_value, _ = _input_output(attrs, "input")  # the whole request: a fallback for the prompt only
    output_value, _ = _input_output(attrs, "output")
    provider = attrs.text(*_PROVIDER_KEYS)
    if attrs.get("openinference.span.kind") is None:  # GenAI or OpenLLMetry
        prompt, (generated, calls) = _genai_messages(attrs, events)
        settings = {k: v for k in _GENAI_SETTINGS if (v := attrs.get(f"gen_ai.request.{k}")) is not None}
    else:
        prompt, (generated, calls) = _oi_prompt(attrs), _oi_reply(attrs)
        settings = attrs.json("llm.invocation_parameters")
    settings = settings if isinstance(settings, dict) and settings else None
    fields = {
        "prompt": prompt if prompt is not None else input_value or "",
        "generated": generated if generated is not None else output_value,
        "outputs": {"tool_calls": calls} if calls else None,
        **_models(attrs, settings, "llm.model_name"),
        "provider": provider[:100] if provider else None,
        "settings": settings,
        "usage": _usage(attrs, *_USAGE_KEYS),
    }
    template = attrs.text("llm.prompt_template.template")
    if template is not None:
        name, version = attrs.text("llm.prompt_template.name"), attrs.text("llm.prompt_template.version")
        fields["prompt_template"] = {"prompt_template": template}
        if name:
            fields["prompt_template"]["template_name"] = name[:256]
        if version:
            fields["prompt_template"]["template_version"] = version[:100]
        variables = attrs.json("llm.prompt_template.variables")
        fields["prompt_input_values"] = variables if isinstance(variables, dict) else None
    return fields


def _models(attrs: SpanAttributes, settings: dict | None, *answered_keys: str) -> dict[str, Any]:
    """`model`, the model the call asked for, as the SDK records it, so that a model's calls, failed ones too
    (they have no answer), count under one name; the model the provider answered with, when another (a dated
    version, `gpt-4o-mini-2024-07-18`), in `metadata.response_model`. OpenInference sets `llm.model_name` to the
    answer's model; the request's is in its invocation parameters."""
    invoked = settings.get("model") if settings else None
    asked = attrs.text("gen_ai.request.model", "llm.request.model_name") or as_text(invoked)
    answered = attrs.text("gen_ai.response.model", "llm.response.model_name", *answered_keys)
    model = (asked or answered or "")[:200] or None
    fields: dict[str, Any] = {"model": model}
    if answered and answered[:200] != model:
        fields["metadata"] = {"response_model": answered[:200]}
    return fields


def _usage(attrs: SpanAttributes, *names: str) -> dict[str, int] | None:
    """The token counts `names` (of `_USAGE_KEYS`) that the span holds and the store takes."""
    usage = {name: attrs.token_count(*_USAGE_KEYS[name]) for name in names}
    return {k: v for k, v in usage.items() if v is not None and 0 <= v <= _MAX_TOKENS} or None


def _embedding_fields(attrs: SpanAttributes) -> dict[str, Any]:
    """An embedding call: model, provider, its input texts, settings, prompt tokens and, in `outputs`, how many
    vectors of how many dimensions it returned; the vectors themselves (and `output.value`, which holds them)
    are not kept."""
    items = attrs.indexed("embedding.embeddings")
    vectors = [v for item in items if isinstance(v := parse_json(item.get("embedding.vector")), list)]
    attrs.consume("output.value", "output.mime_type")
    provider = attrs.text(*_PROVIDER_KEYS)
    settings = attrs.json("embedding.invocation_parameters", "llm.invocation_parameters")
    if not isinstance(settings, dict):
        found = {
            "dimensions": attrs.get("gen_ai.embeddings.dimension.count"),
            "encoding_formats": attrs.get("gen_ai.request.encoding_formats"),
        }
        settings = {k: v for k, v in found.items() if v is not None}
    count = attrs.count_indexed("embedding.embeddings")
    return {
        "prompt": _embedding_input(attrs, items),
        **_models(attrs, settings, "embedding.model_name", "llm.model_name"),
        "provider": provider[:100] if provider else None,
        "settings": settings or None,
        "usage": _usage(attrs, "prompt_tokens", "total_tokens"),
        "outputs": {"vectors": count, "dimensions": len(vectors[0])} if vectors else None,
    }


def _embedding_input(attrs: SpanAttributes, items: list[dict[str, Any]]) -> str | list[str]:
    """The texts embedded: OpenInference's `embedding.embeddings.N.embedding.text`, OpenLLMetry's
    `gen_ai.prompt.N.content`, else `input.value` (parsed when its mime type says JSON; of the request as JSON,
    its `input`) when it is a text or a list of texts (token ids are no text: "")."""
    value = attrs.text("input.value")
    if "json" in (attrs.text("input.mime_type") or ""):
        value = parse_json(value)
    texts = [text for item in items if isinstance(text := item.get("embedding.text"), str)]
    texts = texts or [t for item in attrs.indexed("gen_ai.prompt") if isinstance(t := item.get("content"), str)]
    if texts:
        return texts
    if isinstance(value, dict):
        value = value.get("input")
    is_texts = isinstance(value, list) and all(isinstance(item, str) for item in value)
    return value if isinstance(value, str) or is_texts else ""


def _action_fields(attrs: SpanAttributes) -> dict[str, Any]:
    input_value, input_data = _input_output(attrs, "input")
    output_value, output_data = _input_output(attrs, "output")
    return {
        "tool_type": attrs.text("tool.name", "gen_ai.tool.name"),
        "input": input_value if input_value is not None else attrs.text("gen_ai.tool.call.arguments"),
        "input_data": input_data,
        "output": output_value if output_value is not None else attrs.text("gen_ai.tool.call.result"),
        "output_data": output_data,
    }


def _chain_fields(attrs: SpanAttributes) -> dict[str, Any]:
    input_value, input_data = _input_output(attrs, "input")
    output_value, output_data = _input_output(attrs, "output")
    kind = attrs.text("openinference.span.kind", "traceloop.span.kind") or "agent"  # GenAI's invoke_agent
    return {
        "sequence_type": kind.lower(),
        "inputs": input_data or ({"input": input_value} if input_value is not None else None),
        "outputs": output_data or ({"output": output_value} if output_value is not None else None),
    }


def _retriever_fields(attrs: SpanAttributes) -> dict[str, Any]:
    documents, scores = [], []
    for item in attrs.indexed("retrieval.documents"):
        doc_id, score = item.get("document.id"), item.get("document.score")
        document = {"id": None if doc_id is None else str(doc_id), "text": as_text(item.get("document.content")) or ""}
        metadata = parse_json(item.get("document.metadata"))
        if isinstance(metadata, dict):
            document["metadata"] = metadata
            if isinstance(metadata.get("source"), str):
                document["source"] = metadata["source"]
        documents.append(document)
        scores.append(float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None)
    query, _ = _input_output(attrs, "input")
    return {
        "documents": documents,
        "scores": scores if scores and None not in scores else None,
        "inputs": {"query": query} if query is not None else None,
    }


def _oi_message(item: dict[str, Any]) -> dict[str, Any]:
    text = item.get("message.content")
    if text is None:
        parts = indexed(item, "message.contents")
        text = "\n".join(p["message_content.text"] for p in parts if isinstance(p.get("message_content.text"), str))
    message = {"role": as_text(item.get("message.role")), "text": as_text(text) or ""}
    calls = [
        {"id": c.get("tool_call.id"), "name": c.get("tool_call.function.name"), "arguments": c.get(_TOOL_ARGUMENTS)}
        for c in indexed(item, "message.tool_calls")
    ]
    if calls:
        message["tool_calls"] = calls
    for key in ("name", "tool_call_id"):
        if item.get(f"message.{key}") is not None:
            message[key] = as_text(item[f"message.{key}"])
    return message


def _oi_prompt(attrs: SpanAttributes) -> list[dict] | str | None:
    """Chat messages, or the completion API's prompts (`llm.prompts`, flattened or a list of strings)."""
    messages = [_oi_message(m) for m in attrs.indexed("llm.input_messages")]
    if messages:
        return messages
    texts = [as_text(p.get("prompt.text")) for p in attrs.indexed("llm.prompts")]
    listed = attrs.get("llm.prompts")
    texts = texts or ([as_text(p) for p in listed] if isinstance(listed, list) else [])
    return "\n\n".join(t for t in texts if t) or None


def _oi_reply(attrs: SpanAttributes) -> tuple[str | None, list[dict[str, Any]]]:
    messages = [_oi_message(m) for m in attrs.indexed("llm.output_messages")]
    if messages:
        return _reply(messages)
    choices = [as_text(c.get("completion.text")) for c in attrs.indexed("llm.choices")]
    return "\n\n".join(c for c in choices if c) or None, []


def _reply(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """`generated` and the tool calls kept beside it (`outputs.tool_calls`): the reply's text and its calls; a
    reply that only calls tools is shown as its tool calls, which are then not kept twice."""
    text = "\n\n".join(m["text"] for m in messages if m["text"])
    calls = [call for m in messages for call in m.get("tool_calls", ())]
    if not text:
        return (as_text(calls) if calls else ""), []
    return text, calls


def _genai_messages(
    attrs: SpanAttributes, events: tuple[OtlpEvent, ...]
) -> tuple[list[dict] | None, tuple[str | None, list[dict[str, Any]]]]:
    """The prompt's messages and the reply (`_reply`), from `gen_ai.input/output.messages`, OpenLLMetry's
    `gen_ai.prompt.N`, or span events."""
    inputs = _messages(attrs.json("gen_ai.input.messages")) or _messages(attrs.indexed("gen_ai.prompt"))
    outputs = _messages(attrs.json("gen_ai.output.messages")) or _messages(attrs.indexed("gen_ai.completion"))
    event_inputs, event_outputs = [], []
    for event in events:
        if event.name == "gen_ai.content.prompt":
            event_inputs += _messages(parse_json(event.attributes.get("gen_ai.prompt")))
        elif event.name == "gen_ai.content.completion":
            event_outputs += _messages(parse_json(event.attributes.get("gen_ai.completion")))
        elif event.name == "gen_ai.choice":
            event_outputs += _messages(_event_body(event, "assistant"))
        elif event.name in _MESSAGE_EVENTS:
            event_inputs += _messages(_event_body(event, event.name.split(".")[1]))
    inputs, outputs = inputs or event_inputs, outputs or event_outputs
    system = attrs.json("gen_ai.system_instructions")
    if system is not None:
        inputs = _messages({"role": "system", "parts" if isinstance(system, list) else "content": system}) + inputs
    return inputs or None, _reply(outputs) if outputs else (None, [])


def _event_body(event: OtlpEvent, role: str) -> dict[str, Any]:
    """A message event's body: `gen_ai.event.content` (JSON), else its attributes; a choice's `message`."""
    body = parse_json(event.attributes.get("gen_ai.event.content"))
    if not isinstance(body, dict):
        body = {k: parse_json(v) for k, v in event.attributes.items()}
    if isinstance(body.get("message"), dict):
        body = body["message"]
    return {"role": role, **body}


def _messages(value: Any) -> list[dict[str, Any]]:
    """GenAI messages (`parts`), older `{role, content}` ones, or a bare prompt string, as ChatMessages."""
    if isinstance(value, str):
        return [{"role": None, "text": value}]
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    out = []
    for item in items[:MAX_LIST_ITEMS]:
        if not isinstance(item, dict):
            continue
        parts = item["parts"] if isinstance(item.get("parts"), list) else [{"type": "text", **item}]
        parts = [p for p in parts if isinstance(p, dict)]
        text = "\n".join(_content_text(p.get("content")) for p in parts if p.get("type") == "text")
        text += "".join(_content_text(p.get("response")) for p in parts if p.get("type") == "tool_call_response")
        message = {"role": as_text(item.get("role")), "text": text}
        calls = [{k: p.get(k) for k in ("id", "name", "arguments")} for p in parts if p.get("type") == "tool_call"]
        calls += item["tool_calls"] if isinstance(item.get("tool_calls"), list) else []
        if calls:
            message["tool_calls"] = calls
        out.append(message)
    return out


def _content_text(content: Any) -> str:
    """A message's content: a string, or a list of parts (`{"type": "text", "text": ...}`) whose texts count, a
    line each (as the native API joins OpenAI's content parts, `schema.common.ChatMessage`)."""
    if isinstance(content, list):
        texts = (p.get("text") or p.get("content") for p in content if isinstance(p, dict))
        return "\n".join(text for text in texts if text)
    return as_text(content) or ""
