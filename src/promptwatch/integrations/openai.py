"""OpenAI Python client: `instrument_openai(client)` records its calls as `llm-prompt` activities, and its
embeddings calls as `embedding` activities.

    client = instrument_openai(OpenAI())          # or AsyncOpenAI(); `wrap` is the same function

Only that client object is changed (its `chat.completions.create`, `responses.create` and
`embeddings.create`); nothing is patched on import or globally. Each call records the model it asked for
(the model the provider answered with goes to `metadata.response_model`), the settings it was called with
(`stream: true` for a stream), the messages (as [{role, text}] with their other fields, such as `tool_calls`
and `tool_call_id`, and their content parts that are not text, such as images, kept; the Responses API's
items without a role too), the output text and tool calls (`sdk._shapes.reply_fields`: a reply that only
calls tools is its calls as JSON, [{id, name, arguments}], as the OTLP mapping shows them; one with text as
well keeps them in `outputs.tool_calls`), token usage and errors; a stream (`stream=True`) is recorded as it
is read, with the time to its first token (text or a tool call) and, when the server sends it, its usage. An
embeddings call records its input (a text, or a list of texts; token ids are no text and are recorded as
""), its settings (`dimensions`, `encoding_format`...), its usage, and how many vectors of how many
dimensions came back (`outputs`), never the vectors. The call, its result and its exceptions are the
client's own, untouched.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from ..sdk._safe import never_raise
from ..sdk._shapes import chat_messages, embedded_texts, reply_fields, token_usage, vector_counts
from ..sdk.spans import Span

_guard = never_raise()
_NOT_SETTINGS = {"messages", "input", "instructions", "model", "extra_headers", "extra_query", "extra_body", "timeout"}


def _as_dict(item: Any) -> Any:
    """A message as a dict: the client's own message objects (a reply sent back) as their JSON form."""
    if hasattr(item, "model_dump"):
        return item.model_dump(exclude_none=True)
    return dict(item) if not isinstance(item, dict) else item


def _messages(items: Any) -> list[dict[str, Any]]:
    return chat_messages([_as_dict(item) for item in items or []])


def _call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    return {"id": call_id, "name": name, "arguments": arguments}


class _ToolCalls:
    """A stream's tool calls, put together from their pieces (by index: id and name once, arguments in parts)."""

    def __init__(self) -> None:
        self.calls: dict[int, dict[str, Any]] = {}

    def add(self, deltas: Any) -> None:
        for delta in deltas:
            call = self.calls.setdefault(getattr(delta, "index", None) or 0, _call(None, None, ""))
            function = getattr(delta, "function", None)
            call["id"] = getattr(delta, "id", None) or call["id"]
            call["name"] = getattr(function, "name", None) or call["name"]
            call["arguments"] += getattr(function, "arguments", None) or ""

    def listed(self) -> list[dict[str, Any]]:
        return [self.calls[index] for index in sorted(self.calls)]


class _Generation:
    """An API whose calls are LLM calls (`llm-prompt`): its `result` gives the reply's text, tool calls, usage
    and model."""

    activity_type = "llm-prompt"

    @classmethod
    def finish(cls, span: Span, response: Any) -> None:
        _finish(span, *cls.result(response))


class _Chat(_Generation):
    """`chat.completions.create`."""

    name = "openai.chat.completions"

    @staticmethod
    def prompt(kwargs: dict[str, Any]) -> Any:
        return _messages(kwargs.get("messages"))

    @staticmethod
    def result(response: Any) -> tuple[str | None, list[dict[str, Any]], Any, str | None]:
        choices = getattr(response, "choices", None) or []
        message = getattr(choices[0], "message", None) if choices else None
        calls = [
            _call(
                getattr(call, "id", None),
                getattr(getattr(call, "function", None), "name", None),
                getattr(getattr(call, "function", None), "arguments", None),
            )
            for call in getattr(message, "tool_calls", None) or []
        ]
        return (
            getattr(message, "content", None),
            calls,
            getattr(response, "usage", None),
            getattr(response, "model", None),
        )

    @staticmethod
    def chunk(chunk: Any) -> tuple[str | None, Any, str | None, Any]:
        choices = getattr(chunk, "choices", None) or []
        delta = getattr(choices[0], "delta", None) if choices else None
        return (
            getattr(delta, "content", None),
            getattr(chunk, "usage", None),
            getattr(chunk, "model", None),
            getattr(delta, "tool_calls", None),
        )


