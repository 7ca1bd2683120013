"""Carrying what is open here (the `PromptWatch` context and the innermost activity) into other threads.

    with PromptWatch(tracking_project="support-bot"):
        with ThreadPoolExecutor() as pool:
            answers = list(pool.map(promptwatch.in_context(ask), questions))   # or ContextThreadPoolExecutor()

The SDK keeps what is open in context variables, which a new thread does not inherit: a function run by an
executor's thread sees no session and each call it records is a session of its own. `in_context(fn)` runs
`fn` in a copy of the context it was called in, as asyncio does for each task and
`contextvars.copy_context().run` does by hand; `ContextThreadPoolExecutor` does it for every task submitted.
Nothing guesses which of the process's open sessions a call without a context belongs to: in a web server
that would put one request's calls into another's session.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def in_context(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn`, to be called in another thread as if here: what it records goes to the session and under the
    activity open where `in_context()` was called. Each call runs in a copy of that context of its own, so one
    wrapped function may run in many threads at once, and what a call opens is not seen by the others."""
    context = contextvars.copy_context()

    @functools.wraps(fn)
    def in_copied_context(*args: Any, **kwargs: Any) -> T:
        return context.copy().run(fn, *args, **kwargs)

    return in_copied_context


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A `ThreadPoolExecutor` whose tasks (`submit`, `map`) each run in a copy of the context they were
    submitted in: their calls go to the submitter's session, under its open activity."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
