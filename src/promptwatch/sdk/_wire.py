"""From queued events to the native ingest body (`POST /api/v1/ingest`); runs in the worker thread only.

The call path queues `(kind, payload)` tuples of plain data with times as `time.time()` floats:

- `SESSION`: a `SessionIn` dict;
- `ACTIVITY`: an `ActivityIn` dict;
- `TRACE`: an `ActivityIn` dict that is the root of an implicit session (no `PromptWatch` context was
  open), from which the session record is made here rather than on the caller's time;
- `LEGACY`: `(model, session_id, parent_id, order)`, a `promptwatch.schema.legacy` activity the user built.

Here the times become ISO-8601 strings, `None`s are left out and the batch is encoded to JSON.
"""

from __future__ import annotations

import gzip as gzip_module
from datetime import datetime, timezone
from typing import Any

from pydantic_core import to_json

SESSION = 0
ACTIVITY = 1
TRACE = 2
LEGACY = 3

_TIME_FIELDS = ("start_time", "end_time")


_second_cache: tuple[int, str] = (-1, "")


def iso(timestamp: float) -> str:
    """`timestamp` as ISO-8601 in UTC with microseconds; the date part is cached per second (hot in the worker)."""
    global _second_cache
    second = int(timestamp)
    cached_second, prefix = _second_cache
    if second != cached_second:
        prefix = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache = (second, prefix)
    return f"{prefix}.{int((timestamp - second) * 1_000_000):06d}+00:00"


def _clean(payload: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in payload.items() if value is not None}
    for key in _TIME_FIELDS:
        value = out.get(key)
        if isinstance(value, float):
            out[key] = iso(value)
    return out


def _session_of_trace(root: dict[str, Any], tracking_project: str | None) -> dict[str, Any]:
    """The implicit session of a root activity already made wire-ready by `_clean`."""
    session = {
        "id": root["session_id"],
        "start_time": root["start_time"],
        "is_error": "error" in root,
    }
    for source, target in (("name", "session_name"), ("end_time", "end_time")):
        if source in root:
            session[target] = root[source]
    if tracking_project is not None:
        session["tracking_project"] = tracking_project
    return session


def _legacy_activity(model: Any, session_id: str, parent_id: str | None, order: int | None) -> dict[str, Any]:
    item = model.model_dump(mode="json", exclude_none=True)
    item["session_id"] = session_id
    item.setdefault("parent_activity_id", parent_id)
    item.setdefault("order", order)
    if item.get("prompts"):
        for prompt in item["prompts"]:  # nested llm-prompts carry no session of their own
            prompt.pop("activity_type", None)
    return {key: value for key, value in item.items() if value is not None}


def to_wire(
    events: list[tuple[int, Any]], tracking_project: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Sessions and activities of a batch of queued events, in the order they were queued."""
    sessions: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    for kind, payload in events:
        if kind == ACTIVITY:
            activities.append(_clean(payload))
        elif kind == TRACE:
            activity = _clean(payload)
            sessions.append(_session_of_trace(activity, tracking_project))
            activities.append(activity)
        elif kind == SESSION:
            sessions.append(_clean(payload))
        elif kind == LEGACY:
            activities.append(_legacy_activity(*payload))
    return sessions, activities


def encode(sessions: list[dict[str, Any]], activities: list[dict[str, Any]], gzip: bool = False) -> bytes:
    """The request body for these items; non-JSON values become strings, NaN becomes null."""
    body = to_json({"sessions": sessions, "activities": activities}, fallback=str)
    return gzip_module.compress(body, compresslevel=5) if gzip else body


def activity_snapshot(kind: int, payload: Any) -> dict[str, Any]:
    """The wire form of one queued activity, for `on_activity` callbacks."""
    if kind == LEGACY:
        return _legacy_activity(*payload)
    return _clean(payload)
