"""Reading LangChain's callback arguments: messages, generations, token usage, documents, templates.

Everything here reads attributes and dicts only (no LangChain import), so it also copes with objects of
other LangChain versions: what it cannot read it leaves out.
"""

from __future__ import annotations

import json
from typing import Any

_ROLES = {
    "human": "user",
    "ai": "assistant",
    "system": "system",
    "tool": "tool",
    "function": "function",
    "AIMessageChunk": "assistant",
    "HumanMessageChunk": "user",
}
_NOISE_SETTINGS = {"_type", "responses", "stream", "callbacks", "tags", "metadata"}


def message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(
            block if isinstance(block, str) else str(block.get("text", "")) if isinstance(block, dict) else ""
            for block in content
        )
    return "" if content is None else str(content)


def tool_calls(message: Any) -> list[dict[str, Any]]:
    """A message's tool calls as the OTLP mapping keeps them: [{id, name, arguments}], arguments as JSON text."""
    return [
        {
            "id": call.get("id"),
            "name": call.get("name"),
            "arguments": json.dumps(call.get("args"), ensure_ascii=False, default=str),
        }
        for call in getattr(message, "tool_calls", None) or []
        if isinstance(call, dict)
    ]


def chat_message(message: Any) -> dict[str, Any]:
    """{role, text} of a message, with its `tool_calls`, `tool_call_id` and `name` when it has them."""
    kind = getattr(message, "type", None)
    role = getattr(message, "role", None) if kind == "chat" else _ROLES.get(kind, kind)
    found: dict[str, Any] = {"role": role, "text": message_text(getattr(message, "content", message))}
    calls = tool_calls(message)
    if calls:
        found["tool_calls"] = calls
    for key in ("tool_call_id", "name"):
        if isinstance(getattr(message, key, None), str):
            found[key] = getattr(message, key)
    return found


def output_text(text: str, calls: list[dict[str, Any]]) -> str:
    """The call's output as the OTLP mapping shows it: the text, or a reply that only calls tools as its calls."""
    if text or not calls:
        return text
    return json.dumps(calls, ensure_ascii=False, separators=(",", ":"), default=str)


