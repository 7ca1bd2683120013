"""`Span`: one activity being recorded, and `span()`, the manual API for code that is not LangChain.

    with promptwatch.span("rerank", inputs={"query": q}) as s:
        ranked = rerank(q, docs)
        s.set_output(ranked)

A span finds its place when it starts: under the innermost open span (same session), else at the root of
the open `PromptWatch` context's session, else as the root of a new trace that is its own session. It is
queued once, when it ends, as a tuple of its attributes (the `ACTIVITY` event of `_wire`): the worker
thread builds the wire item, so the caller builds no dict, and a tuple of plain values is one the garbage
collector stops tracking, however long the queue (a session with `on_activity` callbacks is the
exception: they are given the wire item at once, and that is what is queued). Once ended a span no
longer changes (the setters do nothing; `amend()` queues a new copy with a new dict), so the dicts the
tuple shares with it are the worker's alone.
Values given to `set_input`/`set_output`/`set_metadata`/`update` are bounded copies (of an embeddings call's
result, its counts: `kept()`). Integrations build their activities with the same class
(`Span.start(parent=...)`) and `set()` the fields they have copied already.
`current_activity()` is the innermost open activity, for the app to add to it from inside (`update(model=...)`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from . import pipeline as pipelines
from ._fields import accepted
from ._ids import POOL as _ID_POOL
from ._ids import new_id
from ._safe import never_raise
from ._shapes import embedding_result
from ._wire import ACTIVITY, built
from .context import current_span, open_instance

_FROM_CONTEXT: Any = object()
_allocate = object.__new__
_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
"""A span's `fields` until something is set: read-only and shared, so a span that sets none allocates none."""


class Span:
    """An open activity; `end()` queues it. Not thread-safe: one span is written by one flow of control
    until it ends, and only read (by the worker thread) after."""

    __slots__ = (
        "id",
        "name",
        "activity_type",
        "pipeline",
        "session",
        "session_id",
        "parent_id",
        "order",
        "start_time",
        "end_time",
        "error",
        "inputs",
        "output",
        "fields",
        "recording",
        "_token",
    )

    def __init__(self, name: str | None = None, activity_type: str = "span", inputs: Any = None, **fields: Any):
        self.id = new_id()
        self.name = name
        self.activity_type = activity_type
        self.inputs = inputs
        self.output: Any = None
        self.fields: Mapping[str, Any] = fields or _NO_FIELDS
        self.error: str | None = None
        self.end_time: float | None = None
        self.recording = False
        self._token: Any = None

    @classmethod
    def start(
        cls,
        name: str | None = None,
        activity_type: str = "span",
        parent: Any = _FROM_CONTEXT,
        inputs: Any = None,
        **fields: Any,
    ) -> Span:
        """Open a span without making it current (integrations: `parent` is the span it belongs under)."""
        span = opened(cls, name, activity_type, current_span.get() if parent is _FROM_CONTEXT else parent)
        span.inputs = inputs
        if fields:
            span.fields = fields
        return span

    def _place(self, parent: Span | None) -> None:
        if parent is not None:
            self.pipeline = parent.pipeline
            self.session = session = parent.session
            self.session_id = parent.session_id
            self.parent_id = parent.id
            self.recording = recording = parent.recording
        else:
            instance = open_instance()
            if instance is not None:
                session = self.session = instance.session_state
                self.pipeline = pipeline = session.pipeline
                self.session_id = session.id
            else:
                session = self.session = None
                # the default pipeline as a module global, no call (`get_pipeline()` builds it the first time)
                self.pipeline = pipeline = pipelines._default or pipelines.get_pipeline()
                self.session_id = self.id  # the root of an implicit session of its own
            self.parent_id = None
            self.recording = recording = pipeline.enabled
        self.order = session.next_order() if session is not None and recording else None
        self.start_time = time.time()

    # recording values --------------------------------------------------------------------------------

    @property
    def _writable(self) -> bool:
        """Recording and not ended yet: what the setters require (an ended span belongs to the worker)."""
        return self.recording and self.end_time is None

    def set_input(self, value: Any) -> Span:
        with never_raise():
            if self._writable:
                self.inputs = self.pipeline.scrubber.copy(value)
        return self

    def set_output(self, value: Any) -> Span:
        with never_raise():
            if self._writable:
                self.output = self.kept(value)
        return self

    def kept(self, value: Any) -> Any:
        """What the span keeps of a result: a bounded copy; of an embeddings call, what `embedding_result` reads
        of it (how many vectors of how many dimensions, the usage), never the vectors."""
        if self.activity_type == "embedding":
            return embedding_result(value)
        return self.pipeline.scrubber.copy(value)

    def set_metadata(self, **values: Any) -> Span:
        with never_raise():
            if self._writable:
                metadata = self.fields.get("metadata") or {}
                self.set(metadata={**metadata, **self.pipeline.scrubber.copy(values)})
        return self

    def update(self, **fields: Any) -> Span:
        """Set fields of the activity as bounded copies: `model`, `provider`, `usage` (`{"prompt_tokens": ...,
        "completion_tokens": ...}`, which the server prices), `settings`, `prompt`, `generated`, `tags`, ...
        (those of `POST /api/v1/ingest`). A name the activity does not have, or a value the API would refuse
        (which would cost the whole activity), is left out with one warning; of a mapping such as `usage`, or
        a list such as `tags`, only the entries the API would refuse are."""
        with never_raise():
            if self._writable:
                copy = self.pipeline.scrubber.copy
                self.set(**accepted({name: copy(value) for name, value in fields.items()}, clear=True))
        return self

    def set(self, **fields: Any) -> Span:
        """Set native activity fields to values as they are (integrations: values they have copied already)."""
        if self._writable:
            if self.fields is _NO_FIELDS:
                self.fields = fields
            else:
                self.fields.update(fields)  # type: ignore[attr-defined]
        return self

    def set_error(self, error: BaseException | str) -> Span:
        """Record the activity's error. Its session is an error session only when the error leaves the
        session (its `with` block, or the root of an implicit session) or the app logs one."""
        if self._writable:
            text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
            self.error = self.pipeline.scrubber.cut(text)
        return self

    # closing -----------------------------------------------------------------------------------------

    def end(self, error: BaseException | str | None = None) -> None:
        """Close and queue the span; a second call does nothing, and so do the setters from now on."""
        if self.end_time is not None:
            return
        if error is not None:
            self.set_error(error)
        self.end_time = time.time()
        if self.recording:
            self._queue()

    def amend(self, **fields: Any) -> None:
        """Queue this ended activity again with `fields` added (those given as None are left as they were).
        The copy ends later, so the server takes it as an update of the one it holds (the same id)."""
        fields = {key: value for key, value in fields.items() if value is not None}
        if not fields or not self.recording or self.end_time is None:
            return
        self.fields = {**self.fields, **fields}  # a new dict: the queued copy keeps its own
        # later than the copy sent, also in the microseconds the wire carries (a float time is ~0.2 µs precise)
        self.end_time = max(time.time(), self.end_time + 0.001)
        self._queue()

    def _queue(self) -> None:
        fields = self.fields
        event = (  # the layout `_wire.activity_item` reads
            ACTIVITY,
            self.id,
            self.session_id,
            self.activity_type,
            self.parent_id,
            self.name,
            self.order,
            self.start_time,
            self.end_time,
            self.error,
            self.inputs,
            self.output,
            None if fields is _NO_FIELDS else fields,
        )
        session = self.session
        if session is not None and session.on_activity:
            queue_and_notify(self.pipeline, session.on_activity, event)
        else:
            self.pipeline.emit(event)

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


