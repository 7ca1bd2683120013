"""OpenTelemetry spans as PromptWatch activities: pure functions, no I/O (docs/otlp.md has the table).

`map_span` takes an `OtlpSpan` (decoded by `otlp_ingest` from protobuf or JSON) and returns the native
activity fields (`schema.records.ActivityIn`) with the session, project and tenant the span names.
Understood: OpenInference (`openinference.span.kind`), the OpenTelemetry GenAI semantic conventions
(`gen_ai.operation.name`) and OpenLLMetry (`traceloop.span.kind`, `llm.request.type`); any other span is a
`span` activity that keeps its attributes. Attributes a mapping does not use stay in `attributes`, bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from promptwatch.schema.common import check_tracking_label

MAX_ATTRIBUTES = 128
MAX_VALUE_CHARS = 8192
MAX_LIST_ITEMS = 128
MAX_EVENTS = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")

_CHAIN, _LLM, _TOOL = "chain-sequence", "llm-prompt", "action"
_OI_KINDS = {"LLM": _LLM, "TOOL": _TOOL, "RETRIEVER": "retrieved-docs", "CHAIN": _CHAIN, "AGENT": _CHAIN}
_GENAI_OPERATIONS = {
    "chat": _LLM,
    "text_completion": _LLM,
    "generate_content": _LLM,
    "execute_tool": _TOOL,
    "invoke_agent": _CHAIN,
}
_TRACELOOP_KINDS = {"workflow": _CHAIN, "task": _CHAIN, "agent": _CHAIN, "tool": _TOOL}
_GENAI_SETTINGS = (
    "temperature",
    "max_tokens",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop_sequences",
    "choice.count",
)
_MESSAGE_EVENTS = ("gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message")


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


class SpanRejected(ValueError):
    """The span cannot become an activity; counted in the reply's `partial_success`."""


@dataclass(frozen=True)
class MappedSpan:
    session_id: str
    activity: dict[str, Any]  # ActivityIn fields
    project: str | None
    project_is_explicit: bool  # named by promptwatch.project / openinference.project.name, not service.name
    tenant: str | None


def activity_id(trace_id: str, span_id: str) -> str:
    """Span ids are only unique within their trace, so an activity id carries both."""
    return f"{trace_id}:{span_id}"


