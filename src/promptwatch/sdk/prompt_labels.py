"""The template behind a label (`production`, `staging`, ...), fetched at run time and kept for a while.

`fetch_label(name, label)` asks `GET /api/v1/templates/{name}/labels/{label}` at most once per `ttl`
seconds (default 60) per server, key, template and label; in between it answers from memory. When the
server cannot be asked it answers the last value it got (stale, with one warning); when it never got one it
raises `PromptWatchError`, unless a `default` was given. `promptwatch.get_prompt_template` (in
`integrations/langchain_templates.py`) turns the answer into a LangChain template when LangChain is there.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from ._http import call, pipeline_for, segment
from ._safe import warn_once
from .errors import PromptWatchError

DEFAULT_TTL = 60.0
DEFAULT_TIMEOUT = 2.0
_PATCHED = re.compile(r"^(\d+\.\d+)\.\d+$")
_REVISED = re.compile(r"^(.+)-rev\d+$")


@dataclass(frozen=True)
class LabelledTemplate:
    """What a label points at: the version and its content as the server stored it."""

    name: str
    label: str
    version: str
    template: Any  # the text, or a list of chat messages / placeholder names
    input_params: list[str] | None
    format: str | None
    text: str

    @property
    def given_version(self) -> str:
        """The version a caller gives to land on this version again (server rules, docs/prompts.md):
        `MAJOR.MINOR` of `MAJOR.MINOR.PATCH`, the base of `<given>-rev<n>`, else the version itself."""
        for pattern in (_PATCHED, _REVISED):
            match = pattern.match(self.version)
            if match:
                return match.group(1)
        return self.version


_lock = threading.Lock()
_cache: dict[tuple[str, str, str, str], tuple[float, LabelledTemplate]] = {}
_NO_DEFAULT: Any = object()


def fetch_label(name: str, label: str = "production", *, ttl: float = DEFAULT_TTL, api_key: str | None = None,
                timeout: float = DEFAULT_TIMEOUT, default: Any = _NO_DEFAULT) -> LabelledTemplate | Any:
    pipeline = pipeline_for(api_key)
    key = (pipeline.config.host_url, pipeline.config.api_key or "", name, label)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cached[1]
    try:
        reply = call(pipeline, "GET", f"/api/v1/templates/{segment(name)}/labels/{segment(label)}", timeout=timeout)
        if not isinstance(reply, dict) or not isinstance(reply.get("version"), str):
            raise PromptWatchError(f"the server's answer for template {name!r} label {label!r} is not a template")
    except PromptWatchError as exc:
        if cached is not None:
            warn_once(f"label:{name}:{label}", f"PromptWatch keeps using template {name!r} label {label!r} version "
                      f"{cached[1].version} (fetched earlier): {exc}")
            return cached[1]
        if default is not _NO_DEFAULT:
            warn_once(f"label:{name}:{label}", f"PromptWatch uses the default for template {name!r} label "
                      f"{label!r}: {exc}")
            return default
        raise PromptWatchError(f"template {name!r} label {label!r} could not be fetched: {exc}") from None
    found = LabelledTemplate(
        name=name, label=label, version=reply["version"], template=reply.get("template"),
        input_params=reply.get("input_params"), format=reply.get("format"), text=str(reply.get("text") or ""),
    )
    with _lock:
        _cache[key] = (time.monotonic(), found)
    return found


def forget_labels() -> None:
    """Drop every fetched label (the next fetch asks the server)."""
    with _lock:
        _cache.clear()