def model_and_provider(
    invocation_params: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> tuple[str | None, str | None]:
    params, meta = invocation_params or {}, metadata or {}
    model = params.get("model_name") or params.get("model") or params.get("model_id") or meta.get("ls_model_name")
    model = model or params.get("_type")  # a model without a name (a fake, a local wrapper): its LangChain type
    provider = meta.get("ls_provider")
    return (None if model is None else str(model)[:200]), (None if provider is None else str(provider)[:100])


def settings_of(invocation_params: dict[str, Any] | None) -> dict[str, Any] | None:
    if not invocation_params:
        return None
    settings = {key: value for key, value in invocation_params.items() if key not in _NOISE_SETTINGS}
    return settings or None


def usage_of(response: Any) -> dict[str, int] | None:
    """Token usage from `llm_output["token_usage"]` or from the generated messages' `usage_metadata`."""
    llm_output = getattr(response, "llm_output", None) or {}
    usage = llm_output.get("token_usage") or llm_output.get("usage")
    if isinstance(usage, dict) and usage:
        found = {key: usage.get(key) for key in ("prompt_tokens", "completion_tokens", "total_tokens")}
        return {key: int(value) for key, value in found.items() if isinstance(value, int)} or None
    totals = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    seen = False
    for generation in _generations(response):
        metadata = getattr(getattr(generation, "message", None), "usage_metadata", None)
        if metadata:
            seen = True
            totals["prompt_tokens"] += int(metadata.get("input_tokens") or 0)
            totals["completion_tokens"] += int(metadata.get("output_tokens") or 0)
            totals["total_tokens"] += int(metadata.get("total_tokens") or 0)
    return totals if seen else None


def response_model(response: Any) -> str | None:
    llm_output = getattr(response, "llm_output", None) or {}
    model = llm_output.get("model_name") or llm_output.get("model")
    for generation in _generations(response):
        metadata = getattr(getattr(generation, "message", None), "response_metadata", None) or {}
        model = model or metadata.get("model_name") or metadata.get("model")
    return None if model is None else str(model)[:200]


def _generations(response: Any) -> list[Any]:
    return [generation for group in getattr(response, "generations", None) or [] for generation in group]


def generated_texts(response: Any) -> list[str]:
    """The first generation's text (or its tool calls, when it has no text) for each prompt of the call."""
    texts = []
    for group in getattr(response, "generations", None) or []:
        if not group:
            texts.append("")
            continue
        generation = group[0]
        message = getattr(generation, "message", None)
        text = getattr(generation, "text", None)
        if not text and message is not None:
            text = message_text(message.content)
        texts.append(output_text(text or "", tool_calls(message)))
    return texts


def document(doc: Any) -> dict[str, Any]:
    metadata = getattr(doc, "metadata", None)
    metadata = metadata if isinstance(metadata, dict) else None
    doc_id = getattr(doc, "id", None)
    source = metadata.get("source") if metadata else None
    return {
        "id": None if doc_id is None else str(doc_id),
        "text": str(getattr(doc, "page_content", doc)),
        "source": None if source is None else str(source),
        "metadata": metadata,
    }


def scores(documents: list[Any]) -> list[float] | None:
    found = []
    for doc in documents:
        metadata = getattr(doc, "metadata", None) or {}
        score = next((metadata[key] for key in ("score", "relevance_score", "similarity") if key in metadata), None)
        if not isinstance(score, (int, float)):
            return None
        found.append(float(score))
    return found or None


def _kwargs(serialized: Any) -> dict[str, Any]:
    kwargs = serialized.get("kwargs") if isinstance(serialized, dict) else None
    return kwargs if isinstance(kwargs, dict) else {}


def _class_name(serialized: Any) -> str:
    ident = serialized.get("id") if isinstance(serialized, dict) else None
    return ident[-1] if isinstance(ident, list) and ident else ""


def _describe_single(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        "prompt_template": kwargs.get("template"),
        "prompt_input_params": kwargs.get("input_variables") or None,
        "format": kwargs.get("template_format") or "f-string",
    }


def _describe_message(serialized: Any) -> Any:
    kwargs, name = _kwargs(serialized), _class_name(serialized)
    if "variable_name" in kwargs:
        return kwargs["variable_name"]
    inner = _kwargs(kwargs.get("prompt"))
    if isinstance(inner.get("template"), str):
        role = kwargs.get("role") or _ROLES.get(name.replace("MessagePromptTemplate", "").lower())
        return {**_describe_single(inner), "role": role}
    if "content" in kwargs:
        return {
            "role": _ROLES.get(kwargs.get("type") or name.replace("Message", "").lower()),
            "text": message_text(kwargs["content"]),
        }
    return name or "?"


def describe_serialized_template(serialized: Any) -> dict[str, Any] | None:
    """A PromptTemplateDescription dict of a serialized (Chat)PromptTemplate, as LangChain passes it."""
    kwargs = _kwargs(serialized)
    if isinstance(kwargs.get("template"), str):
        return _describe_single(kwargs)
    if isinstance(kwargs.get("messages"), list):
        return {
            "prompt_template": [_describe_message(item) for item in kwargs["messages"]],
            "prompt_input_params": kwargs.get("input_variables") or None,
            "format": "chat_messages",
        }
    return None


def input_values(inputs: Any) -> dict[str, Any] | None:
    """`prompt_input_values`: strings stay, message lists become [{role, text}], the rest becomes text."""
    if not isinstance(inputs, dict):
        return None
    values: dict[str, Any] = {}
    for key, value in inputs.items():
        if isinstance(value, str):
            values[key] = value
        elif isinstance(value, list) and all(hasattr(item, "content") for item in value):
            values[key] = [chat_message(item) for item in value]
        else:
            values[key] = str(value)
    return values
