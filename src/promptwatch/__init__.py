"""PromptWatch: record what your LLM app does, on your own PromptWatch server.

Quickstart (a local `promptwatch up` listens on http://127.0.0.1:8765; set PROMPTWATCH_HOST_URL for
another server, and PROMPTWATCH_API_KEY to the key it printed)::

    from promptwatch import PromptWatch, current_activity, observe, span

    @observe                                   # sync, async, generators, async generators
    def retrieve(query: str) -> list[str]:
        ...

    @observe(as_type="llm-prompt")             # `prompt`/`messages`, `model`, settings: the call's fields
    def complete(prompt: str, model: str, temperature: float = 0.2) -> str:
        reply = my_client.generate(prompt, model=model, temperature=temperature)
        current_activity().update(usage={"prompt_tokens": reply.input_tokens,   # the server prices them
                                         "completion_tokens": reply.output_tokens})
        return reply.text                      # the generated text

    with PromptWatch(tracking_project="support-bot") as pw:       # or: async with
        PromptWatch.log_user_question(question)
        docs = retrieve(question)              # a span in this session
        answer = chain.invoke({"question": question})   # LangChain runs are recorded automatically
        with span("post-process") as s:
            s.set_output(answer.strip())
        PromptWatch.log_assistant_answer(answer)

    from promptwatch.integrations.openai import instrument_openai
    client = instrument_openai(OpenAI())       # every chat.completions / responses call is recorded

Outside a `PromptWatch` block each outermost `@observe` call is a session of its own; so is each call in a
thread the block was not carried into (`pool.submit(in_context(fn), ...)`, `ContextThreadPoolExecutor`).
Recording never raises into your app and never waits for the network: a background thread sends batches,
and keeps them in a spool on disk while the server is unreachable. `flush()` waits for what was recorded so far;
on exit the SDK flushes for at most PROMPTWATCH_SHUTDOWN_TIMEOUT seconds (2). Settings: docs/sdk.md.
"""

from typing import Any

from .integrations import install_context_hooks
from .integrations.langchain_templates import (
    find_and_register_templates_recursive,
    find_templates_recursive,
    get_prompt_template,
)
from .schema.legacy import (
    Action,
    Answer,
    ChainSequence,
    ChatMessage,
    ChatMessagePromptTemplate,
    DocumentSnippet,
    LlmPrompt,
    Log,
    NamedPromptTemplateDescription,
    ParallelPrompt,
    PromptTemplateDescription,
    Question,
    RetrievedDocuments,
)
from .sdk import cache
from .sdk.client import Client
from .sdk.errors import PromptWatchError
from .sdk.observe import observe
from .sdk.pipeline import configure, flush, shutdown
from .sdk.session import PromptWatch, current_session
from .sdk.spans import Span, current_activity, span
from .sdk.templates import register_prompt_template
from .sdk.threads import ContextThreadPoolExecutor, in_context

__version__ = "1.0.0.dev0"

__all__ = [
    "Action",
    "Answer",
    "CachedChatLLM",
    "CachedLLM",
    "ChainSequence",
    "ChatMessage",
    "ChatMessagePromptTemplate",
    "Client",
    "ContextThreadPoolExecutor",
    "DocumentSnippet",
    "LlmPrompt",
    "Log",
    "NamedPromptTemplateDescription",
    "ParallelPrompt",
    "PromptTemplateDescription",
    "PromptWatch",
    "PromptWatchError",
    "PromptWatchLlmCache",
    "Question",
    "RetrievedDocuments",
    "Span",
    "__version__",
    "cache",
    "configure",
    "current_activity",
    "current_session",
    "find_and_register_templates_recursive",
    "find_templates_recursive",
    "flush",
    "get_prompt_template",
    "in_context",
    "observe",
    "register_prompt_template",
    "shutdown",
    "span",
]

_LANGCHAIN_NAMES = {"CachedLLM", "CachedChatLLM", "PromptWatchLlmCache"}


def __getattr__(name: str) -> Any:
    """`CachedLLM`, `CachedChatLLM` and `PromptWatchLlmCache` are imported on first use (they need
    langchain-core)."""
    if name in _LANGCHAIN_NAMES:
        from .integrations import langchain_cache

        return getattr(langchain_cache, name)
    raise AttributeError(f"module 'promptwatch' has no attribute {name!r}")


install_context_hooks()
