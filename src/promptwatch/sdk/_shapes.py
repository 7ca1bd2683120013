"""How a span's generic inputs and output fill the fields of its activity type.

`@observe(as_type=...)` and `span(..., as_type=...)` only know "what went in" (a dict of arguments) and
"what came out". Each activity type keeps them in its own fields: `inputs`/`outputs` for spans and
chains, `input`/`output` text plus data for tools (`action`), `prompt`, `model`, `settings` and `generated`
for `llm-prompt` (`llm_call_fields`), `documents` for `retrieved-docs`, `text` for question/answer/log.
Values are already bounded copies.
"""

from __future__ import annotations

from typing import Any


def _as_dict(value: Any, key: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else {key: value}


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return value if isinstance(value, str) else str(value)


def chat_message(message: Any) -> dict[str, Any] | None:
    """{role, text} of a chat message given as a dict ({"role", "content"|"text"}), or None. The message's other
    fields that hold something (`tool_calls`, `tool_call_id`, `name`...) are kept as they are, as the server
    keeps them."""
    if not isinstance(message, dict) or "role" not in message:
        return None
    content = message.get("content", message.get("text"))
    if isinstance(content, list):  # content parts: keep the text ones, a line each, as the server joins them
        content = "\n".join(part["text"] for part in content if isinstance(part, dict) and part.get("text"))
    extra = {
        key: value for key, value in message.items() if key not in ("role", "content", "text") and value is not None
    }
    return {"role": message.get("role"), "text": "" if content is None else str(content), **extra}


# arguments of an LLM call that are its settings whatever else it takes (the names of the OpenAI, Anthropic and
# LangChain clients)
LLM_SETTINGS = frozenset(
    {
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "max_output_tokens",
        "top_p",
        "top_k",
        "stop",
        "stop_sequences",
        "seed",
        "n",
        "frequency_penalty",
        "presence_penalty",
        "response_format",
        "tools",
        "tool_choice",
    }
)
_PROMPT_ARGUMENTS = ("messages", "prompt")
_LONGEST_MODEL = 200  # the API's limit


def llm_call_fields(inputs: Any) -> dict[str, Any]:
    """`prompt`, `model` and `settings` of an LLM call from its arguments (a dict by name), or its prompt alone
    from any other input. The argument `messages` or `prompt` is the prompt, `model` (a name) the model, and the
    settings are the arguments of `LLM_SETTINGS` and, when the prompt was named, every other one. Without such a
    name the prompt is what is left: the one value, or all of them as text."""
    if not isinstance(inputs, dict):
        return {"prompt": _prompt(inputs)}
    rest = dict(inputs)
    fields: dict[str, Any] = {}
    model = rest.get("model")
    if isinstance(model, str) and len(model) <= _LONGEST_MODEL:
        fields["model"] = rest.pop("model")
    settings = {name: rest.pop(name) for name in LLM_SETTINGS.intersection(rest)}
    named = next((name for name in _PROMPT_ARGUMENTS if name in rest), None)
    if named is None:
        fields["prompt"] = _prompt(rest or None)
    else:
        fields["prompt"] = _prompt(rest.pop(named))
        settings.update(rest)
    if settings:
        fields["settings"] = settings
    return fields


def _prompt(inputs: Any) -> str | list[dict[str, Any]]:
    value = inputs
    if isinstance(inputs, dict) and len(inputs) == 1:
        value = next(iter(inputs.values()))
    if isinstance(value, list) and value:
        messages = [chat_message(item) for item in value]
        if all(message is not None for message in messages):
            return messages  # type: ignore[return-value]
    return _as_text(value) or ""


def _document(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        text = item.get("text", item.get("page_content", item.get("content")))
        metadata = item.get("metadata")
        source = item.get("source") or (metadata.get("source") if isinstance(metadata, dict) else None)
        found = {
            "id": None if item.get("id") is None else str(item.get("id")),
            "text": "" if text is None else str(text),
            "source": None if source is None else str(source),
            "metadata": metadata if isinstance(metadata, dict) else None,
        }
        return {key: value for key, value in found.items() if value is not None}
    return {"text": str(item)}


def shape_fields(activity_type: str, inputs: Any, output: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """Type-specific fields from `inputs` and `output`; the caller lays the `fields` set explicitly over them
    (documents set explicitly are not recomputed)."""
    if activity_type in ("span", "chain-sequence"):
        return {"inputs": _as_dict(inputs, "input"), "outputs": _as_dict(output, "output")}
    if activity_type == "action":
        return {
            "input": _as_text(inputs) or "",
            "input_data": _as_dict(inputs, "input"),
            "output": _as_text(output),
            "output_data": _as_dict(output, "output"),
        }
    if activity_type == "llm-prompt":
        return {**llm_call_fields(inputs), "generated": _as_text(output)}
    if activity_type == "retrieved-docs":
        if "documents" in fields:
            return {}
        items = output if isinstance(output, list) else ([] if output is None else [output])
        return {"documents": [_document(item) for item in items], "input": _as_text(inputs)}
    if activity_type in ("question", "answer", "log"):
        return {"text": _as_text(output if output is not None else inputs) or ""}
    return {"inputs": _as_dict(inputs, "input"), "outputs": _as_dict(output, "output")}
