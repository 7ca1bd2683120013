"""`CachedLLM` and `CachedChatLLM`: LangChain models that ask PromptWatch's semantic cache first.

    llm = CachedLLM(OpenAI(), cache_namespace_key="faq")          # or CachedChatLLM(ChatOpenAI(), ...)
    chain = prompt | llm

Before the wrapped model is called, the cache of namespace `f"{tracking_project or 'default'}.{key or
'default'}"` (the published client's path) is asked; a hit is returned instead of calling the model, a
miss calls it and stores its answer. Without `cache_embeddings` the server's native text cache is used
(`/api/v1/cache/{ns}`): the server embeds the prompt and refuses near misses ("Earth to the Sun" is not
"... to the Moon"); `similarity_limit` then defaults to the server's gate for its own embedding. With
LangChain `Embeddings` the published client's vector protocol (`/prompt-cache/{ns}`) is spoken, with
`similarity_limit` defaulting to 0.97; for a registered template one vector per input (`"<key>: <value>"`,
sorted keys) and the template's identity are sent. Prompts longer than `token_limit` tokens (estimated at
4 characters a token) are not cached. Multi-prompt calls go to the model uncached.

Every cache call has a 2 s deadline and never raises: a failure is a miss. A hit is recorded as the LLM
call's activity with `metadata.cache = {"hit": true, "similarity": s, "namespace": ns}` and zero tokens
(so zero cost); a miss with `{"hit": false, "namespace": ns}`.

`PromptWatchLlmCache(cache_namespace_key=None)` is the same cache as LangChain's global cache, for every
model at once: `langchain_core.globals.set_llm_cache(PromptWatchLlmCache("faq"))`. Entries are keyed by
the prompt text and, as template identity, a hash of LangChain's `llm_string` (model and its settings), so
one model is never served another's answer; the generations are stored in LangChain's serialized form.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any

from . import LANGCHAIN_MISSING

try:
    from langchain_core.caches import BaseCache
    from langchain_core.language_models import BaseChatModel, BaseLLM
    from langchain_core.load import dumps, loads
    from langchain_core.messages import AIMessage, get_buffer_string
    from langchain_core.outputs import ChatGeneration, ChatResult, Generation, LLMResult
    from pydantic import ConfigDict
except ImportError as exc:  # pragma: no cover - exercised only without langchain-core
    raise ImportError(LANGCHAIN_MISSING) from exc

from ..sdk import cache
from ..sdk._http import pipeline_for
from ..sdk._safe import never_raise, warn_once
from .langchain import PromptWatchCallbackHandler

DEFAULT_VECTOR_SIMILARITY = 0.97
_ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


class _Lookup:
    """One cached call: where to look, what to look with, and the activity that records it."""

    def __init__(self, owner: Any, text: str, run_manager: Any):
        self.owner = owner
        self.text = text
        self.pipeline = pipeline_for(None)
        self.namespace = cache.namespace_for(owner.cache_namespace_key)
        self.span = None
        for handler in getattr(run_manager, "handlers", None) or []:
            if isinstance(handler, PromptWatchCallbackHandler):
                self.span = handler.span_of(getattr(run_manager, "run_id", None)) or self.span
        template = self.span.fields.get("prompt_template") if self.span is not None else None
        named = isinstance(template, dict) and template.get("template_name")
        self.identity = f"{template['template_name']}:{template.get('template_version')}" if named else None
        values = self.span.fields.get("prompt_input_values") if named and self.span is not None else None
        self.input_values = values if isinstance(values, dict) else None
        limit = owner.token_limit
        self.enabled = self.pipeline.enabled and (limit is None or len(text) / 4 <= limit)

    def _vectors(self) -> list[Any] | None:
        """The published client's embedding: one per template input, else one of the prompt."""
        embeddings = self.owner.cache_embeddings
        try:
            if self.identity is not None and self.input_values:
                keys = sorted(self.input_values)
                return embeddings.embed_documents([f"{key}: {self.input_values[key]}" for key in keys])
            return embeddings.embed_query(self.text)
        except Exception as exc:  # the user's embeddings failed: no cache for this call
            warn_once("cache:embeddings", f"PromptWatch skips the cache: the cache embeddings failed ({exc!r})")
            return None

    def lookup(self) -> cache.CacheHit | None:
        if not self.enabled:
            return None
        owner = self.owner
        if owner.cache_embeddings is None:
            hit = cache.lookup(self.text, namespace=self.namespace, template_identity=self.identity,
                               input_values=self.input_values, min_similarity=owner.similarity_limit)
        else:
            self.embedding = self._vectors()
            if self.embedding is None:
                return None
            threshold = owner.similarity_limit if owner.similarity_limit is not None else DEFAULT_VECTOR_SIMILARITY
            hit = cache.vector_lookup(self.pipeline, self.namespace, self.embedding, self.identity,
                                      self.input_values, threshold)
        with never_raise():
            if self.span is not None:
                mark = {"hit": True, "similarity": hit.similarity} if hit else {"hit": False}
                self.span.set_metadata(cache={**mark, "namespace": self.namespace})
        return hit

    def store(self, result: Any) -> None:
        if not self.enabled or not isinstance(result, str):
            return
        entry_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, self.text))
        if self.owner.cache_embeddings is None:
            cache.store(self.text, result, namespace=self.namespace, template_identity=self.identity,
                        input_values=self.input_values, id=entry_id)
        elif getattr(self, "embedding", None) is not None:
            cache.vector_store(self.pipeline, self.namespace, self.embedding, self.identity, self.input_values,
                               entry_id, result)

    def generation_info(self, hit: cache.CacheHit) -> dict[str, Any]:
        return {"cached": True, "similarity": hit.similarity,
                "cache_namespace_key": self.owner.cache_namespace_key}


