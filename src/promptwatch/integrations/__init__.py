"""Client-side integrations, one module per library: `langchain`, `openai`.

Nothing is patched on import. `instrument_openai(client)` wraps one client when called; LangChain's
callback handler joins each `PromptWatch` context through the context hook below, which
`promptwatch/__init__.py` installs, and which imports LangChain only when it is installed and a context
is entered.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from types import ModuleType
from typing import Any

from ..sdk.session import CONTEXT_HOOKS

LANGCHAIN_MISSING = "LangChain support needs langchain-core 1.x: pip install 'promptwatch[langchain]'"


@cache
def _langchain_installed() -> bool:
    return importlib.util.find_spec("langchain_core") is not None


class LangChainContextHook:
    """Adds PromptWatch's LangChain callback handler to every run inside a `PromptWatch` context."""

    name = "langchain"

    def _module(self) -> ModuleType | None:
        if not _langchain_installed():
            return None
        from . import langchain

        return langchain

    def enter(self, instance: Any) -> Any:
        module = self._module()
        return module.attach(instance) if module is not None else None

    def exit(self, instance: Any, token: Any) -> None:
        module = self._module()
        if module is not None and token is not None:
            module.detach(token)

    def support(self, instance: Any) -> Any:
        module = self._module()
        if module is None:
            raise ImportError(LANGCHAIN_MISSING)
        return module.LangChainSupport(instance)


def install_context_hooks() -> None:
    """Register the integrations that join `PromptWatch` contexts (idempotent)."""
    if not any(hook.name == LangChainContextHook.name for hook in CONTEXT_HOOKS):
        CONTEXT_HOOKS.append(LangChainContextHook())
