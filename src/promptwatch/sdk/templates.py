"""The prompt-template registry: names (and optional versions) for the templates an app uses.

`register_prompt_template("support_chat", template)` tells PromptWatch that prompts made from this
template are versions of "support_chat"; every `llm-prompt` made from it then carries a
`prompt_template` description with `template_name` (and `template_version` when given; the server assigns
versions otherwise). A template is a string, a description dict, or a LangChain prompt template — read
through its attributes (`template`, `messages`, ...), so this module never imports LangChain.
"""

from __future__ import annotations

import json
import string
import threading
from typing import Any

_ROLES = {"system": "system", "human": "user", "user": "user", "ai": "assistant", "assistant": "assistant",
          "function": "function", "tool": "tool", "chat": None}


def _role_of(message_template: Any) -> str | None:
    role = getattr(message_template, "role", None)
    if isinstance(role, str):
        return _ROLES.get(role, role)
    name = type(message_template).__name__.lower()
    for prefix, mapped in _ROLES.items():
        if name.startswith(prefix):
            return mapped
    return None


def _describe_message(item: Any) -> Any:
    variable = getattr(item, "variable_name", None)
    if isinstance(variable, str):  # MessagesPlaceholder
        return variable
    inner = getattr(item, "prompt", None)
    if inner is not None and isinstance(getattr(inner, "template", None), str):
        return {**_describe_single(inner), "role": _role_of(item)}
    content = getattr(item, "content", None)
    if content is not None:  # a literal message
        return {"role": _ROLES.get(getattr(item, "type", ""), getattr(item, "type", None)), "text": str(content)}
    return str(item)


def _describe_single(template: Any) -> dict[str, Any]:
    return {
        "prompt_template": template.template,
        "prompt_input_params": list(getattr(template, "input_variables", None) or []) or None,
        "format": getattr(template, "template_format", None) or "f-string",
    }


def f_string_fields(text: str) -> list[str] | None:
    """The sorted field names of an f-string template (None when it has none or is not an f-string)."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
    except ValueError:
        return None
    return sorted(names) or None


def describe_template(template: Any) -> dict[str, Any] | None:
    """A `PromptTemplateDescription` dict of a string, description dict or LangChain prompt template.

    A string is an f-string template whose fields are its input parameters, so it describes the same
    content as a LangChain `PromptTemplate.from_template()` of the same text (and the server's API)."""
    if isinstance(template, str):
        return {"prompt_template": template, "prompt_input_params": f_string_fields(template), "format": "f-string"}
    if isinstance(template, dict):
        return dict(template) if "prompt_template" in template else None
    if isinstance(getattr(template, "template", None), str):
        return _describe_single(template)
    messages = getattr(template, "messages", None)
    if isinstance(messages, (list, tuple)):
        return {
            "prompt_template": [_describe_message(item) for item in messages],
            "prompt_input_params": list(getattr(template, "input_variables", None) or []) or None,
            "format": "chat_messages",
        }
    return None


def template_key(description: dict[str, Any]) -> str:
    """What identifies a template: its text (or its messages' texts), whatever its name."""
    return json.dumps(description.get("prompt_template"), sort_keys=True, default=str)


class TemplateRegistry:
    """Registered templates by `template_key`; thread-safe (registration is rare, lookup a dict read)."""

    def __init__(self) -> None:
        self._by_key: dict[str, tuple[str, str | None]] = {}
        self._lock = threading.Lock()

    def register(self, name: str, template: Any, version: str | None = None) -> dict[str, Any]:
        description = describe_template(template)
        if description is None:
            raise TypeError(f"not a prompt template: {type(template).__name__}")
        with self._lock:
            self._by_key[template_key(description)] = (name, version)
        return {**description, "template_name": name, "template_version": version}

    def named(self, description: dict[str, Any]) -> dict[str, Any]:
        """`description` with its registered name and version, if it has one."""
        found = self._by_key.get(template_key(description))
        if found is None:
            return description
        return {**description, "template_name": found[0], "template_version": found[1]}

    def is_registered(self, key: str) -> bool:
        return key in self._by_key

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()


registry = TemplateRegistry()


def register_prompt_template(name: str, template: Any, version: str | None = None) -> Any:
    """Name a prompt template; llm-prompts made from it carry `template_name` (and `template_version`).

    Returns `template` itself, as the published client did (`chain = register_prompt_template(...) | llm`);
    `registry.named()` gives the description that is sent."""
    registry.register(name, template, version)
    return template
