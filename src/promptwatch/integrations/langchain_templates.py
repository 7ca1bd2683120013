"""LangChain prompt templates: find them inside chains, name them, and fetch the one behind a label.

- `find_templates_recursive(chain, prefix)` walks a runnable (sequence steps, parallel branches, bindings,
  fallbacks, branches, legacy chains' fields, agents' and tools' fields) and lists `(path, template)` for
  every prompt template in it; `find_and_register_templates_recursive` registers each one not yet
  registered, named by its path (e.g. `"qa.steps[0]"`).
- `get_prompt_template(name, label="production")` fetches the template a label points at (kept for
  `ttl` seconds, see `sdk/prompt_labels.py`), registers it under its name and version so every LLM call
  made from it is recorded against that version, and returns a LangChain `PromptTemplate` /
  `ChatPromptTemplate` when langchain-core is installed, else the template itself (its text, or its list
  of chat messages).

Nothing here imports LangChain until it is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..sdk._safe import never_raise
from ..sdk.prompt_labels import _NO_DEFAULT, DEFAULT_TIMEOUT, DEFAULT_TTL, LabelledTemplate, fetch_label
from ..sdk.templates import describe_template, register_prompt_template, registry, template_key
from . import _langchain_installed

_MAX_DEPTH = 40
_LEAVES = (str, bytes, int, float, bool, type(None))


def _is_prompt_template(value: Any) -> bool:
    if not _langchain_installed():
        return False
    from langchain_core.prompts import BasePromptTemplate

    return isinstance(value, BasePromptTemplate)


def _children(value: Any) -> Iterator[tuple[str, Any]]:
    """(name, child) pairs worth walking: sequence steps, parallel branches, model fields, list items."""
    steps = getattr(value, "steps", None)
    if isinstance(steps, list) and steps and type(value).__name__.startswith("RunnableSequence"):
        yield from ((f"steps[{i}]", step) for i, step in enumerate(steps))
        return
    branches = getattr(value, "steps__", None)
    if isinstance(branches, dict):
        yield from branches.items()
        return
    fields = getattr(type(value), "model_fields", None)
    names = list(fields) if isinstance(fields, dict) else list(getattr(value, "__dict__", {}))
    for name in names:
        if not name.startswith("_"):
            yield name, getattr(value, name, None)


def _walk(value: Any, path: str, seen: set[int], depth: int) -> Iterator[tuple[str, Any]]:
    if isinstance(value, _LEAVES) or id(value) in seen or depth > _MAX_DEPTH:
        return
    seen.add(id(value))
    if _is_prompt_template(value):
        yield path, value
        return
    if isinstance(value, dict):
        items: Any = ((str(key), item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"[{i}]", item) for i, item in enumerate(value))
    elif hasattr(type(value), "model_fields") or hasattr(value, "invoke"):
        items = _children(value)
    else:
        return
    for name, child in items:
        child_path = f"{path}{name}" if name.startswith("[") else f"{path}.{name}"
        yield from _walk(child, child_path, seen, depth + 1)


def find_templates_recursive(root_chain: Any, template_name_prefix: str | None = None, print_code: bool = False,
                             ) -> list[tuple[str, Any]]:
    """Every prompt template inside `root_chain`, as `(path, template)`; paths start with the prefix
    (default: the chain's class name). `print_code=True` prints the `register_prompt_template` lines."""
    prefix = template_name_prefix or type(root_chain).__name__
    found = [(prefix, root_chain)] if _is_prompt_template(root_chain) else list(_walk(root_chain, prefix, set(), 0))
    if print_code:
        for path, _ in found:
            print(f'register_prompt_template("{path}", <the template at {path}>)')
    return found


def find_and_register_templates_recursive(root_chain: Any, template_name_prefix: str | None = None,
                                          ignore_subpaths: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Register, named by their paths, the templates inside `root_chain` that are not registered yet
    (and whose path contains none of `ignore_subpaths`); returns the names registered."""
    names = []
    for path, template in find_templates_recursive(root_chain, template_name_prefix):
        if any(part in path for part in ignore_subpaths):
            continue
        description = describe_template(template)
        if description is None or registry.is_registered(template_key(description)):
            continue
        register_prompt_template(path, template)
        names.append(path)
    return names


# the template behind a label -----------------------------------------------------------------------------

_CHAT_CLASSES = {"system": "SystemMessagePromptTemplate", "user": "HumanMessagePromptTemplate",
                 "assistant": "AIMessagePromptTemplate"}
_LITERAL_CLASSES = {"system": "SystemMessage", "user": "HumanMessage", "assistant": "AIMessage"}


def _chat_item(item: Any) -> Any:
    from langchain_core import messages, prompts

    if isinstance(item, str):
        return prompts.MessagesPlaceholder(item)
    role = item.get("role") or "user"
    if "prompt_template" in item:
        fmt = item.get("format") or "f-string"
        if role in _CHAT_CLASSES:
            return getattr(prompts, _CHAT_CLASSES[role]).from_template(item["prompt_template"], template_format=fmt)
        return prompts.ChatMessagePromptTemplate.from_template(item["prompt_template"], role=role,
                                                               template_format=fmt)
    if role in _LITERAL_CLASSES:
        return getattr(messages, _LITERAL_CLASSES[role])(content=str(item.get("text", "")))
    return messages.ChatMessage(role=role, content=str(item.get("text", "")))


def to_langchain_template(found: LabelledTemplate) -> Any:
    """A LangChain PromptTemplate / ChatPromptTemplate with the content of a fetched version."""
    from langchain_core.prompts import ChatPromptTemplate, PromptTemplate

    if isinstance(found.template, list):
        return ChatPromptTemplate.from_messages([_chat_item(item) for item in found.template])
    return PromptTemplate.from_template(str(found.template), template_format=found.format or "f-string")


def get_prompt_template(name: str, label: str = "production", *, ttl: float = DEFAULT_TTL,
                        api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT, default: Any = _NO_DEFAULT
                        ) -> Any:
    """The template `label` points at (a LangChain template when langchain-core is installed, else the
    template's text or message list), asked of the server at most once per `ttl` seconds.

    When the server cannot be asked: the last template fetched; if none ever was, `default` when given,
    else `PromptWatchError`."""
    found = fetch_label(name, label, ttl=ttl, api_key=api_key, timeout=timeout, default=default)
    if not isinstance(found, LabelledTemplate):
        return found  # the default
    template = found.template
    if _langchain_installed():
        template = to_langchain_template(found)
    with never_raise():
        if describe_template(template) is not None:
            register_prompt_template(name, template, found.given_version)
    return template