class _NoCache:
    """Stands in when preparing the lookup failed (a bug of ours): the model is simply called."""

    def lookup(self) -> None:
        return None

    def store(self, result: Any) -> None:
        return None


def _start(owner: Any, text: str, run_manager: Any) -> _Lookup | _NoCache:
    with never_raise():
        return _Lookup(owner, text, run_manager)
    return _NoCache()


def _prompt_key(prompt: str, stop: list[str] | None) -> str:
    """The text the published client cached a prompt under (stop words are part of it)."""
    return f"Stop:[{','.join(stop)}]\n:{prompt}" if stop else prompt


def _first_text(result: LLMResult) -> str | None:
    return result.generations[0][0].text if result.generations and result.generations[0] else None


class _CacheOptions:
    """The published client's options, shared by both wrappers (pydantic fields are declared on each)."""

    def _options(self, model: Any, inner_llm: Any, cache_namespace_key: str | None, cache_embeddings: Any,
                 token_limit: int | None, similarity_limit: float | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        inner = model if model is not None else inner_llm
        if inner is None:
            raise TypeError(f"{type(self).__name__} needs the LangChain model to wrap")
        return {"inner_llm": inner, "cache_namespace_key": cache_namespace_key, "cache_embeddings": cache_embeddings,
                "token_limit": token_limit, "similarity_limit": similarity_limit, **kwargs}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {**getattr(self.inner_llm, "_identifying_params", {}), "cache_namespace_key": self.cache_namespace_key}


class CachedLLM(_CacheOptions, BaseLLM):
    """A LangChain LLM that answers from PromptWatch's semantic cache when it can (module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner_llm: Any
    cache_namespace_key: str | None = None
    cache_embeddings: Any = None
    token_limit: int | None = None
    similarity_limit: float | None = None

    def __init__(self, llm: Any = None, cache_namespace_key: str | None = None, cache_embeddings: Any = None,
                 token_limit: int | None = None, similarity_limit: float | None = None, *,
                 inner_llm: Any = None, **kwargs: Any):
        super().__init__(**self._options(llm, inner_llm, cache_namespace_key, cache_embeddings, token_limit,
                                         similarity_limit, kwargs))

    @property
    def _llm_type(self) -> str:
        return f"cached-{getattr(self.inner_llm, '_llm_type', 'llm')}"

    def _hit_result(self, lookup: Any, hit: cache.CacheHit) -> LLMResult:
        generation = Generation(text=hit.result, generation_info=lookup.generation_info(hit))
        return LLMResult(generations=[[generation]], llm_output={"cached": True, "token_usage": dict(_ZERO_USAGE)})

    def _generate(self, prompts: list[str], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> LLMResult:
        if len(prompts) != 1:
            return self.inner_llm._generate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        lookup = _start(self, _prompt_key(prompts[0], stop), run_manager)
        hit = lookup.lookup()
        if hit is not None:
            return self._hit_result(lookup, hit)
        result = self.inner_llm._generate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        lookup.store(_first_text(result))
        return result

    async def _agenerate(self, prompts: list[str], stop: list[str] | None = None, run_manager: Any = None,
                         **kwargs: Any) -> LLMResult:
        if len(prompts) != 1:
            return await self.inner_llm._agenerate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        lookup = _start(self, _prompt_key(prompts[0], stop), run_manager)
        hit = await asyncio.to_thread(lookup.lookup)
        if hit is not None:
            return self._hit_result(lookup, hit)
        result = await self.inner_llm._agenerate(prompts, stop=stop, run_manager=run_manager, **kwargs)
        await asyncio.to_thread(lookup.store, _first_text(result))
        return result


class CachedChatLLM(_CacheOptions, BaseChatModel):
    """A LangChain chat model that answers from PromptWatch's semantic cache when it can (module docstring).

    The cache key is the conversation as text (`get_buffer_string`); only the answer's text is cached."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner_llm: Any
    cache_namespace_key: str | None = None
    cache_embeddings: Any = None
    token_limit: int | None = None
    similarity_limit: float | None = None

    def __init__(self, chat_model: Any = None, cache_namespace_key: str | None = None, cache_embeddings: Any = None,
                 token_limit: int | None = None, similarity_limit: float | None = None, *,
                 inner_llm: Any = None, **kwargs: Any):
        super().__init__(**self._options(chat_model, inner_llm, cache_namespace_key, cache_embeddings, token_limit,
                                         similarity_limit, kwargs))

    @property
    def _llm_type(self) -> str:
        return f"cached-{getattr(self.inner_llm, '_llm_type', 'chat')}"

    def _hit_result(self, lookup: Any, hit: cache.CacheHit) -> ChatResult:
        message = AIMessage(content=hit.result,
                            usage_metadata={"input_tokens": 0, "output_tokens": 0, "total_tokens": 0})
        generation = ChatGeneration(message=message, generation_info=lookup.generation_info(hit))
        return ChatResult(generations=[generation], llm_output={"cached": True, "token_usage": dict(_ZERO_USAGE)})

    @staticmethod
    def _text_of(result: ChatResult) -> str | None:
        if not result.generations:
            return None
        content = result.generations[0].message.content
        return content if isinstance(content, str) else None

    def _generate(self, messages: list[Any], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        lookup = _start(self, _prompt_key(get_buffer_string(messages), stop), run_manager)
        hit = lookup.lookup()
        if hit is not None:
            return self._hit_result(lookup, hit)
        result = self.inner_llm._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        lookup.store(self._text_of(result))
        return result

    async def _agenerate(self, messages: list[Any], stop: list[str] | None = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        lookup = _start(self, _prompt_key(get_buffer_string(messages), stop), run_manager)
        hit = await asyncio.to_thread(lookup.lookup)
        if hit is not None:
            return self._hit_result(lookup, hit)
        result = await self.inner_llm._agenerate(messages, stop=stop, run_manager=run_manager, **kwargs)
        await asyncio.to_thread(lookup.store, self._text_of(result))
        return result

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        if len(llm_outputs) == 1 and (llm_outputs[0] or {}).get("cached"):
            return dict(llm_outputs[0] or {})
        combine = getattr(self.inner_llm, "_combine_llm_outputs", None)
        return combine([output or {} for output in llm_outputs]) if combine else {}


_CACHED_CLASSES = [Generation, ChatGeneration, AIMessage]


class PromptWatchLlmCache(BaseCache):
    """LangChain's global LLM cache on PromptWatch's semantic cache (module docstring)."""

    def __init__(self, cache_namespace_key: str | None = None, similarity_limit: float | None = None):
        self.cache_namespace_key = cache_namespace_key
        self.similarity_limit = similarity_limit

    @staticmethod
    def _identity(llm_string: str) -> str:
        return "llm:" + hashlib.sha256(llm_string.encode()).hexdigest()[:32]

    def lookup(self, prompt: str, llm_string: str) -> list[Any] | None:
        namespace = cache.namespace_for(self.cache_namespace_key)
        hit = cache.lookup(prompt, namespace=namespace, template_identity=self._identity(llm_string),
                           min_similarity=self.similarity_limit)
        if hit is None:
            return None
        with never_raise():
            try:
                generations = loads(hit.result, allowed_objects=_CACHED_CLASSES)  # never models or clients
            except json.JSONDecodeError:  # an entry another client stored as plain text
                return [Generation(text=hit.result)]
            except (ValueError, NotImplementedError, TypeError):  # a class not allowed, an older langchain-core
                return None
            return list(generations) if isinstance(generations, list) else [Generation(text=hit.result)]
        return None

    def update(self, prompt: str, llm_string: str, return_val: Any) -> None:
        with never_raise():
            cache.store(prompt, dumps(list(return_val)), namespace=cache.namespace_for(self.cache_namespace_key),
                        template_identity=self._identity(llm_string),
                        id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{llm_string}\n{prompt}")))

    def clear(self, **kwargs: Any) -> None:
        """Delete the namespace's entries (`until=` a datetime: only those created before it)."""
        cache.clear(cache.namespace_for(self.cache_namespace_key), until=kwargs.get("until"))
