"""Client-side integrations, one module per library: `langchain`, `openai`.

Nothing is patched on import. `instrument_openai(client)` wraps one client when called; LangChain's
callback handler joins each `PromptWatch` context through the context hook below, which
`promptwatch/__init__.py` installs. The hook never imports LangChain itself: a context joins LangChain
when the app has imported `langchain_core` by the time the context is entered (an app that calls
LangChain has; one that does not never pays for LangChain's import, 1-2 s and ~25 MB).
"""

from __future__ import annotations

import importlib.util
import sys
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

    def _module(self) -> ModuleType:
        from . import langchain

        return langchain

    def enter(self, instance: Any) -> Any:
        if "langchain_core" not in sys.modules:  # the app has not imported LangChain: nothing to record
            return None
        return self._module().attach(instance)

    def exit(self, instance: Any, token: Any) -> None:
        if token is not None:
            self._module().detach(token)

    def support(self, instance: Any) -> Any:
        """`pw.langchain`: asked for explicitly, so LangChain is imported here if it is installed."""
        if not _langchain_installed():
            raise ImportError(LANGCHAIN_MISSING)
        return self._module().LangChainSupport(instance)


def install_context_hooks() -> None:
    """Register the integrations that join `PromptWatch` contexts (idempotent)."""
    if not any(hook.name == LangChainContextHook.name for hook in CONTEXT_HOOKS):
        CONTEXT_HOOKS.append(LangChainContextHook())
