"""`promptwatch.langchain`: the published client's LangChain import path (needs langchain-core 1.x).

    from promptwatch.langchain import CachedLLM, CachedChatLLM, PromptWatchLlmCache
"""

from __future__ import annotations

from ..integrations.langchain import LangChainSupport, PromptWatchCallbackHandler
from ..integrations.langchain_cache import CachedChatLLM, CachedLLM, PromptWatchLlmCache
from ..integrations.langchain_templates import (
    find_and_register_templates_recursive,
    find_templates_recursive,
    get_prompt_template,
)

__all__ = [
    "CachedChatLLM",
    "CachedLLM",
    "LangChainSupport",
    "PromptWatchCallbackHandler",
    "PromptWatchLlmCache",
    "find_and_register_templates_recursive",
    "find_templates_recursive",
    "get_prompt_template",
]
