"""Pipelines: a resolved configuration with its scrubber, queue and sender, one per server and API key.

The process's default pipeline is built on first use from `PROMPTWATCH_*` (or by `configure()`); a
`PromptWatch(api_key=...)` with another key gets its own. A misconfigured pipeline is disabled: it warns
once and records nothing. On interpreter exit every pipeline is flushed within `shutdown_timeout`
seconds in total (default 2), never longer; a forked child starts with empty queues of its own.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from typing import Any

from ._delivery import Delivery
from ._safe import never_raise, warn_once
from ._scrub import Scrubber
from ._spool import Spool, target_name
from ._transport import Transport
from ._worker import Worker
from .config import SdkConfig, check_config, default_spool_dir, resolve_config


def _discard(event: Any) -> None:
    return None


class Pipeline:
    """Everything one destination needs; `emit` is the call path's only way out."""

    def __init__(self, config: SdkConfig):
        self.config = config
        self.problem = check_config(config)
        self.enabled = self.problem is None
        self.key_id = config.key_id if self.enabled else None
        self.scrubber = Scrubber(config.max_string_length, config.max_items, config.max_depth)
        self.worker: Worker | None = None
        self.emit = _discard
        if self.enabled:
            assert config.api_key is not None
            spool = Spool(
                config.spool_dir or default_spool_dir(),
                target_name(config.host_url, config.api_key),
                config.spool_max_bytes,
            )
            delivery = Delivery(Transport(config.host_url, config.api_key, config.request_timeout), spool,
                                config.gzip, config.batch_size)
            self.worker = Worker(delivery, config.queue_size, config.batch_size, config.flush_interval,
                                 config.tracking_project)
            self.emit = self.worker.emit

    def flush(self, timeout: float | None = None) -> bool:
        if self.worker is None:
            return True
        return self.worker.flush(self.config.shutdown_timeout if timeout is None else timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        if self.worker is None:
            return True
        return self.worker.shutdown(self.config.shutdown_timeout if timeout is None else timeout)

    def stats(self) -> dict[str, int]:
        return self.worker.stats() if self.worker is not None else {}


_lock = threading.Lock()
_overrides: dict[str, Any] = {}
_default: Pipeline | None = None
_by_key: dict[str, Pipeline] = {}
_hooks_installed = False


def _build(settings: dict[str, Any]) -> Pipeline:
    global _hooks_installed
    try:
        config = resolve_config(**settings)
    except ValueError as exc:  # a malformed PROMPTWATCH_* value
        config = SdkConfig(enabled=False)
        warn_once(f"config:{exc}", f"PromptWatch is disabled: {exc}")
    pipeline = Pipeline(config)
    if pipeline.problem and config.enabled:
        warn_once(f"config:{pipeline.problem}", pipeline.problem)
    if not _hooks_installed:
        _hooks_installed = True
        atexit.register(_at_exit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork)
    return pipeline


def get_pipeline(api_key: str | None = None) -> Pipeline:
    """The default pipeline, or the one for `api_key` when it differs from the default's key."""
    global _default
    default = _default
    if default is None:
        with _lock:
            if _default is None:
                _default = _build(dict(_overrides))
            default = _default
    if api_key is None or api_key == default.config.api_key:
        return default
    pipeline = _by_key.get(api_key)
    if pipeline is None:
        with _lock:
            pipeline = _by_key.get(api_key) or _build({**_overrides, "api_key": api_key})
            _by_key[api_key] = pipeline
    return pipeline


def configure(**settings: Any) -> Pipeline:
    """Set the SDK's settings in code (the names of `SdkConfig`); they win over `PROMPTWATCH_*`.

    The previous pipelines are flushed (within their shutdown timeout) and replaced.
    """
    global _default
    resolve_config(**settings)  # unknown names fail here, in the caller's face
    shutdown()
    with _lock:
        _overrides.clear()
        _overrides.update({key: value for key, value in settings.items() if value is not None})
        _default = _build(dict(_overrides))
        return _default


def _all() -> list[Pipeline]:
    return ([_default] if _default is not None else []) + list(_by_key.values())


def flush(timeout: float = 2.0) -> bool:
    """Wait until every event recorded so far is sent or spooled; False if `timeout` ran out first."""
    deadline = time.monotonic() + timeout
    return all([pipeline.flush(max(0.0, deadline - time.monotonic())) for pipeline in _all()])


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop every pipeline within `timeout` seconds in total (default: `shutdown_timeout`)."""
    global _default
    pipelines = _all()
    if timeout is None:
        timeout = pipelines[0].config.shutdown_timeout if pipelines else 0.0
    deadline = time.monotonic() + timeout
    done = True
    for pipeline in pipelines:
        with never_raise():
            done = pipeline.shutdown(max(0.0, deadline - time.monotonic())) and done
    with _lock:
        _default = None
        _by_key.clear()
    return done


def _at_exit() -> None:
    with never_raise():
        shutdown()


def _after_fork() -> None:
    for pipeline in _all():
        if pipeline.worker is not None:
            pipeline.worker.reset_after_fork()
