"""The semantic cache for any code: `promptwatch.cache.lookup / store / clear`.

    import promptwatch
    hit = promptwatch.cache.lookup("How far is the Moon?", namespace="faq.default")
    if hit is None:
        answer = ask_the_model(...)
        promptwatch.cache.store("How far is the Moon?", answer, namespace="faq.default")
    else:
        answer = hit.result

Entries live on the server (`/api/v1/cache/{namespace}`). Given `text`, the server embeds it itself and
guards against near misses ("... Earth to the Sun" is not "... to the Moon"); given `embedding` (your own
vectors), its default gate is 0.97. The namespace defaults to the published client's
`"<tracking project or 'default'>.default"`. Every call runs on the caller's time with a short deadline
(2 s) and never raises: a failure is a miss (or `False` / `None`), logged once. `vector_lookup` and
`vector_store` speak the published client's `/prompt-cache` protocol (used by `CachedLLM` with your own
LangChain embeddings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._http import call, pipeline_for, segment
from ._safe import logger, never_raise, warn_once
from .context import open_instance
from .errors import PromptWatchError
from .pipeline import Pipeline

DEFAULT_TIMEOUT = 2.0
"""Seconds a cache call may take on the caller's path before it counts as a miss."""


@dataclass(frozen=True)
class CacheHit:
    """A stored answer served for a lookup."""

    result: str
    similarity: float | None
    namespace: str
    id: str | None = None


def namespace_for(cache_namespace_key: str | None = None, tracking_project: str | None = None,
                  api_key: str | None = None) -> str:
    """The published client's namespace: `f"{tracking_project or 'default'}.{cache_namespace_key or 'default'}"`,
    the tracking project being the open `PromptWatch` context's, else PROMPTWATCH_TRACKING_PROJECT."""
    if tracking_project is None:
        instance = open_instance()
        if instance is not None:
            tracking_project = instance.tracking_project
        else:
            with never_raise():
                tracking_project = pipeline_for(api_key).config.tracking_project
    return f"{tracking_project or 'default'}.{cache_namespace_key or 'default'}"


def _failed(what: str, exc: PromptWatchError) -> None:
    if not warn_once(f"cache:{what}", f"PromptWatch cache {what} failed (treated as a miss): {exc}"):
        logger.debug("PromptWatch cache %s failed: %s", what, exc)


def _body(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def lookup(text: str | None = None, *, namespace: str | None = None, embedding: list[Any] | None = None,
           template_identity: str | None = None, input_values: dict[str, Any] | None = None,
           min_similarity: float | None = None, api_key: str | None = None,
           timeout: float = DEFAULT_TIMEOUT) -> CacheHit | None:
    """The best stored answer for `text` (or `embedding`) that passes the gate and the guards, else None."""
    with never_raise():
        pipeline = pipeline_for(api_key)
        if not pipeline.enabled:
            return None
        namespace = namespace or namespace_for(api_key=api_key)
        body = _body(text=text, embedding=embedding, template_identity=template_identity, input_values=input_values,
                     min_similarity=min_similarity)
        try:
            reply = call(pipeline, "POST", f"/api/v1/cache/{segment(namespace)}/lookup", body, timeout=timeout)
        except PromptWatchError as exc:
            _failed("lookup", exc)
            return None
        if isinstance(reply, dict) and reply.get("hit") and isinstance(reply.get("result"), str):
            return CacheHit(reply["result"], reply.get("similarity"), namespace, reply.get("id"))
    return None


def store(text: str | None, result: str, *, namespace: str | None = None, embedding: list[Any] | None = None,
          template_identity: str | None = None, input_values: dict[str, Any] | None = None,
          id: str | None = None, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Store (upsert) `result` as the answer to `text` (or `embedding`); True when the server took it."""
    with never_raise():
        pipeline = pipeline_for(api_key)
        if not pipeline.enabled:
            return False
        namespace = namespace or namespace_for(api_key=api_key)
        body = _body(result=result, text=text, embedding=embedding, template_identity=template_identity,
                     input_values=input_values, id=id)
        try:
            call(pipeline, "POST", f"/api/v1/cache/{segment(namespace)}/entries", body, timeout=timeout)
        except PromptWatchError as exc:
            _failed("store", exc)
            return False
        return True
    return False


def clear(namespace: str | None = None, until: datetime | str | None = None, *, api_key: str | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> int | None:
    """Delete the namespace's entries (only those created before `until`, when given); the number deleted,
    or None when the server could not be asked."""
    with never_raise():
        pipeline = pipeline_for(api_key)
        if not pipeline.enabled:
            return None
        namespace = namespace or namespace_for(api_key=api_key)
        moment = until.isoformat() if isinstance(until, datetime) else until
        try:
            reply = call(pipeline, "DELETE", f"/api/v1/cache/{segment(namespace)}", params={"until": moment},
                         timeout=timeout)
        except PromptWatchError as exc:
            _failed("clear", exc)
            return None
        return int(reply.get("deleted", 0)) if isinstance(reply, dict) else 0
    return None


# the published client's vector protocol (WIRE_PROTOCOL §7.3) ---------------------------------------------

def vector_lookup(pipeline: Pipeline, namespace: str, embedding: list[Any], template_identity: str | None,
                  input_values: dict[str, Any] | None, min_similarity: float,
                  timeout: float = DEFAULT_TIMEOUT) -> CacheHit | None:
    """`POST /prompt-cache/{ns}/get`: a hit, or None (a miss or a failure)."""
    with never_raise():
        if not pipeline.enabled:
            return None
        body = {"embedding": embedding, "prompt_template_identity": template_identity,
                "prompt_input_values": input_values}
        try:
            reply = call(pipeline, "POST", f"/prompt-cache/{segment(namespace)}/get", body,
                         params={"min_similarity": min_similarity}, timeout=timeout)
        except PromptWatchError as exc:
            _failed("lookup", exc)
            return None
        if isinstance(reply, dict) and isinstance(reply.get("result"), str):
            return CacheHit(reply["result"], reply.get("similarity"), namespace)
    return None


def vector_store(pipeline: Pipeline, namespace: str, embedding: list[Any], template_identity: str | None,
                 input_values: dict[str, Any] | None, entry_id: str, result: str,
                 timeout: float = DEFAULT_TIMEOUT) -> bool:
    """`POST /prompt-cache/{ns}`: upsert by (namespace, id); True when the server took it."""
    with never_raise():
        if not pipeline.enabled:
            return False
        body = {"embedding": embedding, "prompt_template_identity": template_identity,
                "prompt_input_values": input_values, "id": entry_id, "result": result}
        try:
            reply = call(pipeline, "POST", f"/prompt-cache/{segment(namespace)}", body, timeout=timeout)
        except PromptWatchError as exc:
            _failed("store", exc)
            return False
        return not (isinstance(reply, dict) and reply.get("ok") is False)
    return False