class _Responses(_Generation):
    """`responses.create`."""

    name = "openai.responses"

    @staticmethod
    def prompt(kwargs: dict[str, Any]) -> Any:
        source = kwargs.get("input")
        messages = [{"role": "user", "text": source}] if isinstance(source, str) else _messages(source)
        if kwargs.get("instructions"):
            messages.insert(0, {"role": "system", "text": str(kwargs["instructions"])})
        return messages

    @staticmethod
    def calls(response: Any) -> list[dict[str, Any]]:
        return [
            _call(getattr(item, "call_id", None), getattr(item, "name", None), getattr(item, "arguments", None))
            for item in getattr(response, "output", None) or []
            if getattr(item, "type", "") == "function_call"
        ]

    @staticmethod
    def result(response: Any) -> tuple[str | None, list[dict[str, Any]], Any, str | None]:
        return (
            getattr(response, "output_text", None),
            _Responses.calls(response),
            getattr(response, "usage", None),
            getattr(response, "model", None),
        )

    @staticmethod
    def chunk(event: Any) -> tuple[str | None, Any, str | None, Any]:
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta":
            return getattr(event, "delta", None), None, None, None
        if kind == "response.function_call_arguments.delta":
            return None, None, None, True  # a tool call's first piece: the first token
        if kind == "response.completed":
            response = getattr(event, "response", None)
            return None, getattr(response, "usage", None), getattr(response, "model", None), None
        return None, None, None, None

    @staticmethod
    def streamed_calls(event: Any) -> list[dict[str, Any]]:
        if getattr(event, "type", "") == "response.completed":
            return _Responses.calls(getattr(event, "response", None))
        return []


class _Embeddings:
    """`embeddings.create`: an `embedding` activity."""

    name = "openai.embeddings"
    activity_type = "embedding"

    @staticmethod
    def prompt(kwargs: dict[str, Any]) -> str | list[str]:
        return embedded_texts(kwargs.get("input"))

    @staticmethod
    def finish(span: Span, response: Any) -> None:
        vectors = getattr(response, "data", None) or []
        span.set(outputs=vector_counts(vectors), usage=token_usage(getattr(response, "usage", None)))
        _end(span, getattr(response, "model", None))


def _start(api: Any, kwargs: dict[str, Any]) -> Span | None:
    span = Span.start(api.name, api.activity_type)
    if not span.recording:
        return None
    scrubber = span.pipeline.scrubber
    settings = {key: value for key, value in kwargs.items() if key not in _NOT_SETTINGS}
    span.set(
        model=str(kwargs.get("model")),
        provider="openai",
        prompt=scrubber.copy(api.prompt(kwargs)),
        settings=scrubber.copy(settings) or None,
    )
    return span


def _finish(span: Span, text: str | None, calls: list[dict[str, Any]], usage: Any, model: str | None) -> None:
    scrubber = span.pipeline.scrubber
    reply = reply_fields(text, calls)
    generated = reply["generated"]
    span.set(
        generated=None if generated is None else scrubber.cut(generated),
        outputs=scrubber.copy(reply.get("outputs")),
        usage=token_usage(usage),
    )
    _end(span, model)


def _end(span: Span, model: str | None) -> None:
    """End a call that succeeded; the model the provider answered with goes to `metadata.response_model`."""
    if model:  # the model stays the one asked for, whether the call succeeds or fails
        span.set_metadata(response_model=str(model)[:200])
    span.end()


