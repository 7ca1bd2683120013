"""LangChain (langchain-core 1.x): a callback handler that records runs as PromptWatch activities.

Chains and runnables become `chain-sequence`, LLM and chat-model calls `llm-prompt` (prompt or messages,
generated text, model, provider, invocation params as `settings`, token usage, time to first token when
streaming; several prompts in one call make a `parallel-prompt`), tools `action`, retrievers
`retrieved-docs`. The model is the one the call asked for (the one the provider answered with goes to
`metadata.response_model`); messages keep their tool calls and their images, audio and files, a reply that
only calls tools is its calls, one with text as well keeps them in `outputs.tool_calls`. A
streamed run gets its inputs only when it ends (LangChain sends `{"input": ""}` first): they are recorded
then. LangChain's run ids give the tree; a root run goes under the open span or `PromptWatch` context.
A prompt-template or output-parser step (LangChain's `run_type` "prompt" / "parser") inside a recorded run
is no activity of its own: the template and its input values go on the LLM call that the same parent runs,
the parser's output is its chain's output, an error of either is recorded on the run LangChain names as its
parent, and runs inside it go under that run. Inside `with PromptWatch()` the
handler is added to every run through LangChain's context-var callback hook, as the published client did
(this module is loaded by the first context entered once the app has imported `langchain_core`, see
`integrations/__init__.py`); elsewhere pass `PromptWatchCallbackHandler()` in
`config={"callbacks": [...]}`. Every callback runs in `never_raise()`.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from . import LANGCHAIN_MISSING

try:
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.tracers.context import register_configure_hook
except ImportError as exc:  # pragma: no cover - exercised only without langchain-core
    raise ImportError(LANGCHAIN_MISSING) from exc

from ..sdk._safe import never_raise
from ..sdk.context import active_instance, current_span, open_instance
from ..sdk.session import PromptWatch, log_chain_answer, log_chain_question
from ..sdk.spans import Span
from ..sdk.templates import registry
from . import _langchain_values as values

_guarded = never_raise()
_FOLDED_RUN_TYPES = frozenset(("prompt", "parser"))
_DEFERRED_INPUTS = {"input": ""}  # what LangChain passes at the start of a streamed run (`stream`, `transform`)


class PromptWatchCallbackHandler(BaseCallbackHandler):
    """Records LangChain runs; one handler may serve many runs and threads (state is keyed by run id)."""

    run_inline = True  # called in the run's own context, so contextvars (the session) are right
    raise_error = False

    def __init__(self, instance: PromptWatch | None = None, *, joined: bool = False):
        """`instance`: the context whose session an explicit handler records into, also outside it. `joined`:
        made by the context itself (`attach`), so that a run it still sees after the context was left (in an
        asyncio task started inside it) is not recorded into that context's finished session."""
        self.instance = instance
        self.joined = joined
        self._runs: dict[UUID, Span] = {}
        self._folded: dict[UUID, Span] = {}  # a prompt-template or parser run -> the activity it is part of
        self._templates: dict[UUID, tuple[dict[str, Any] | None, Any]] = {}  # parent run -> (template, values)
        self._deferred: set[UUID] = set()  # streamed runs whose inputs come with their end
        self._unnamed: set[UUID] = set()  # LLM calls that asked for no model by name (named by their type)

    def span_of(self, run_id: UUID | None) -> Span | None:
        """The open activity recording run `run_id` (e.g. for `CachedLLM` to mark a cache hit on it)."""
        return self._runs.get(run_id) if run_id is not None else None

    # placing runs --------------------------------------------------------------------------------------

    def _recorded(self, run_id: UUID | None) -> Span | None:
        """The activity that run `run_id` is recorded in: its own, or that of the run a folded step is part of."""
        if run_id is None:
            return None
        return self._runs.get(run_id) or self._folded.get(run_id)

    def _open(
        self, run_id: UUID, parent_run_id: UUID | None, name: str | None, activity_type: str, **fields: Any
    ) -> Span:
        parent = self._recorded(parent_run_id)
        if parent is None:
            parent = current_span.get()
        token = None
        if parent is None and self.instance is not None and not self.joined and open_instance() is None:
            token = active_instance.set(self.instance)  # an explicit handler used outside its context
        try:
            span = Span.start(name, activity_type, parent=parent, **fields)
        finally:
            if token is not None:
                active_instance.reset(token)
        self._runs[run_id] = span
        return span

    def _close(self, run_id: UUID, error: BaseException | None = None, **fields: Any) -> Span | None:
        span = self._runs.pop(run_id, None)
        self._templates.pop(run_id, None)
        self._unnamed.discard(run_id)
        if span is not None:
            span.set(**fields)
            span.end(error)
        return span

    # chains --------------------------------------------------------------------------------------------

    @_guarded
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        enclosing = self._recorded(parent_run_id)
        if enclosing is not None and kwargs.get("run_type") in _FOLDED_RUN_TYPES:
            self._fold(run_id, parent_run_id, enclosing, serialized, inputs, kwargs["run_type"])
            return
        is_root = enclosing is None
        deferred = bool(kwargs.get("defers_inputs")) or inputs == _DEFERRED_INPUTS
        if is_root and not deferred:
            self._question_of(inputs)
        name = kwargs.get("name") or values._class_name(serialized) or "others"
        span = self._open(run_id, parent_run_id, name, "chain-sequence", sequence_type=name)
        if not span.recording:
            return
        if deferred:
            self._deferred.add(run_id)
        span.set_input(inputs if isinstance(inputs, dict) else {"input": inputs})
        if tags:
            span.set(tags=[str(tag)[:200] for tag in tags[:100]])
        if is_root and not deferred:
            self._name_session(span, inputs)

    @staticmethod
    def _name_session(span: Span, inputs: Any) -> None:
        if span.session is not None and isinstance(inputs, dict):
            span.session.name_if_unnamed(next((v for v in inputs.values() if isinstance(v, str)), None))

    def _late_inputs(self, run_id: UUID, span: Span, kwargs: dict[str, Any]) -> None:
        """A streamed run's inputs, which LangChain passes with its end (`inputs=`), in place of the start's."""
        if run_id not in self._deferred:
            return
        self._deferred.discard(run_id)
        if "inputs" not in kwargs or kwargs["inputs"] is None:
            return
        inputs = kwargs["inputs"]
        span.set_input(inputs if isinstance(inputs, dict) else {"input": inputs})
        if span.parent_id is None:
            self._question_of(inputs)
            self._name_session(span, inputs)

    def _fold(
        self, run_id: UUID, parent_run_id: UUID, enclosing: Span, serialized: Any, inputs: Any, run_type: str
    ) -> None:
        """A prompt-template or parser step becomes part of `enclosing`; a template is kept for the LLM call
        that the same parent runs next."""
        self._folded[run_id] = enclosing
        if run_type == "prompt" and enclosing.recording:
            description = values.describe_serialized_template(serialized)
            self._templates[parent_run_id] = (
                None if description is None else registry.named(description),
                values.input_values(inputs),
            )

    def _question_of(self, inputs: Any) -> None:
        """The published client's rule: a root chain asked {"question": ...} logs a question first (once:
        not again when the app has just logged it, see `log_chain_question`)."""
        if (
            isinstance(inputs, dict)
            and isinstance(inputs.get("question"), str)
            and (len(inputs) == 1 or (len(inputs) == 2 and "chat_history" in inputs))
        ):
            log_chain_question(inputs["question"])

    @_guarded
    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self._runs.get(run_id)
        if span is None:
            self._folded.pop(run_id, None)
            return
        self._late_inputs(run_id, span, kwargs)
        span.set_output(outputs if isinstance(outputs, dict) else {"output": _plain(outputs)})
        self._close(run_id)
        if span.parent_id is None and isinstance(outputs, dict) and isinstance(outputs.get("answer"), str):
            log_chain_answer(outputs["answer"])

    @_guarded
    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        enclosing = self._folded.pop(run_id, None)
        if enclosing is not None:
            enclosing.set_error(error)  # kept even when the chain recovers (a fallback, a retry)
            return
        span = self._runs.get(run_id)
        if span is not None:
            self._late_inputs(run_id, span, kwargs)
        self._close(run_id, error)

    # LLMs and chat models ------------------------------------------------------------------------------

    def _open_llm(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        serialized: Any,
        prompts: list[Any],
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        invocation = kwargs.get("invocation_params")
        model, provider = values.model_and_provider(invocation, metadata)
        name = kwargs.get("name") or values._class_name(serialized) or model
        activity_type = "llm-prompt" if len(prompts) == 1 else "parallel-prompt"
        span = self._open(run_id, parent_run_id, name, activity_type)
        if not span.recording:
            return
        scrubber = span.pipeline.scrubber
        span.set(model=model, provider=provider, settings=scrubber.copy(values.settings_of(invocation)))
        if model is not None and model == (invocation or {}).get("_type"):
            self._unnamed.add(run_id)
        if activity_type == "parallel-prompt":
            span.set(prompts=[{"prompt": scrubber.copy(prompt)} for prompt in prompts])
            return
        span.set(prompt=scrubber.copy(prompts[0]))
        template = self._templates.get(parent_run_id) if parent_run_id is not None else None
        if template is not None:
            description, input_values = template
            if description is not None:
                span.set(prompt_template=scrubber.copy(description))
            span.set(prompt_input_values=scrubber.copy(input_values))

    @_guarded
    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._open_llm(run_id, parent_run_id, serialized, list(prompts), metadata, kwargs)

    @_guarded
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        prompts = [[values.chat_message(message) for message in group] for group in messages]
        self._open_llm(run_id, parent_run_id, serialized, prompts, metadata, kwargs)

    @_guarded
    def on_llm_new_token(self, token: str, *, run_id: UUID, **kwargs: Any) -> None:
        """The first chunk with content (text or a piece of a tool call) is the first token; a chunk that only
        opens the reply (its role) is not."""
        message = getattr(kwargs.get("chunk"), "message", None)
        if not token and not getattr(message, "tool_call_chunks", None):
            return
        span = self._runs.get(run_id)
        if span is not None and span.recording and "time_to_first_token_ms" not in span.fields:
            span.set(time_to_first_token_ms=round((time.time() - span.start_time) * 1000, 3))

    @_guarded
    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self._runs.get(run_id)
        if span is None or not span.recording:
            self._close(run_id)
            return
        scrubber = span.pipeline.scrubber
        replies = [
            {"generated": scrubber.cut(reply["generated"]), "outputs": scrubber.copy(reply.get("outputs"))}
            for reply in values.replies(response)
        ]
        fields: dict[str, Any] = {"usage": values.usage_of(response)}
        model = values.response_model(response)
        if model:  # the model stays the one asked for, whether the call succeeds or fails
            span.set_metadata(response_model=model)
            if run_id in self._unnamed:
                fields["model"] = model
        if span.activity_type == "parallel-prompt":
            prompts = span.fields.get("prompts") or []
            for prompt, reply in zip(prompts, replies, strict=False):
                prompt.update((key, value) for key, value in reply.items() if value is not None)
        else:
            fields.update(replies[0] if replies else {"generated": None})
        self._close(run_id, **fields)

    @_guarded
    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error)

    # tools and retrievers ------------------------------------------------------------------------------

    @_guarded
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "tool"
        span = self._open(run_id, parent_run_id, name, "action", tool_type=name)
        if span.recording:
            scrubber = span.pipeline.scrubber
            span.set(input=scrubber.cut(str(input_str)), input_data=scrubber.copy(inputs) if inputs else None)

    @_guarded
    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self._runs.get(run_id)
        if span is not None and span.recording:
            text = values.message_text(getattr(output, "content", output))
            span.set(output=span.pipeline.scrubber.cut(text))
        self._close(run_id)

    @_guarded
    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error)

    @_guarded
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or values._class_name(serialized) or "retriever"
        span = self._open(run_id, parent_run_id, name, "retrieved-docs", documents=[])
        if span.recording:
            span.set(input=span.pipeline.scrubber.cut(str(query)))

    @_guarded
    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        span = self._runs.get(run_id)
        if span is not None and span.recording:
            documents = list(documents)[: span.pipeline.scrubber.max_items]
            span.set(
                documents=span.pipeline.scrubber.copy([values.document(doc) for doc in documents]),
                scores=values.scores(documents),
            )
        self._close(run_id)

    @_guarded
    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._close(run_id, error)


def _plain(value: Any) -> Any:
    """A run's output as data: messages and prompt values become their text."""
    if hasattr(value, "to_messages"):
        return [values.chat_message(message) for message in value.to_messages()]
    if hasattr(value, "content") and hasattr(value, "type"):
        return values.chat_message(value)
    return value


_handler_var: ContextVar[PromptWatchCallbackHandler | None] = ContextVar("promptwatch_langchain_handler", default=None)
_hook_registered = False


def attach(instance: PromptWatch) -> Any:
    """Make LangChain add a handler for `instance` to every run in this context; returns a reset token."""
    global _hook_registered
    if not _hook_registered:
        register_configure_hook(_handler_var, inheritable=True)
        _hook_registered = True
    return _handler_var.set(PromptWatchCallbackHandler(instance, joined=True))


def detach(token: Any) -> None:
    _handler_var.reset(token)


class LangChainSupport:
    """`PromptWatch(...).langchain`: the published client's LangChain helpers."""

    def __init__(self, instance: PromptWatch):
        self.instance = instance

    def get_langchain_callback_handler(self) -> PromptWatchCallbackHandler:
        handler = _handler_var.get()
        if handler is not None and handler.instance is self.instance:
            return handler
        return PromptWatchCallbackHandler(self.instance)
