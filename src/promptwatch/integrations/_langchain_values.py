"""Reading LangChain's callback arguments: messages, generations, token usage, documents, templates.

Everything here reads attributes and dicts only, so it also copes with objects of other LangChain versions:
what it cannot read it leaves out. LangChain's own functions are used for one thing: its data blocks
(images, audio, files) in the form OpenAI's Chat Completions takes them.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from langchain_core.messages import convert_to_openai_data_block, is_data_content_block

from ..sdk._shapes import TEXT_PARTS, reply_fields

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


def content_parts(content: Any) -> list[dict[str, Any]]:
    """A message's content blocks that are not text, as they are; LangChain's data blocks (an image, audio or
    a file as base64, a URL or a file id) in OpenAI's Chat Completions form, as a replay sends them."""
    if not isinstance(content, list):
        return []
    return [
        _openai_block(block)
        for block in content
        if isinstance(block, dict) and isinstance(block.get("type"), str) and block["type"] not in TEXT_PARTS
    ]


def _openai_block(block: dict[str, Any]) -> dict[str, Any]:
    if not is_data_content_block(block):
        return block
    try:
        with warnings.catch_warnings():  # a file without a name: OpenAI's form names it, and LangChain warns
            warnings.simplefilter("ignore")
            return convert_to_openai_data_block(block)
    except (ValueError, KeyError):  # a block OpenAI has no form for (a file's URL): kept as it is
        return block


def chat_message(message: Any) -> dict[str, Any]:
    """{role, text} of a message, with its content blocks that are not text in `content` (`content_parts`),
    and its `tool_calls`, `tool_call_id` and `name` when it has them."""
    kind = getattr(message, "type", None)
    role = getattr(message, "role", None) if kind == "chat" else _ROLES.get(kind, kind)
    content = getattr(message, "content", message)
    found: dict[str, Any] = {"role": role, "text": message_text(content)}
    parts = content_parts(content)
    if parts:
        found["content"] = parts
    calls = tool_calls(message)
    if calls:
        found["tool_calls"] = calls
    for key in ("tool_call_id", "name"):
        if isinstance(getattr(message, key, None), str):
            found[key] = getattr(message, key)
    return found


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


def replies(response: Any) -> list[dict[str, Any]]:
    """`generated` (and `outputs`, `sdk._shapes.reply_fields`) of the first generation for each prompt of the
    call: its text and its tool calls."""
    found = []
    for group in getattr(response, "generations", None) or []:
        if not group:
            found.append({"generated": ""})
            continue
        generation = group[0]
        message = getattr(generation, "message", None)
        text = getattr(generation, "text", None)
        if not text and message is not None:
            text = message_text(message.content)
        found.append(reply_fields(text or "", tool_calls(message)))
    return found


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
