"""How a span's generic inputs and output fill the fields of its activity type.

`@observe(as_type=...)` and `span(..., as_type=...)` only know "what went in" (a dict of arguments) and
"what came out". Each activity type keeps them in its own fields: `inputs`/`outputs` for spans and
chains, `input`/`output` text plus data for tools (`action`), `prompt`, `model`, `settings` and `generated`
for `llm-prompt` (`llm_call_fields`), `prompt`, `model`, `settings`, `usage` and the counts `outputs` for
`embedding` (`embedding_call_fields`, `embedding_result`), `documents` for `retrieved-docs`, `text` for
question/answer/log. Values are already bounded copies, but for an embeddings call's result: what it
returned is read where it is returned (`embedding_result`), and what a generator yields as it is yielded
(`EmbeddingTally`), so that its vectors are counted, never copied. The OpenAI integration records its
embeddings calls with the same readers.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable
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


# the types of the content parts that are text, which the server joins into a message's `text`
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def is_chat_message(item: Any) -> bool:
    """Whether `item` is a chat message (a dict with a `role`) or another typed item of a conversation, such as
    the Responses API's `function_call`, `function_call_output` and `reasoning` items."""
    return isinstance(item, dict) and ("role" in item or isinstance(item.get("type"), str))


def chat_message(message: Any) -> dict[str, Any] | None:
    """{role, text} of a chat message given as a dict ({"role", "content"|"text"}), or None. Its content parts
    that are text are joined, a line each, into `text`, as the server joins them; the others (images, audio,
    files) stay in `content` as they are. The message's other fields that hold something (`tool_calls`,
    `tool_call_id`, `name`...) are kept as they are, as the server keeps them.

    An item of the Responses API without a role is one too: a `function_call_output` is a `tool` message
    with its `tool_call_id`, a `function_call` an assistant message with the call in `tool_calls` (as Chat
    Completions has it), and any other item (`reasoning`...) is kept as it is, with its type and no role."""
    if not is_chat_message(message):
        return None
    content = message.get("content", message.get("text"))
    if "role" in message:
        return {"role": message["role"], **_text_and_rest(message, content, ("role",))}
    if message["type"] == "function_call_output":
        found = _text_and_rest(message, message.get("output"), ("type", "call_id", "output"))
        return {"role": "tool", **found, "tool_call_id": message.get("call_id")}
    if message["type"] == "function_call":
        return {"role": "assistant", "text": "", "tool_calls": [_chat_tool_call(message)]}
    return _text_and_rest(message, content, ())


def chat_messages(items: Any) -> list[dict[str, Any]]:
    """The chat messages among `items` (`chat_message`), the function calls that follow one another as one
    assistant message with all of them, as Chat Completions sends them."""
    messages: list[dict[str, Any]] = []
    after_call = False
    for item in items or []:
        message = chat_message(item)
        if message is None:
            continue
        is_call = item.get("type") == "function_call" and "role" not in item
        if is_call and after_call:
            messages[-1]["tool_calls"] += message["tool_calls"]
        else:
            messages.append(message)
        after_call = is_call
    return messages


def _text_and_rest(item: dict[str, Any], content: Any, taken: tuple[str, ...]) -> dict[str, Any]:
    """{text, content (the parts that are not text)} of `content`, and the item's other fields that hold
    something but those `taken`."""
    text, parts = _content(content)
    rest = {key: value for key, value in item.items() if key not in ("content", "text", *taken) and value is not None}
    return {"text": text, **({"content": parts} if parts else {}), **rest}


def _content(content: Any) -> tuple[str, list[dict[str, Any]]]:
    """A message's text (its text parts a line each) and its other content parts, as they are."""
    if not isinstance(content, list):
        return ("" if content is None else str(content)), []
    texts: list[str] = []
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, dict) and part.get("type", "text") in TEXT_PARTS:
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
        elif isinstance(part, dict) and isinstance(part.get("type"), str):
            parts.append(part)
    return "\n".join(text for text in texts if text), parts


def _chat_tool_call(item: dict[str, Any]) -> dict[str, Any]:
    """A Responses API `function_call` item as a tool call of Chat Completions."""
    function = {"name": item.get("name"), "arguments": item.get("arguments")}
    return {"id": item.get("call_id"), "type": "function", "function": function}


