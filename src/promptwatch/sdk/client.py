"""`promptwatch.Client`: the published client's direct calls to the server, for code that used them.

    from promptwatch import Client
    session = Client().get_session(session_id)          # raises PromptWatchError unless the server has it
    Client().clear_cache("default.faq")

Built on the SDK's short request/response calls (`sdk/_http.py`): the server and key are the pipeline's
(`api_key` argument > PROMPTWATCH_API_KEY), every call has a deadline. Reading calls raise
`PromptWatchError` on failure as the published client raised; `restore_session` answers None instead of
its `AttributeError` (WIRE_PROTOCOL §8.6), and the cache calls never raise (a failure is a miss).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..schema.legacy import Session
from . import cache
from ._http import call, pipeline_for, segment
from ._safe import never_raise
from .errors import PromptWatchError
from .pipeline import Pipeline

DEFAULT_TIMEOUT = 5.0
"""Seconds a call may take (the published client's timeout for its session calls)."""


def _session(data: Any) -> Session:
    """A stored session as the published model (fields the SDK left empty take the model's defaults)."""
    if not isinstance(data, dict):
        raise PromptWatchError("the server sent no session")
    return Session.model_validate({key: value for key, value in data.items() if value is not None})


class Client:
    """The published client's `Client(api_key=None)`."""

    def __init__(self, api_key: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.api_key = api_key
        self.timeout = timeout

    @property
    def pipeline(self) -> Pipeline:
        return pipeline_for(self.api_key)

    def get_session(self, session_id: str) -> Session:
        """The stored session; PromptWatchError when it is unknown or the server cannot be asked."""
        reply = call(self.pipeline, "GET", f"/sessions/{segment(session_id)}", timeout=self.timeout)
        return _session(reply)

    def restore_session(self, session_id: str) -> Session | None:
        """The stored session, or None (unknown id, or the server could not be asked)."""
        with never_raise():
            try:
                reply = call(self.pipeline, "POST", f"/sessions/{segment(session_id)}/restore", timeout=self.timeout)
            except PromptWatchError:
                return None
            found = reply.get("session") if isinstance(reply, dict) else None
            return _session(found) if found else None
        return None

    def get_cached_prompt(
        self,
        namespace: str,
        embedding: list[Any],
        prompt_template_identity: str | None = None,
        prompt_input_values: dict[str, Any] | None = None,
        min_similarity: float = 0.97,
    ) -> cache.CacheHit | None:
        """The published vector protocol's lookup (WIRE_PROTOCOL §7.3): a hit, or None."""
        return cache.vector_lookup(
            self.pipeline,
            namespace,
            embedding,
            prompt_template_identity,
            prompt_input_values,
            min_similarity,
            timeout=self.timeout,
        )

    def add_into_cache(
        self,
        namespace: str,
        embedding: list[Any],
        result: str,
        id: str,
        prompt_template_identity: str | None = None,
        prompt_input_values: dict[str, Any] | None = None,
    ) -> bool:
        """Store (upsert by namespace and `id`) an answer under its vectors; True when the server took it."""
        return cache.vector_store(
            self.pipeline,
            namespace,
            embedding,
            prompt_template_identity,
            prompt_input_values,
            id,
            result,
            timeout=self.timeout,
        )

    def clear_cache(self, namespace: str, until: datetime | str | None = None) -> bool:
        """Delete a namespace's entries (those created before `until`, when given); True when done."""
        with never_raise():
            moment = str(until) if until is not None else None
            try:
                call(
                    self.pipeline,
                    "POST",
                    f"/prompt-cache/{segment(namespace)}/clear",
                    params={"until": moment},
                    timeout=self.timeout,
                )
            except PromptWatchError:
                return False
            return True
        return False

    def get_test_cases(
        self,
        for_tracking_project: str | None = None,
        for_template_name: str | None = None,
        skip: int = 0,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """One page of annotated examples as `TestCase` JSON (see `promptwatch.unit_tests.TestCase`)."""
        params = {
            "for_tracking_project": for_tracking_project,
            "for_template_name": for_template_name,
            "skp": skip,
            "limit": limit,
        }
        reply = call(self.pipeline, "GET", "/test-cases", params=params, timeout=self.timeout)
        return reply if isinstance(reply, list) else []
