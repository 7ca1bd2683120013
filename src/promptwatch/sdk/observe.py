"""`@observe`: record a function call as an activity, for sync and async functions and (async) generators.

    @observe
    def retrieve(query): ...

    @observe(name="answer", as_type="llm-prompt")
    async def answer(messages): ...

The call becomes a span (or `as_type`) under whatever is open around it, with its arguments as inputs
and its return value (for generators: what it yielded) as output, both bounded copies (of an embeddings
call's return value, its counts: `Span.kept`; of what it yielded, counted item by item: `EmbeddingTally`,
never copied). An exception is recorded and re-raised untouched. The
bookkeeping runs under the guard of `_safe` (`never_raise()`, or a plain `try` deciding with `ignored()` on
the hot paths); the function runs outside it, so it runs exactly once whatever the SDK does. A generator's
span is current only while its body runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from ._safe import ignored, never_raise
from ._scrub import REDACTED, is_secret_key
from ._shapes import EmbeddingTally
from .context import current_span
from .spans import Span, opened

F = TypeVar("F", bound=Callable[..., Any])
_guard = never_raise()


@overload
def observe(fn: F) -> F: ...


@overload
def observe(
    fn: None = None, *, name: str | None = None, as_type: str = "span", capture_input: bool = True,
    capture_output: bool = True,
) -> Callable[[F], F]: ...


def observe(
    fn: Any = None, *, name: str | None = None, as_type: str = "span", capture_input: bool = True,
    capture_output: bool = True,
) -> Any:
    """Decorate `fn` so each call is recorded; use bare (`@observe`) or with arguments."""
    if fn is None:
        return lambda f: observe(f, name=name, as_type=as_type, capture_input=capture_input,
                                 capture_output=capture_output)
    call = _Call(fn, name or getattr(fn, "__qualname__", repr(fn)), as_type, capture_input, capture_output)
    if inspect.isasyncgenfunction(fn):
        wrapper = _async_generator_wrapper(fn, call)
    elif inspect.iscoroutinefunction(fn):
        wrapper = _coroutine_wrapper(fn, call)
    elif inspect.isgeneratorfunction(fn):
        wrapper = _generator_wrapper(fn, call)
    else:
        wrapper = _function_wrapper(fn, call)
    return functools.wraps(fn)(wrapper)


class _Call:
    """What the decorator knows about a function: its label, type and argument names."""

    __slots__ = ("label", "as_type", "capture_input", "capture_output", "params", "skip_first", "secret_params")

    def __init__(self, fn: Callable[..., Any], label: str, as_type: str, capture_input: bool,
                 capture_output: bool):
        self.label, self.as_type = label, as_type
        # an embeddings call keeps counts of its result, never its values: kept with capture_output=False too
        self.capture_input, self.capture_output = capture_input, capture_output or as_type == "embedding"
        try:
            parameters = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        self.params = tuple(p.name for p in parameters if p.kind in positional)
        self.skip_first = bool(self.params) and self.params[0] in ("self", "cls")
        self.secret_params = frozenset(name for name in self.params if is_secret_key(name))

    # `open` and `close` are the bookkeeping around each call, guarded by a plain `try` deciding with
    # `ignored()` (free in Python 3.11 until something raises) rather than `with never_raise()` (two calls
    # per block, every time): they run on every traced call.

    def open(self, args: tuple[Any, ...], kwargs: dict[str, Any], make_current: bool = True) -> Span | None:
        """The call's span (current unless `make_current=False`); None when not recording or when our
        bookkeeping failed (swallowed)."""
        try:
            span = opened(Span, self.label, self.as_type, current_span.get())
            if not span.recording:
                return None
            if self.capture_input and (args or kwargs):
                span.inputs = self.bind(span, args, kwargs)
            if make_current:
                span._token = current_span.set(span)
            return span
        except Exception as exc:
            if not ignored(exc):
                raise
            return None

    def bind(self, span: Span, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        copy = span.pipeline.scrubber.copy
        params = self.params
        bound: dict[str, Any] = {}
        for index, value in enumerate(args):
            if index == 0 and self.skip_first:
                continue
            if index < len(params):
                name = params[index]
                bound[name] = REDACTED if name in self.secret_params else copy(value)
            else:
                bound.setdefault("args", []).append(copy(value))
        for key, value in kwargs.items():
            bound[key] = REDACTED if is_secret_key(key) else copy(value)
        return bound

    def close(self, span: Span, result: Any, error: BaseException | None, kept: bool = False) -> None:
        """End the call's span with its result or error (our failures swallowed, as in `open`); a result
        `kept` is what the span keeps already (a generator's: `_Yielded.kept`)."""
        try:
            token = span._token
            if token is not None:
                current_span.reset(token)
                span._token = None
            if error is None and self.capture_output and result is not None:
                span.output = result if kept else span.kept(result)
            span.end(error)
        except Exception as exc:
            if not ignored(exc):
                raise


def _function_wrapper(fn: Callable[..., Any], call: _Call) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = call.open(args, kwargs)
        if span is None:
            return fn(*args, **kwargs)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            call.close(span, None, exc)
            raise
        call.close(span, result, None)
        return result

    return wrapper


def _coroutine_wrapper(fn: Callable[..., Any], call: _Call) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = call.open(args, kwargs)
        if span is None:
            return await fn(*args, **kwargs)
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            call.close(span, None, exc)
            raise
        call.close(span, result, None)
        return result

    return wrapper


class _Yielded:
    """Bounded copies of what a generator yielded, joined into one string when they all are strings; of an
    embeddings call, only its counts, taken item by item (`EmbeddingTally`)."""

    __slots__ = ("items", "limit", "tally")

    def __init__(self, span: Span):
        self.items: list[Any] = []
        self.limit = span.pipeline.scrubber.max_items
        self.tally = EmbeddingTally() if span.activity_type == "embedding" else None

    def add(self, span: Span, item: Any) -> None:
        if self.tally is not None:
            self.tally.add(item)
        elif len(self.items) < self.limit:
            self.items.append(span.pipeline.scrubber.copy(item))

    def kept(self, span: Span) -> Any:
        """What the span keeps of all that was yielded (`Span.kept` of it)."""
        if self.tally is not None:
            return self.tally.result()
        joined = self.items and all(isinstance(item, str) for item in self.items)
        return span.kept("".join(self.items) if joined else self.items)


def _generator_wrapper(fn: Callable[..., Any], call: _Call) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = call.open(args, kwargs, make_current=False)
        generator = fn(*args, **kwargs)
        return generator if span is None else _traced_generator(generator, span, call)

    return wrapper


def _traced_generator(generator: Any, span: Span, call: _Call) -> Any:
    yielded = _Yielded(span)
    to_send: Any = None
    to_throw: BaseException | None = None
    while True:
        token = current_span.set(span)
        try:
            item = generator.throw(to_throw) if to_throw is not None else generator.send(to_send)
        except StopIteration as stop:
            with _guard:
                call.close(span, yielded.kept(span), None, kept=True)
            return stop.value
        except BaseException as exc:
            call.close(span, None, exc)
            raise
        finally:
            current_span.reset(token)
        to_send, to_throw = None, None
        with _guard:
            yielded.add(span, item)
        try:
            to_send = yield item
        except GeneratorExit:
            generator.close()
            with _guard:
                call.close(span, yielded.kept(span), None, kept=True)
            raise
        except BaseException as exc:
            to_throw = exc


def _async_generator_wrapper(fn: Callable[..., Any], call: _Call) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = call.open(args, kwargs, make_current=False)
        generator = fn(*args, **kwargs)
        return generator if span is None else _traced_async_generator(generator, span, call)

    return wrapper


async def _traced_async_generator(generator: Any, span: Span, call: _Call) -> Any:
    yielded = _Yielded(span)
    to_send: Any = None
    to_throw: BaseException | None = None
    while True:
        token = current_span.set(span)
        try:
            if to_throw is not None:
                item = await generator.athrow(to_throw)
            else:
                item = await generator.asend(to_send)
        except StopAsyncIteration:
            with _guard:
                call.close(span, yielded.kept(span), None, kept=True)
            return
        except BaseException as exc:
            call.close(span, None, exc)
            raise
        finally:
            current_span.reset(token)
        to_send, to_throw = None, None
        with _guard:
            yielded.add(span, item)
        try:
            to_send = yield item
        except GeneratorExit:
            await generator.aclose()
            with _guard:
                call.close(span, yielded.kept(span), None, kept=True)
            raise
        except BaseException as exc:
            to_throw = exc
