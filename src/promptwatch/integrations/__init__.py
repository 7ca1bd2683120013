"""Client-side integrations, one module per library: `langchain`, `openai`.

Nothing is patched on import. `instrument_openai(client)` wraps one client when called; LangChain's
callback handler joins each `PromptWatch` context through the context hook below, which
`promptwatch/__init__.py` installs. The hook never imports LangChain itself: a context joins LangChain
when the app has imported a module named `langchain` or `langchain_*` (`langchain_core`,
`langchain_openai`, ...) by the time the context is entered. `langchain_core` alone would not do: LangChain
1.x's `langchain/__init__.py` only sets `__version__`, so an app that imports `langchain` at the top may
load `langchain_core` only inside a function, in the context. An app that imports none of them never pays
for LangChain's import (1-2 s and ~25 MB).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType
from typing import Any

from ..sdk._safe import warn_once
from ..sdk.session import CONTEXT_HOOKS

LANGCHAIN_MISSING = "LangChain support needs langchain-core 1.x: pip install 'promptwatch[langchain]'"


@cache
def _langchain_installed() -> bool:
    return importlib.util.find_spec("langchain_core") is not None


def _is_langchain(module_name: str) -> bool:
    return module_name == "langchain" or module_name.startswith("langchain_")


class LangChainContextHook:
    """Adds PromptWatch's LangChain callback handler to every run inside a `PromptWatch` context."""

    name = "langchain"

    def __init__(self) -> None:
        self._modules_seen = -1  # len(sys.modules) when none of them was LangChain's

    def _module(self) -> ModuleType:
        from . import langchain

        return langchain

    def _app_imported_langchain(self) -> bool:
        """Whether a module of LangChain's is loaded; `sys.modules` is searched again only once it grew."""
        modules = sys.modules
        if "langchain_core" in modules or "langchain" in modules:
            return True
        count = len(modules)
        if count == self._modules_seen:
            return False
        if any(_is_langchain(name) for name in list(modules)):
            return True
        self._modules_seen = count
        return False

    def enter(self, instance: Any) -> Any:
        if not self._app_imported_langchain():  # nothing of LangChain's to record
            return None
        if "langchain_core" not in sys.modules and not _langchain_installed():
            warn_once("langchain-missing", LANGCHAIN_MISSING)
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