class _StreamRecorder:
    """Collects a stream's pieces as the caller reads them; ends the span when the stream ends."""

    def __init__(self, span: Span, api: Any):
        self.span, self.api = span, api
        self.pieces: list[str] = []
        self.tool_calls = _ToolCalls()
        self.completed_calls: list[dict[str, Any]] = []  # the Responses API's, from its final event
        self.usage: Any = None
        self.model: str | None = None
        self.first_token = False

    def add(self, item: Any) -> None:
        text, usage, model, calls = self.api.chunk(item)
        if (text or calls) and not self.first_token:
            self.first_token = True
            self.span.set(time_to_first_token_ms=round((time.time() - self.span.start_time) * 1000, 3))
        if text:
            self.pieces.append(text)
        if isinstance(calls, list):
            self.tool_calls.add(calls)
        if hasattr(self.api, "streamed_calls"):
            self.completed_calls = self.api.streamed_calls(item) or self.completed_calls
        self.usage = usage or self.usage
        self.model = model or self.model

    def end(self, error: BaseException | None = None) -> None:
        if error is not None:
            self.span.end(error)
        else:
            calls = self.completed_calls or self.tool_calls.listed()
            _finish(self.span, "".join(self.pieces), calls, self.usage, self.model)


class RecordedStream:
    """A `Stream` that records what is read from it; everything else is the wrapped stream's."""

    def __init__(self, stream: Any, recorder: _StreamRecorder):
        self._stream, self._recorder = stream, recorder

    def __iter__(self) -> Any:
        try:
            for item in self._stream:
                with _guard:
                    self._recorder.add(item)
                yield item
        except GeneratorExit:  # the reader stopped early: what was read is the output
            with _guard:
                self._recorder.end()
            raise
        except BaseException as exc:
            with _guard:
                self._recorder.end(exc)
            raise
        with _guard:
            self._recorder.end()

    def __enter__(self) -> RecordedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        with _guard:
            self._recorder.end()
        self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class AsyncRecordedStream:
    """An `AsyncStream` that records what is read from it."""

    def __init__(self, stream: Any, recorder: _StreamRecorder):
        self._stream, self._recorder = stream, recorder

    async def __aiter__(self) -> Any:
        try:
            async for item in self._stream:
                with _guard:
                    self._recorder.add(item)
                yield item
        except GeneratorExit:  # the reader stopped early: what was read is the output
            with _guard:
                self._recorder.end()
            raise
        except BaseException as exc:
            with _guard:
                self._recorder.end(exc)
            raise
        with _guard:
            self._recorder.end()

    async def __aenter__(self) -> AsyncRecordedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        with _guard:
            self._recorder.end()
        await self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _recorded(span: Span, api: Any, result: Any, streaming: bool, is_async: bool) -> Any:
    if streaming:
        return (AsyncRecordedStream if is_async else RecordedStream)(result, _StreamRecorder(span, api))
    api.finish(span, result)
    return result


def _wrap(create: Any, api: Any) -> Any:
    if inspect.iscoroutinefunction(inspect.unwrap(create)):

        async def create_async(*args: Any, **kwargs: Any) -> Any:
            span = None
            with _guard:
                span = _start(api, kwargs)
            if span is None:
                return await create(*args, **kwargs)
            try:
                result = await create(*args, **kwargs)
            except BaseException as exc:
                with _guard:
                    span.end(exc)
                raise
            with _guard:
                return _recorded(span, api, result, bool(kwargs.get("stream")), True)
            return result

        wrapper = create_async
    else:

        def create_sync(*args: Any, **kwargs: Any) -> Any:
            span = None
            with _guard:
                span = _start(api, kwargs)
            if span is None:
                return create(*args, **kwargs)
            try:
                result = create(*args, **kwargs)
            except BaseException as exc:
                with _guard:
                    span.end(exc)
                raise
            with _guard:
                return _recorded(span, api, result, bool(kwargs.get("stream")), False)
            return result

        wrapper = create_sync
    wrapper.__wrapped__ = create  # type: ignore[attr-defined]
    wrapper.__doc__ = create.__doc__
    return wrapper


def instrument_openai(client: Any) -> Any:
    """Record every `chat.completions.create`, `responses.create` and `embeddings.create` call of this
    (Async)OpenAI client."""
    if getattr(client, "_promptwatch_instrumented", False):
        return client
    completions = client.chat.completions
    completions.create = _wrap(completions.create, _Chat)
    for name, api in (("responses", _Responses), ("embeddings", _Embeddings)):
        resource = getattr(client, name, None)
        if resource is not None:
            resource.create = _wrap(resource.create, api)
    client._promptwatch_instrumented = True
    return client


wrap = instrument_openai