def ns_to_datetime(nanoseconds: int) -> datetime:
    return _EPOCH + timedelta(microseconds=nanoseconds // 1000)


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

    def integer(self, *keys: str) -> int | None:
        value = self.get(*keys)
        try:
            return int(value) if value is not None and not isinstance(value, bool) else None
        except (TypeError, ValueError):
            return None

    def json(self, *keys: str) -> Any:
        """A value that conventions send as a JSON string (or, from some SDKs, already structured)."""
        return parse_json(self.get(*keys))

    def indexed(self, prefix: str) -> list[dict[str, Any]]:
        found = [k for k in self._values if k.startswith(prefix + ".")]
        self._used.update(found)
        return indexed({k: self._values[k] for k in found}, prefix)

    def rest(self) -> dict[str, Any] | None:
        unused = [(k, v) for k, v in self._values.items() if k not in self._used]
        return {k: bounded(v) for k, v in unused[:MAX_ATTRIBUTES]} or None


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
    """Strings cut at MAX_VALUE_CHARS, lists and mappings at MAX_LIST_ITEMS, nesting at 8 levels."""
    if isinstance(value, str):
        return value[:MAX_VALUE_CHARS]
    if depth >= 8 and isinstance(value, list | dict):
        return as_text(value)[:MAX_VALUE_CHARS]
    if isinstance(value, list):
        return [bounded(v, depth + 1) for v in value[:MAX_LIST_ITEMS]]
    if isinstance(value, dict):
        return {k: bounded(v, depth + 1) for k, v in list(value.items())[:MAX_LIST_ITEMS]}
    return value


def _label(value: Any) -> str | None:
    """A tracking label (project, tenant) when the value is one; anything else is ignored."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return check_tracking_label(str(value))
    except ValueError:
        return None


def project_of(span: OtlpSpan) -> tuple[str | None, bool]:
    for key in ("promptwatch.project", "openinference.project.name"):
        if (label := _label(span.resource.get(key))) is not None:
            return label, True
    service = _label(span.resource.get("service.name"))
    return (None if service is None or service.startswith("unknown_service") else service), False


def tenant_of(span: OtlpSpan) -> str | None:
    for source in (span.attributes, span.resource):
        for key in ("promptwatch.tenant", "tenant.id", "user.id"):
            if (label := _label(source.get(key))) is not None:
                return label
    return None


def session_id_of(span: OtlpSpan) -> str:
    """`session.id` (OpenInference) or `gen_ai.conversation.id` (GenAI) names the session; else the trace."""
    for key in ("session.id", "gen_ai.conversation.id"):
        value = span.attributes.get(key)
        if value is not None and not isinstance(value, list | dict) and str(value).strip():
            return str(value).strip()[:200]
    return span.trace_id


def activity_type_of(attrs: SpanAttributes) -> str:
    if (kind := attrs.text("openinference.span.kind")) is not None:
        return _OI_KINDS.get(kind.upper(), "span")
    if (operation := attrs.text("gen_ai.operation.name")) is not None:
        return _GENAI_OPERATIONS.get(operation, "span")
    if (kind := attrs.text("traceloop.span.kind")) is not None:
        return _TRACELOOP_KINDS.get(kind, "span")
    if attrs.text("llm.request.type") in ("chat", "completion"):
        return "llm-prompt"
    return "span"


def map_span(span: OtlpSpan) -> MappedSpan:
    """The activity a span becomes, or `SpanRejected` when its ids or start time are unusable."""
    if not _TRACE_ID.fullmatch(span.trace_id) or span.trace_id == "0" * 32:
        raise SpanRejected(f"span {span.span_id or '?'}: trace id must be 16 bytes, not all zero")
    if not _SPAN_ID.fullmatch(span.span_id) or span.span_id == "0" * 16:
        raise SpanRejected(f"span in trace {span.trace_id}: span id must be 8 bytes, not all zero")
    if span.parent_span_id and not _SPAN_ID.fullmatch(span.parent_span_id):
        raise SpanRejected(f"span {span.span_id}: parent span id must be 8 bytes")
    if span.start_ns <= 0:
        raise SpanRejected(f"span {span.span_id}: no start time")
    attrs = SpanAttributes(span.attributes)
    activity_type = activity_type_of(attrs)
    start = ns_to_datetime(span.start_ns)
    parent = span.parent_span_id if span.parent_span_id.strip("0") else ""
    activity: dict[str, Any] = {
        "id": activity_id(span.trace_id, span.span_id),
        "session_id": session_id_of(span),
        "activity_type": activity_type,
        "parent_activity_id": activity_id(span.trace_id, parent) if parent else None,
        "name": span.name[:500] or None,
        "start_time": start,
        "end_time": max(ns_to_datetime(span.end_ns), start) if span.end_ns else None,
        "error": _error_of(span),
        "tags": _tags(attrs.get("tag.tags")),
    }
    attrs.consume("session.id", "gen_ai.conversation.id", "user.id", "tenant.id", "promptwatch.tenant")
    user_metadata = attrs.json("metadata")
    genai = attrs.text("gen_ai.operation.name") is not None or attrs.text("gen_ai.system") is not None
    fill = _FILLERS.get(activity_type)
    if fill is not None:
        fill(activity, attrs, span, genai)
    activity["attributes"] = attrs.rest()
    otel = {"trace_id": span.trace_id, "span_id": span.span_id, "kind": span.kind, "scope": span.scope or None}
    events = [_event(e) for e in span.events if activity_type != "llm-prompt" or not e.name.startswith("gen_ai.")]
    otel["events"] = events[:MAX_EVENTS] or None
    metadata = dict(user_metadata) if isinstance(user_metadata, dict) else {}
    metadata["otel"] = {k: v for k, v in otel.items() if v is not None}
    activity["metadata"] = metadata
    project, explicit = project_of(span)
    return MappedSpan(activity["session_id"], activity, project, explicit, tenant_of(span))


def _error_of(span: OtlpSpan) -> str | None:
    if span.status_code != "ERROR":
        return None
    if span.status_message:
        return span.status_message
    for event in span.events:
        if event.name == "exception":
            kind, message = event.attributes.get("exception.type"), event.attributes.get("exception.message")
            text = ": ".join(str(p) for p in (kind, message) if p)
            if text:
                return text
    return "error"


def _tags(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(t)[:200] for t in value if isinstance(t, str | int) and str(t)][:100] or None


def _event(event: OtlpEvent) -> dict[str, Any]:
    item = {"name": event.name, "time": ns_to_datetime(event.time_ns).isoformat() if event.time_ns else None}
    attributes = {k: bounded(v) for k, v in list(event.attributes.items())[:MAX_ATTRIBUTES]}
    return {**item, "attributes": attributes} if attributes else item


def _input_output(attrs: SpanAttributes, side: str) -> tuple[str | None, dict | None]:
    """`input.value` as text, and as a mapping when `input.mime_type` says JSON and it is an object."""
    value = attrs.text(f"{side}.value")
    mime = attrs.text(f"{side}.mime_type") or ""
    parsed = parse_json(value) if "json" in mime else None
    return value, parsed if isinstance(parsed, dict) else None


def _fill_llm(activity: dict, attrs: SpanAttributes, span: OtlpSpan, genai: bool) -> None:
    input_value, _ = _input_output(attrs, "input")
    output_value, _ = _input_output(attrs, "output")
    model = attrs.text("llm.response.model_name", "llm.model_name", "llm.request.model_name")
    model = model or attrs.text("gen_ai.response.model", "gen_ai.request.model")
    provider = attrs.text("llm.provider", "llm.system", "gen_ai.provider.name", "gen_ai.system")
    if genai:
        prompt, generated = _genai_messages(attrs, span.events)
        settings = {k: v for k in _GENAI_SETTINGS if (v := attrs.get(f"gen_ai.request.{k}")) is not None}
    else:
        prompt, generated = _oi_prompt(attrs), _oi_generated(attrs)
        settings = attrs.json("llm.invocation_parameters")
    prompt_tokens = attrs.integer("llm.token_count.prompt", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
    completion_tokens = attrs.integer(
        "llm.token_count.completion", "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"
    )
    total_tokens = attrs.integer("llm.token_count.total", "llm.usage.total_tokens")
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": total_tokens}
    activity.update(
        prompt=prompt if prompt is not None else input_value or "",
        generated=generated if generated is not None else output_value,
        model=model[:200] if model else None,
        provider=provider[:100] if provider else None,
        settings=settings if isinstance(settings, dict) else None,
        usage={k: v for k, v in usage.items() if v is not None and v >= 0} or None,
    )
    template = attrs.text("llm.prompt_template.template")
    if template is not None:
        name, version = attrs.text("llm.prompt_template.name"), attrs.text("llm.prompt_template.version")
        activity["prompt_template"] = {
            "prompt_template": template,
            **({"template_name": name[:256]} if name else {}),
            **({"template_version": version[:100]} if version else {}),
        }
        variables = attrs.json("llm.prompt_template.variables")
        activity["prompt_input_values"] = variables if isinstance(variables, dict) else None


def _fill_action(activity: dict, attrs: SpanAttributes, _span: OtlpSpan, _genai: bool) -> None:
    input_value, input_data = _input_output(attrs, "input")
    output_value, output_data = _input_output(attrs, "output")
    activity.update(
        tool_type=attrs.text("tool.name", "gen_ai.tool.name") or activity["name"],
        input=input_value if input_value is not None else attrs.text("gen_ai.tool.call.arguments"),
        input_data=input_data,
        output=output_value if output_value is not None else attrs.text("gen_ai.tool.call.result"),
        output_data=output_data,
    )


def _fill_chain(activity: dict, attrs: SpanAttributes, span: OtlpSpan, genai: bool) -> None:
    input_value, input_data = _input_output(attrs, "input")
    output_value, output_data = _input_output(attrs, "output")
    kind = attrs.text("openinference.span.kind", "traceloop.span.kind") or ("agent" if genai else "chain")
    activity.update(
        sequence_type=kind.lower(),
        inputs=input_data or ({"input": input_value} if input_value is not None else None),
        outputs=output_data or ({"output": output_value} if output_value is not None else None),
    )


def _fill_retriever(activity: dict, attrs: SpanAttributes, _span: OtlpSpan, _genai: bool) -> None:
    documents, scores = [], []
    for item in attrs.indexed("retrieval.documents"):
        metadata = parse_json(item.get("document.metadata"))
        metadata = metadata if isinstance(metadata, dict) else None
        doc_id, score = item.get("document.id"), item.get("document.score")
        document = {"id": None if doc_id is None else str(doc_id), "text": as_text(item.get("document.content")) or ""}
        if metadata is not None:
            document["metadata"] = metadata
            if isinstance(metadata.get("source"), str):
                document["source"] = metadata["source"]
        documents.append(document)
        scores.append(score if isinstance(score, int | float) and not isinstance(score, bool) else None)
    input_value, _ = _input_output(attrs, "input")
    activity["documents"] = documents
    activity["scores"] = [float(s) for s in scores] if scores and None not in scores else None
    if input_value is not None:
        activity["inputs"] = {"query": input_value}


def _oi_message(item: dict[str, Any]) -> dict[str, Any]:
    text = item.get("message.content")
    if text is None:
        parts = indexed(item, "message.contents")
        text = "".join(p["message_content.text"] for p in parts if isinstance(p.get("message_content.text"), str))
    message = {"role": as_text(item.get("message.role")), "text": as_text(text) or ""}
    calls = [
        {"id": c.get("tool_call.id"), "name": c.get("tool_call.function.name"), "arguments": c.get(ARGUMENTS)}
        for c in indexed(item, "message.tool_calls")
    ]
    if calls:
        message["tool_calls"] = calls
    for key in ("name", "tool_call_id"):
        if item.get(f"message.{key}") is not None:
            message[key] = as_text(item[f"message.{key}"])
    return message


ARGUMENTS = "tool_call.function.arguments"


def _oi_prompt(attrs: SpanAttributes) -> list[dict] | str | None:
    """Chat messages, or the completion API's prompts (`llm.prompts`, flattened or a list of strings)."""
    messages = [_oi_message(m) for m in attrs.indexed("llm.input_messages")]
    if messages:
        return messages
    texts = [as_text(p.get("prompt.text")) for p in attrs.indexed("llm.prompts")]
    listed = attrs.get("llm.prompts")
    texts = texts or ([as_text(p) for p in listed] if isinstance(listed, list) else [])
    return "\n\n".join(t for t in texts if t) or None


def _oi_generated(attrs: SpanAttributes) -> str | None:
    messages = [_oi_message(m) for m in attrs.indexed("llm.output_messages")]
    if messages:
        return _reply_text(messages)
    choices = [as_text(c.get("completion.text")) for c in attrs.indexed("llm.choices")]
    return "\n\n".join(c for c in choices if c) or None


def _reply_text(messages: list[dict[str, Any]]) -> str:
    """The reply's text; a reply that only calls tools is shown as its tool calls."""
    text = "\n\n".join(m["text"] for m in messages if m["text"])
    calls = [call for m in messages for call in m.get("tool_calls", ())]
    return text or (as_text(calls) if calls else "")


def _genai_messages(attrs: SpanAttributes, events: tuple[OtlpEvent, ...]) -> tuple[list[dict] | None, str | None]:
    """Messages from `gen_ai.input/output.messages`, OpenLLMetry's `gen_ai.prompt.N`, or span events."""
    inputs = _messages(attrs.json("gen_ai.input.messages")) or _messages(attrs.indexed("gen_ai.prompt"))
    outputs = _messages(attrs.json("gen_ai.output.messages")) or _messages(attrs.indexed("gen_ai.completion"))
    from_events: dict[str, list[dict]] = {"in": [], "out": []}
    for event in events:
        if event.name == "gen_ai.content.prompt":
            from_events["in"] += _messages(parse_json(event.attributes.get("gen_ai.prompt")))
        elif event.name == "gen_ai.content.completion":
            from_events["out"] += _messages(parse_json(event.attributes.get("gen_ai.completion")))
        elif event.name == "gen_ai.choice":
            from_events["out"] += _messages(_event_body(event, "assistant"))
        elif event.name in _MESSAGE_EVENTS:
            from_events["in"] += _messages(_event_body(event, event.name.split(".")[1]))
    inputs, outputs = inputs or from_events["in"], outputs or from_events["out"]
    system = attrs.json("gen_ai.system_instructions")
    if system is not None:
        inputs = _messages({"role": "system", "parts" if isinstance(system, list) else "content": system}) + inputs
    return inputs or None, _reply_text(outputs) if outputs else None


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
        parts = item.get("parts") if isinstance(item.get("parts"), list) else [{"type": "text", **item}]
        parts = [p for p in parts if isinstance(p, dict)]
        text = "".join(as_text(p.get("content")) or "" for p in parts if p.get("type") == "text")
        text += "".join(as_text(p.get("response")) or "" for p in parts if p.get("type") == "tool_call_response")
        message = {"role": as_text(item.get("role")), "text": text}
        calls = [{k: p.get(k) for k in ("id", "name", "arguments")} for p in parts if p.get("type") == "tool_call"]
        calls += item.get("tool_calls") if isinstance(item.get("tool_calls"), list) else []
        if calls:
            message["tool_calls"] = calls
        out.append(message)
    return out


_FILLERS = {
    "llm-prompt": _fill_llm,
    "action": _fill_action,
    "chain-sequence": _fill_chain,
    "retrieved-docs": _fill_retriever,
}
