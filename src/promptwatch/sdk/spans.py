"""`Span`: one activity being recorded, and `span()`, the manual API for code that is not LangChain.

    with promptwatch.span("rerank", inputs={"query": q}) as s:
        ranked = rerank(q, docs)
        s.set_output(ranked)

A span finds its place when it starts: under the innermost open span (same session), else at the root of
the open `PromptWatch` context's session, else as the root of a new trace that is its own session. It is
queued once, when it ends, as a plain dict (see `_wire`); values given to `set_input`/`set_output` are
bounded copies. Integrations build their activities with the same class (`Span.start(parent=...)`).
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from ._safe import never_raise
from ._shapes import shape_fields
from ._wire import ACTIVITY, TRACE, activity_snapshot
from .context import active_instance, current_span
from .pipeline import get_pipeline

_FROM_CONTEXT: Any = object()


_id_prefix = os.urandom(10).hex()
_id_counter = itertools.count()


def new_id() -> str:
    """A 32-hex-digit activity id: 80 random bits per process, then a counter (cheaper than uuid4)."""
    return f"{_id_prefix}{next(_id_counter):012x}"


def _new_id_prefix_after_fork() -> None:
    global _id_prefix
    _id_prefix = os.urandom(10).hex()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_id_prefix_after_fork)


class Span:
    """An open activity; `end()` queues it. Not thread-safe: one span is written by one flow of control."""

    __slots__ = (
        "id", "name", "activity_type", "pipeline", "session", "session_id", "parent_id", "order",
        "start_time", "end_time", "error", "inputs", "output", "fields", "recording", "_token",
    )

    def __init__(self, name: str | None = None, activity_type: str = "span", inputs: Any = None, **fields: Any):
        self.id = new_id()
        self.name = name
        self.activity_type = activity_type
        self.inputs = inputs
        self.output: Any = None
        self.fields = fields
        self.error: str | None = None
        self.end_time: float | None = None
        self.recording = False
        self._token: Any = None

    @classmethod
    def start(cls, name: str | None = None, activity_type: str = "span", parent: Any = _FROM_CONTEXT,
              inputs: Any = None, **fields: Any) -> Span:
        """Open a span without making it current (integrations: `parent` is the span it belongs under)."""
        span = cls(name, activity_type, inputs, **fields)
        span._place(current_span.get() if parent is _FROM_CONTEXT else parent)
        return span

    def _place(self, parent: Span | None) -> None:
        if parent is not None:
            self.pipeline = parent.pipeline
            self.session = session = parent.session
            self.session_id = parent.session_id
            self.parent_id = parent.id
            self.recording = parent.recording
        else:
            instance = active_instance.get()
            if instance is not None:
                session = self.session = instance.session_state
                self.pipeline = session.pipeline
                self.session_id = session.id
            else:
                session = self.session = None
                self.pipeline = get_pipeline()
                self.session_id = self.id  # the root of an implicit session of its own
            self.parent_id = None
            self.recording = self.pipeline.enabled
        self.order = session.next_order() if session is not None and self.recording else None
        self.start_time = time.time()

    # recording values --------------------------------------------------------------------------------

    def set_input(self, value: Any) -> Span:
        with never_raise():
            if self.recording:
                self.inputs = self.pipeline.scrubber.copy(value)
        return self

    def set_output(self, value: Any) -> Span:
        with never_raise():
            if self.recording:
                self.output = self.pipeline.scrubber.copy(value)
        return self

    def set_metadata(self, **values: Any) -> Span:
        with never_raise():
            if self.recording:
                self.fields.setdefault("metadata", {}).update(self.pipeline.scrubber.copy(values))
        return self

    def set(self, **fields: Any) -> Span:
        """Set native activity fields directly (model, provider, usage, prompt, generated, tags, ...)."""
        if self.recording:
            self.fields.update(fields)
        return self

    def set_error(self, error: BaseException | str) -> Span:
        if self.recording:
            text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            self.error = self.pipeline.scrubber.cut(text)
            if self.session is not None:
                self.session.is_error = True
        return self

    # closing -----------------------------------------------------------------------------------------

    def end(self, error: BaseException | str | None = None) -> None:
        """Close and queue the span; a second call does nothing."""
        if self.end_time is not None:
            return
        self.end_time = time.time()
        if not self.recording:
            return
        if error is not None:
            self.set_error(error)
        payload = {
            "id": self.id,
            "session_id": self.session_id,
            "activity_type": self.activity_type,
            "parent_activity_id": self.parent_id,
            "name": self.name,
            "order": self.order,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "error": self.error,
        }
        if self.inputs is not None or self.output is not None or self.activity_type != "span":
            payload.update(shape_fields(self.activity_type, self.inputs, self.output, self.fields))
        payload.update(self.fields)
        kind = TRACE if self.session_id == self.id else ACTIVITY
        self.pipeline.emit(kind, payload)
        session = self.session
        if session is not None and session.on_activity:
            notify_callbacks(session.on_activity, kind, payload)

    # the manual API: `with span(...)` / `async with span(...)` --------------------------------------

    def __enter__(self) -> Span:
        with never_raise():
            self._place(current_span.get())
            if self.recording and self.inputs is not None:
                self.inputs = self.pipeline.scrubber.copy(self.inputs)
            self._token = current_span.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        with never_raise():
            if self._token is not None:
                current_span.reset(self._token)
                self._token = None
            self.end(exc)

    async def __aenter__(self) -> Span:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)


def notify_callbacks(callbacks: list[Any], kind: int, payload: dict[str, Any]) -> None:
    snapshot = activity_snapshot(kind, payload)
    for callback in callbacks:
        with never_raise():
            callback(snapshot)


def span(name: str, as_type: str = "span", inputs: Any = None, **fields: Any) -> Span:
    """A span to use as `with span("name") as s:` (or `async with`); `s.set_output(...)` records a result."""
    return Span(name, as_type, inputs, **fields)
