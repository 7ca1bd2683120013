"""The one guard at every boundary between the SDK and its host app, and the SDK's warnings.

`never_raise()` swallows and logs (at debug level) any exception the SDK's own bookkeeping raises, so a
bug of ours never breaks the app; the user's code never runs inside it. Tests set `STRICT = True`
(see tests/support/capture_sink.py) so that what the guard would swallow fails them loudly, even when
it happened in the worker thread.
`warn_once()` is how a misconfiguration or a data loss reaches the user: one warning per kind.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

logger = logging.getLogger("promptwatch")

STRICT = False
"""When True the guard records what it caught in `CAUGHT` and re-raises it: set by our own tests only."""
CAUGHT: list[BaseException] = []

F = TypeVar("F", bound=Callable[..., Any])


class _Guard:
    """Context manager and decorator; stateless, so one instance serves every thread."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        # KeyboardInterrupt, SystemExit and friends go through
        return isinstance(exc, Exception) and ignored(exc)

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
            return None

        return guarded  # type: ignore[return-value]


_GUARD = _Guard()


def ignored(exc: Exception) -> bool:
    """The guard's decision for an error of ours: logged and swallowed (True), or under STRICT recorded and
    to be re-raised (False). The hot paths of `@observe` use it from a plain `try`, which costs nothing until
    something raises, where a `with` block costs two calls every time."""
    if STRICT:
        CAUGHT.append(exc)
        return False
    logger.debug("PromptWatch internal error (ignored)", exc_info=exc)
    return True


def never_raise() -> _Guard:
    """`with never_raise(): ...` or `@never_raise()`: our errors are logged, never raised into the app."""
    return _GUARD


_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(kind: str, message: str) -> bool:
    """Log `message` as a warning the first time `kind` is seen in this process; True if it was logged."""
    with _warned_lock:
        if kind in _warned:
            return False
        _warned.add(kind)
    logger.warning(message)
    return True


def reset_warnings() -> None:
    """Forget which warnings were given (for tests and for a reconfigured SDK)."""
    with _warned_lock:
        _warned.clear()