def opened(cls: type[Span], name: str | None, activity_type: str, parent: Span | None) -> Span:
    """`cls(name, activity_type)` placed under `parent` at once, without `__init__` (a class call and a
    keyword dict, ~0.1 µs): every traced call opens one."""
    span = _allocate(cls)
    try:
        span.id = _ID_POOL.pop() if _ID_POOL else new_id()  # the pool: formatted by the worker thread
    except IndexError:  # another thread took the last one
        span.id = new_id()
    span.name = name
    span.activity_type = activity_type
    span.inputs = span.output = span.error = span.end_time = span._token = None
    span.fields = _NO_FIELDS
    span._place(parent)
    return span


def queue_and_notify(pipeline: Any, callbacks: list[Any], event: tuple[Any, ...]) -> None:
    """Queue an activity event and call each `on_activity` callback with its wire form. The form is made
    here, for the callbacks, and queued in place of the event, so the worker does not make it again; the
    callbacks share a copy of it, so what they change at its top level is not sent."""
    try:
        event = built(event)
    finally:
        pipeline.emit(event)  # unconvertible: the raw event, which the worker counts as dropped
    snapshot = dict(event[1])
    for callback in callbacks:
        with never_raise():
            callback(snapshot)


def span(name: str, as_type: str = "span", inputs: Any = None, **fields: Any) -> Span:
    """A span to use as `with span("name") as s:` (or `async with`); `s.set_output(...)` records a result."""
    return Span(name, as_type, inputs, **fields)


def current_activity() -> Span:
    """The innermost open activity here: an `@observe` call, a `span()` block or a LangChain run, e.g. to
    `current_activity().update(model=..., usage=...)` from inside an `@observe(as_type="llm-prompt")` function.
    Where none is open (or the SDK is off), a span that records nothing, so that calling it is always safe."""
    return current_span.get() or Span()
