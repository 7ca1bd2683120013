"""`PromptWatch`: the published client's session context, with its public API (WIRE_PROTOCOL.md §11).

    with PromptWatch(tracking_project="support-bot") as pw:
        PromptWatch.log_user_question(question)
        answer = chain.invoke({"question": question})   # LangChain is recorded automatically
        PromptWatch.log_assistant_answer(answer)

Inside the block every activity (LangChain runs, `@observe` calls, `span()` blocks, logged questions)
goes to this context's session; other threads and asyncio tasks have their own (a thread gets this one
only when it is carried there, `threads.in_context`). `current_session()` is the session under way, whose
tags and metadata the app may `update()`. Contexts nest: the inner one is a session of its own. The
published client's style without `with`, `pw.start_session()` ... `pw.finish_session()`, opens and leaves
the context just as the block does. Context hooks
(`CONTEXT_HOOKS`, filled by `promptwatch.integrations`) wire integrations in on entry, as LangChain's
callback handler is. No method raises into the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..schema.common import check_tracking_label
from ..schema.legacy import Session
from ._fields import SESSION_FIELDS, accepted
from ._safe import never_raise, warn_once
from ._wire import LEGACY, iso
from .config import TEMP_KEY_PREFIX
from .context import Activation, SessionState, current_span, new_session_id, open_instance
from .pipeline import Pipeline, get_pipeline
from .spans import Span, queue_and_notify
from .templates import register_prompt_template as _register_template


class ContextHook(Protocol):
    """An integration that joins every `PromptWatch` context (e.g. LangChain's callback handler)."""

    name: str

    def enter(self, instance: PromptWatch) -> Any: ...

    def exit(self, instance: PromptWatch, token: Any) -> None: ...

    def support(self, instance: PromptWatch) -> Any: ...


CONTEXT_HOOKS: list[ContextHook] = []


def _label(value: str | None, what: str) -> str | None:
    try:
        return check_tracking_label(value)
    except ValueError as exc:
        warn_once(f"label:{what}", f"PromptWatch ignores {what}={value!r}: it {exc}.")
        return None


class PromptWatch:
    """A session context: `with PromptWatch(...)` or `async with PromptWatch(...)`. `tags` and `metadata` go
    on each of its sessions (`current_session().update()` changes them for the session under way)."""

    def __init__(
        self,
        session_id: str | None = None,
        tracking_project: str | None = None,
        tracking_tenant: str | None = None,
        api_key: str | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self.pipeline: Pipeline = get_pipeline(api_key)
        key_id = self.pipeline.key_id
        self._forced_session_id = (
            key_id[len(TEMP_KEY_PREFIX) :] if key_id and key_id.startswith(TEMP_KEY_PREFIX) else None
        )
        if self._forced_session_id and session_id and session_id != self._forced_session_id:
            warn_once("temp-key", "A temporary API key fixes the session id; the session_id given is ignored.")
        self.tracking_project = _label(tracking_project or self.pipeline.config.tracking_project, "tracking_project")
        self.tracking_tenant = _label(tracking_tenant, "tracking_tenant")
        self._session_fields: dict[str, Any] = {}  # tags and metadata, as the API takes them
        with never_raise():
            if self.pipeline.enabled:
                copy = self.pipeline.scrubber.copy
                fields = {"tags": copy(tags), "metadata": copy(metadata)}
                self._session_fields = accepted(fields, of=SESSION_FIELDS)
        self._callbacks: list[Callable[[dict[str, Any]], None]] = []
        self._context: dict[str, Any] = {}
        self._entered: list[Activation] = []  # by `with` blocks, innermost last
        self._started: Activation | None = None  # by start_session() outside `with`; finish_session() leaves it
        self.session_state = self._new_state(session_id)

    def _new_state(self, session_id: str | None) -> SessionState:
        return SessionState(
            self.pipeline,
            self._forced_session_id or session_id,
            self.tracking_project,
            self.tracking_tenant,
            self._callbacks,
            **self._session_fields,
        )

    # the context ---------------------------------------------------------------------------------------

    def __enter__(self) -> PromptWatch:
        self._entered.append(self._activate())
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        entered = self._entered.pop() if self._entered else None
        with never_raise():
            if entered is not None:
                entered.undo()  # the innermost first: context variables are reset in the reverse order
            if exc is not None and not isinstance(exc, GeneratorExit):
                self.session_state.is_error = True
            self.finish_session()

    def _activate(self) -> Activation:
        """Make this the innermost open context here: its session gets the activities, hooks join it."""
        activation = Activation(self)
        with never_raise():
            for hook in CONTEXT_HOOKS:
                with never_raise():
                    activation.hooks.append((hook, hook.enter(self)))
        return activation

    async def __aenter__(self) -> PromptWatch:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    # sessions ------------------------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self.session_state.id

    @property
    def current_session(self) -> Session:
        state = self.session_state
        return Session(
            id=state.id,
            session_name=state.name,
            tracking_project=state.tracking_project,
            tracking_tenant=state.tracking_tenant,
            steps_count=state.steps_count,
            is_error=state.is_error,
            start_time=iso(state.start_time),
            end_time=iso(state.end_time) if state.end_time else None,
        )

    @property
    def current_activity(self) -> Span | None:
        """The innermost open activity in this flow of control (an `@observe` call, a span, a run)."""
        return current_span.get()

    def set_session_name(self, name: str) -> None:
        self.session_state.name = name

    def start_session(self, session_id: str | None = None) -> str:
        """Use a session with this id from now on (a new one when the current one recorded anything).

        Outside a `with` block this opens the context as entering `with` does (the class-level log
        helpers and LangChain record into this session) until `finish_session()`, as the published
        client's `start_session()` did."""
        with never_raise():
            state = self.session_state
            if session_id is not None or state.end_time is not None or state.announced:
                state.finish()
                self.session_state = self._new_state(session_id)
            if self._started is None and open_instance() is not self:
                self._started = self._activate()
        return self.session_state.id

    def start_new_session(self) -> str:
        """Finish the current session and go on in a new one."""
        return self.start_session(new_session_id())

    def finish_session(self) -> None:
        """Close the session; a context that `start_session()` opened is left, as exiting `with` does."""
        with never_raise():
            self.session_state.finish()
            started, self._started = self._started, None
            if started is not None and not started.undo():  # started in another thread or task
                started.left = True

    @classmethod
    def get_active_instance(cls) -> PromptWatch | None:
        return open_instance()

    @classmethod
    def get_current_session(cls) -> Session | None:
        instance = open_instance()
        return instance.current_session if instance is not None else None

    # context values, callbacks, templates, integrations ------------------------------------------------

    def add_context(self, key: str, value: Any) -> None:
        self._context[key] = value

    def get_context(self, key: str, default: Any = None) -> Any:
        return self._context.get(key, default)

    def add_on_activity_callback(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback(activity)` with the wire form (a dict) of each activity this context records."""
        self._callbacks.append(callback)

    def register_prompt_template(self, name: str, template: Any, version: str | None = None) -> Any:
        """Name a template (see `promptwatch.register_prompt_template`); returns `template`."""
        with never_raise():
            _register_template(name, template, version)
        return template

    @property
    def langchain(self) -> Any:
        """LangChain support: `.get_langchain_callback_handler()` (needs `promptwatch[langchain]`)."""
        for hook in CONTEXT_HOOKS:
            if hook.name == "langchain":
                return hook.support(self)
        raise ImportError("LangChain support is not installed: pip install 'promptwatch[langchain]'")

    # logging -------------------------------------------------------------------------------------------

    @classmethod
    def log_user_question(cls, text: str, metadata: dict[str, Any] | None = None) -> None:
        with never_raise():
            session = _question(text, metadata)
            if session is not None:
                session.asked_question = text

    @classmethod
    def log_assistant_answer(
        cls,
        text: str,
        feedback_label: int | None = None,
        feedback_rating: int | None = None,
        feedback_notes: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        with never_raise():
            feedback = {
                "feedback_label": feedback_label,
                "feedback_rating": feedback_rating,
                "feedback_notes": feedback_notes,
            }
            session = _session_of_context()
            answered = session.chain_answer if session is not None else None
            if session is not None:
                session.chain_answer = None
            if answered is not None and _same_text(answered[0], text):
                # the root chain that produced it has just recorded it: what this call adds goes on that answer
                answer = answered[1]
                copied = answer.pipeline.scrubber.copy(metadata) if metadata else None
                answer.amend(**accepted({"metadata": copied, **feedback}))
                return
            _logged("answer", text, metadata, as_root=True, **feedback)

    @classmethod
    def log(cls, text: str, error_msg: str | None = None, metadata: dict[str, Any] | None = None) -> None:
        """Record a log line; one with `error_msg` also makes its session an error session."""
        with never_raise():
            span = _logged("log", text, metadata, as_root=False, error=error_msg)
            if error_msg is not None and span is not None and span.session is not None:
                span.session.is_error = True

    @classmethod
    def log_activity(cls, activity: Any) -> None:
        """Record a `promptwatch.schema.legacy` activity (`Question(...)`, `RetrievedDocuments(...)`, ...)."""
        with never_raise():
            if not hasattr(activity, "model_dump") or not hasattr(activity, "activity_type"):
                warn_once(
                    "log_activity",
                    "PromptWatch.log_activity() takes an activity model such as "
                    "RetrievedDocuments(...); this one was ignored.",
                )
                return
            anchor = Span.start(None, activity.activity_type, parent=_anchor(as_root=False))
            if not anchor.recording:
                return
            if activity.error and anchor.session is not None:
                anchor.session.is_error = True
            event = (LEGACY, (activity, anchor.session_id, anchor.parent_id, anchor.order))
            if anchor.session is not None and anchor.session.on_activity:
                queue_and_notify(anchor.pipeline, anchor.session.on_activity, event)
            else:
                anchor.pipeline.emit(event)


def current_session() -> SessionState:
    """The session of the innermost open `PromptWatch` context here, e.g. to `current_session().update(tags=[...])`
    once the app knows them. Where none is open, a session that records nothing (its `update()` warns once), so
    that calling it is always safe."""
    with never_raise():
        instance = open_instance()
        if instance is not None:
            return instance.session_state
    return _NoSession(get_pipeline())


class _NoSession(SessionState):
    """What `current_session()` is outside any `PromptWatch` context: never sent, its updates left out."""

    def update(self, **fields: Any) -> SessionState:
        if self.pipeline.enabled:
            warn_once(
                "session update outside",
                "PromptWatch: current_session().update() was called outside any PromptWatch context (outside "
                "`with PromptWatch(...)`, or in a thread it was not carried into with promptwatch.in_context()); "
                "the tags and metadata were left out.",
            )
        return self


def _anchor(as_root: bool) -> Any:
    """The parent of a logged activity: the context's root for questions and answers, else the open span."""
    if as_root and open_instance() is not None:
        return None
    return current_span.get()


def _question(text: str, metadata: dict[str, Any] | None) -> SessionState | None:
    """Record a question at the root; returns its session (named after it if it had no name yet)."""
    span = _logged("question", text, metadata, as_root=True)
    if span is None or span.session is None:
        return None
    span.session.name_if_unnamed(text)
    return span.session


def _session_of_context() -> SessionState | None:
    """The session that a question or an answer logged now belongs to."""
    instance, span = open_instance(), current_span.get()
    return instance.session_state if instance is not None else span.session if span is not None else None


def log_chain_question(text: str) -> None:
    """The published client's automatic question of a root chain asked `{"question": text}`, unless the app
    logged this very question (`log_user_question`) since the last root chain took one: one question a turn."""
    session = _session_of_context()
    asked = session.asked_question if session is not None else None
    if session is not None:
        session.asked_question = None
    if not _same_text(asked, text):
        _question(text, None)


def _same_text(logged: str | None, text: str) -> bool:
    """Whether the app logged this text, whatever white space surrounds either (`"Why? "` is `"Why?"`)."""
    return isinstance(logged, str) and isinstance(text, str) and logged.strip() == text.strip()


def log_chain_answer(text: str) -> None:
    """The published client's automatic answer of a root chain that returned `{"answer": text}`. The app
    logging the same text right after (`log_assistant_answer`, before any other activity of the session)
    records no second answer: its feedback and metadata are added to this one. One answer a turn."""
    answer = _logged("answer", text, None, as_root=True)
    if answer is not None and answer.session is not None:
        answer.session.chain_answer = (text, answer)


def _logged(
    activity_type: str,
    text: str,
    metadata: dict[str, Any] | None,
    as_root: bool,
    error: str | None = None,
    **fields: Any,
) -> Span | None:
    span = Span.start(None, activity_type, parent=_anchor(as_root))
    if not span.recording:
        return None
    scrubber = span.pipeline.scrubber
    copied = scrubber.copy(metadata) if metadata else None
    # a value the API would refuse is left out (one warning), so the rest of the activity is still stored
    span.set(text=scrubber.cut(str(text)), **accepted({"metadata": copied, **fields}))
    span.end(error)
    return span
