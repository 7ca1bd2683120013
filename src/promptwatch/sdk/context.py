"""Where an activity belongs: the context variables of the open session and activity, and a session's state.

`ContextVar`s carry everything, so threads and asyncio tasks never see each other's sessions:
`active_instance` is the innermost open `PromptWatch` context (read it through `open_instance()`),
`current_span` the innermost open activity (an `@observe` call, a `span()` block, a LangChain run being
recorded) and `current_activation` the opening of the context that set them (`Activation`). A
`SessionState` is one session of a `PromptWatch` context: it numbers its activities, is announced to the
server with its first activity (a context that records nothing sends nothing), sent again when the app
updates its tags or metadata, and sent again, closed, when it finishes. Other threads see none of this
unless the app carries the context there (`threads.in_context`).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from ._fields import SESSION_FIELDS, accepted
from ._safe import never_raise
from ._wire import SESSION

if TYPE_CHECKING:
    from .pipeline import Pipeline
    from .session import PromptWatch
    from .spans import Span

active_instance: ContextVar[PromptWatch | None] = ContextVar("promptwatch_instance", default=None)
current_span: ContextVar[Span | None] = ContextVar("promptwatch_span", default=None)
current_activation: ContextVar[Activation | None] = ContextVar("promptwatch_activation", default=None)


class Activation:
    """One opening of a `PromptWatch` context in one flow of control (thread or asyncio task), with the tokens
    that undo it there and the integrations that joined it. `finish_session()` in another flow cannot reset
    this one's variables: it marks the activation `left`, and `open_instance()` undoes it at this flow's next
    use of the SDK; a copy of this flow's context made while it was open (a task started inside it) stops
    seeing it as well."""

    __slots__ = ("instance", "hooks", "left", "_tokens")

    def __init__(self, instance: PromptWatch) -> None:
        self.instance = instance
        self.hooks: list[tuple[Any, Any]] = []  # (context hook, what its `exit` takes)
        self.left = False
        self._tokens = (active_instance.set(instance), current_span.set(None), current_activation.set(self))

    def undo(self) -> bool:
        """Undo it here; False, changing nothing, when here is not the flow of control it was made in."""
        instance_token, span_token, activation_token = self._tokens
        try:
            current_activation.reset(activation_token)
        except (ValueError, RuntimeError):  # the token belongs to another context, or was used there
            return False
        current_span.reset(span_token)
        active_instance.reset(instance_token)
        while self.hooks:
            hook, token = self.hooks.pop()
            with never_raise():
                hook.exit(self.instance, token)
        return True

    def hide(self) -> None:
        """In a copy of the context it was made in, where it cannot be undone: show what was open before it."""
        for var, token in zip((active_instance, current_span, current_activation), self._tokens):
            var.set(None if token.old_value is Token.MISSING else token.old_value)


def open_instance() -> PromptWatch | None:
    """The innermost open `PromptWatch` context here, once any that was left from another flow is undone."""
    activation = current_activation.get()
    while activation is not None and activation.left:
        if not activation.undo():
            activation.hide()
        activation = current_activation.get()
    return active_instance.get()


def new_session_id() -> str:
    return str(uuid.uuid4())


class SessionState:
    """One session of a `PromptWatch` context."""

    def __init__(
        self,
        pipeline: Pipeline,
        session_id: str | None = None,
        tracking_project: str | None = None,
        tracking_tenant: str | None = None,
        on_activity: list[Callable[[dict[str, Any]], None]] | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self.pipeline = pipeline
        self.id = session_id or new_session_id()
        self.name: str | None = None
        self.tracking_project = tracking_project
        self.tracking_tenant = tracking_tenant
        self.tags = tags
        self.metadata = metadata
        self.start_time = time.time()
        self.end_time: float | None = None
        self.is_error = False
        self.announced = False
        self.asked_question: str | None = None  # logged by the app, not yet taken by a root chain run
        # (text, activity) of the answer the last root chain run logged, not yet repeated by the app
        self.chain_answer: tuple[str, Span] | None = None
        self.on_activity = on_activity if on_activity is not None else []
        self._steps = itertools.count(1)
        self.steps_count = 0

    def next_order(self) -> int:
        """The next activity's 1-based step number; announces the session with its first activity."""
        self.steps_count = order = next(self._steps)
        self.chain_answer = None  # an answer the app logs now is no longer the one the chain just logged
        if not self.announced:
            self.announced = True
            self.pipeline.emit((SESSION, self.record()))
        return order

    def name_if_unnamed(self, name: Any) -> None:
        if self.name is None and isinstance(name, str) and name.strip():
            self.name = name[:1000]

    def update(self, **fields: Any) -> SessionState:
        """Set the session's `tags` (a list of texts) and `metadata` (a JSON object) as bounded copies, in place
        of those it had; a field given as None stays as it was. A name the session does not take, or a value the
        API would refuse, is left out with one warning (of a list or a mapping, only the entries it would
        refuse). A session announced already is sent again now, so the server has them before it ends."""
        with never_raise():
            if not self.pipeline.enabled:
                return self
            copy = self.pipeline.scrubber.copy
            kept = accepted({name: copy(value) for name, value in fields.items()}, of=SESSION_FIELDS)
            for name, value in kept.items():
                setattr(self, name, value)
            if self.announced:
                self.pipeline.emit((SESSION, self.record()))
        return self

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_name": self.name,
            "tracking_project": self.tracking_project,
            "tracking_tenant": self.tracking_tenant,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "is_error": self.is_error,
            "tags": self.tags,
            "metadata": self.metadata,
        }

    def finish(self) -> None:
        """Close the session; sent only if it was announced (it recorded something)."""
        if self.end_time is None:
            self.end_time = time.time()
            if self.announced:
                self.pipeline.emit((SESSION, self.record()))
