"""How a span's generic inputs and output fill the fields of its activity type.

`@observe(as_type=...)` and `span(..., as_type=...)` only know "what went in" (a dict of arguments) and
"what came out". Each activity type keeps them in its own fields: `inputs`/`outputs` for spans and
chains, `input`/`output` text plus data for tools (`action`), `prompt`/`generated` for `llm-prompt`,
`documents` for `retrieved-docs`, `text` for question/answer/log. Values are already bounded copies.
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
    """{role, text} of a chat message given as a dict ({"role", "content"|"text"}), or None."""
    if not isinstance(message, dict) or "role" not in message:
        return None
    content = message.get("content", message.get("text"))
    if isinstance(content, list):  # content parts: keep the text ones
        content = "".join(part.get("text") or "" for part in content if isinstance(part, dict))
    return {"role": message.get("role"), "text": "" if content is None else str(content)}


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
    """Type-specific fields from `inputs` and `output`; `fields` set explicitly are not recomputed."""
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
        if "prompt" in fields:
            return {}
        return {"prompt": _prompt(inputs), "generated": _as_text(output)}
    if activity_type == "retrieved-docs":
        if "documents" in fields:
            return {}
        items = output if isinstance(output, list) else ([] if output is None else [output])
        return {"documents": [_document(item) for item in items], "input": _as_text(inputs)}
    if activity_type in ("question", "answer", "log"):
        return {"text": _as_text(output if output is not None else inputs) or ""}
    return {"inputs": _as_dict(inputs, "input"), "outputs": _as_dict(output, "output")}