def reply_fields(text: str | None, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """`generated` and `outputs` of an LLM call from its reply's text and tool calls ([{id, name, arguments}]):
    `generated` is the text, or, for a reply that only calls tools, the calls as JSON (as the OTLP mapping shows
    them); a reply with text and tool calls keeps the calls in `outputs.tool_calls`."""
    if not calls:
        return {"generated": text}
    if not text:
        return {"generated": json.dumps(calls, ensure_ascii=False, separators=(",", ":"), default=str)}
    return {"generated": text, "outputs": {"tool_calls": calls}}


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
    return _call_fields(inputs, _PROMPT_ARGUMENTS, LLM_SETTINGS, _prompt)


# arguments of an embeddings call that are its settings whatever else it takes (the OpenAI client's names)
EMBEDDING_SETTINGS = frozenset({"dimensions", "encoding_format"})
# the arguments that are the texts embedded: the OpenAI client's `input`, LangChain's `texts` and `text`
_EMBEDDING_ARGUMENTS = ("input", "texts", "text")


def embedding_call_fields(inputs: Any) -> dict[str, Any]:
    """`prompt`, `model` and `settings` of an embeddings call from its arguments, as `llm_call_fields` reads an
    LLM call's: the argument `input`, `texts` or `text` is the prompt, else the one argument left; the prompt is
    a text or a list of texts (`embedded_texts`)."""
    return _call_fields(inputs, _EMBEDDING_ARGUMENTS, EMBEDDING_SETTINGS, _texts)


def _call_fields(
    inputs: Any, prompt_names: tuple[str, ...], setting_names: frozenset[str], read: Callable[[Any], Any]
) -> dict[str, Any]:
    """`prompt` (`read` from the argument of one of `prompt_names`, else from what is left), `model` and `settings`
    of a call to a model from its arguments."""
    if not isinstance(inputs, dict):
        return {"prompt": read(inputs)}
    rest = dict(inputs)
    fields: dict[str, Any] = {}
    model = rest.get("model")
    if isinstance(model, str) and len(model) <= _LONGEST_MODEL:
        fields["model"] = rest.pop("model")
    settings = {name: rest.pop(name) for name in setting_names.intersection(rest)}
    named = next((name for name in prompt_names if name in rest), None)
    if named is None:
        fields["prompt"] = read(rest or None)
    else:
        fields["prompt"] = read(rest.pop(named))
        settings.update(rest)
    if settings:
        fields["settings"] = settings
    return fields


def _sole(inputs: Any) -> Any:
    """The one value of a dict of one, else `inputs` itself."""
    return next(iter(inputs.values())) if isinstance(inputs, dict) and len(inputs) == 1 else inputs


def _prompt(inputs: Any) -> str | list[dict[str, Any]]:
    value = _sole(inputs)
    if isinstance(value, list) and value and all(map(is_chat_message, value)):
        return chat_messages(value)
    return _as_text(value) or ""


def _texts(inputs: Any) -> str | list[str]:
    return embedded_texts(_sole(inputs))


def embedded_texts(source: Any) -> str | list[str]:
    """The text, or the list of texts, an embeddings call embeds; "" for token ids (or an input that is no list,
    such as a generator, which reading would use up)."""
    if isinstance(source, str):
        return source
    texts = list(source) if isinstance(source, list | tuple) else []
    return texts if texts and all(isinstance(text, str) for text in texts) else ""


def _field(value: Any, name: str) -> Any:
    """The field `name` of a response, an object (the OpenAI client's) or a dict (its `model_dump()`)."""
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def token_usage(usage: Any) -> dict[str, int] | None:
    """{prompt_tokens, completion_tokens, total_tokens} of a response's `usage` (Chat Completions' names or the
    Responses API's `input_tokens` / `output_tokens`), those it has as whole numbers; None without any."""
    if usage is None:
        return None
    prompt = _field(usage, "prompt_tokens")
    if prompt is None:
        prompt = _field(usage, "input_tokens")
    completion = _field(usage, "completion_tokens")
    if completion is None:
        completion = _field(usage, "output_tokens")
    found = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": _field(usage, "total_tokens")}
    return {key: value for key, value in found.items() if isinstance(value, int)} or None


def _shape(value: Any) -> tuple[int, ...] | None:
    """The `shape` of an array (numpy's, or any other with a tuple `shape`); None for anything else."""
    shape = getattr(value, "shape", None)
    return shape if isinstance(shape, tuple) else None


def _is_number(value: Any) -> bool:
    """Whether `value` is one number of a vector: a real number other than a bool (numpy's `float32` too,
    which is no Python float), or an array of shape ()."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)) or _shape(value) == ()


def vector_dimensions(vector: Any) -> int | None:
    """The length of a vector: a list of floats, base64 of 4-byte floats (`encoding_format="base64"`), or a
    one-dimensional array (its `shape`, as numpy's)."""
    if isinstance(vector, list | tuple):
        return len(vector)
    if isinstance(vector, str):
        return (len(vector) * 3 // 4 - vector[-2:].count("=")) // 4
    shape = _shape(vector)
    return shape[0] if shape is not None and len(shape) == 1 else None


def vector_counts(vectors: list[Any] | tuple[Any, ...]) -> dict[str, int]:
    """{"vectors", "dimensions"} of a list of vectors, or of items holding one as `embedding` (the OpenAI
    response's `data`); no dimensions when the first vector has no length."""
    first = vectors[0] if vectors else None
    if first is not None and vector_dimensions(first) is None:
        first = _field(first, "embedding")
    dimensions = vector_dimensions(first)
    return {"vectors": len(vectors), **({"dimensions": dimensions} if dimensions is not None else {})}


def embedding_outputs(result: Any) -> dict[str, int] | None:
    """How many vectors of how many dimensions an embeddings call returned, never the vectors: of an OpenAI
    response (its `data`), a list of vectors, one vector, or an array of them (numpy's, by its `shape`); None
    for anything else."""
    data = _field(result, "data")
    found = data if isinstance(data, list) else result
    shape = _shape(found)
    if shape is not None and len(shape) in (1, 2):
        vectors, dimensions = (1, *shape) if len(shape) == 1 else shape
        return {"vectors": vectors, "dimensions": dimensions}
    if not isinstance(found, list | tuple):
        return None
    if found and _is_number(found[0]):  # one vector
        return {"vectors": 1, "dimensions": len(found)}
    return vector_counts(found)


def embedding_result(result: Any) -> dict[str, Any] | None:
    """What an embeddings call keeps of what it returned: `outputs` (`embedding_outputs`), the `usage` and the
    `model` of an OpenAI-style response; the model counts only when the call's arguments name none."""
    model = _field(result, "model")
    found = {
        "outputs": embedding_outputs(result),
        "usage": token_usage(_field(result, "usage")),
        "model": model if isinstance(model, str) and len(model) <= _LONGEST_MODEL else None,
    }
    return {key: value for key, value in found.items() if value is not None} or None


class EmbeddingTally:
    """What an embeddings call keeps of a result given in parts, as a generator yields it (a vector, a batch
    of them or a response at a time): each part is read as it comes (`embedding_result`; a part it cannot
    count is one vector) and is never kept. The vectors and the usage add up; the dimensions and the model
    are the first part's that has them."""

    __slots__ = ("vectors", "dimensions", "usage", "model")

    def __init__(self) -> None:
        self.vectors = 0
        self.dimensions: int | None = None
        self.usage: dict[str, int] = {}
        self.model: str | None = None

    def add(self, part: Any) -> None:
        found = embedding_result(part) or {}
        outputs = found.get("outputs") or vector_counts((part,))
        self.vectors += outputs["vectors"]
        self.dimensions = self.dimensions if self.dimensions is not None else outputs.get("dimensions")
        for name, count in found.get("usage", {}).items():
            self.usage[name] = self.usage.get(name, 0) + count
        self.model = self.model or found.get("model")

    def result(self) -> dict[str, Any]:
        """What `embedding_result` keeps, of all the parts."""
        dimensions = {} if self.dimensions is None else {"dimensions": self.dimensions}
        found = {"outputs": {"vectors": self.vectors, **dimensions}, "usage": self.usage or None, "model": self.model}
        return {key: value for key, value in found.items() if value is not None}


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
    if activity_type == "embedding":  # `output` is what `embedding_result` kept
        return {**(output if isinstance(output, dict) else {}), **embedding_call_fields(inputs)}
    if activity_type == "retrieved-docs":
        if "documents" in fields:
            return {}
        items = output if isinstance(output, list) else ([] if output is None else [output])
        return {"documents": [_document(item) for item in items], "input": _as_text(inputs)}
    if activity_type in ("question", "answer", "log"):
        return {"text": _as_text(output if output is not None else inputs) or ""}
    return {"inputs": _as_dict(inputs, "input"), "outputs": _as_dict(output, "output")}
