"""From queued events to the native ingest body (`POST /api/v1/ingest`); runs in the worker thread only.

The call path queues tuples of plain data, with times as `time.time()` floats:

- `(ACTIVITY, id, session_id, activity_type, parent_id, name, order, start_time, end_time, error, inputs,
  output, fields)`: an ended `Span` (`fields` is None when nothing was `set()`). When it is the root of
  an implicit session (no `PromptWatch` context was open: its `session_id` is its own id) the session
  record is made from it here rather than on the caller's time;
- `(SESSION, record)`: a `SessionIn` dict;
- `(LEGACY, (model, session_id, parent_id, order))`: a `promptwatch.schema.legacy` activity the user built;
- `(BUILT, item, is_root)`: an activity already in its wire form: `notify_callbacks` made it for the
  session's `on_activity` callbacks, and the worker sends that same form rather than making it again.

Here the type-specific fields are filled (`_shapes`), the times become ISO-8601 strings, `None`s are left
out and the batch is encoded to JSON. Each event is converted on its own: one that cannot be (a bug of
ours) is counted and left out, and the rest of its batch is sent.
"""

from __future__ import annotations

import gzip as gzip_module
from datetime import datetime, timezone
from typing import Any

from pydantic_core import to_json

from ._safe import ignored
from ._shapes import shape_fields

SESSION = 0
ACTIVITY = 1
BUILT = 2
LEGACY = 3

_TIME_FIELDS = ("start_time", "end_time")


_second_cache: tuple[int, str] = (-1, "")


def iso(timestamp: float) -> str:
    """`timestamp` as ISO-8601 in UTC with microseconds. The text up to the microseconds is made once per
    second and kept as a `%` template (hot in the worker: two per activity)."""
    global _second_cache
    second = int(timestamp)
    cached_second, template = _second_cache
    if second != cached_second:
        prefix = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        template = prefix + ".%06d+00:00"
        _second_cache = (second, template)
    return template % ((timestamp - second) * 1_000_000)


def _clean(payload: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in payload.items() if value is not None}
    for key in _TIME_FIELDS:
        value = out.get(key)
        if isinstance(value, float):
            out[key] = iso(value)
    return out


def activity_item(event: tuple[Any, ...]) -> dict[str, Any]:
    """The `ActivityIn` of an `ACTIVITY` event, built without `None`s: the fixed fields first, then the
    fields of its type made from its inputs and output, then what was `set()` (a `None` there removes a
    field)."""
    _, id_, session_id, activity_type, parent_id, name, order, start, end, error, inputs, output, fields = event
    item: dict[str, Any] = {
        "id": id_,
        "session_id": session_id,
        "activity_type": activity_type,
        "start_time": iso(start),
        "end_time": iso(end),
    }
    if parent_id is not None:
        item["parent_activity_id"] = parent_id
    if name is not None:
        item["name"] = name
    if order is not None:
        item["order"] = order
    if error is not None:
        item["error"] = error
    if inputs is not None or output is not None or activity_type != "span":
        shaped = shape_fields(activity_type, inputs, output, fields or {})
        fields = {**shaped, **fields} if fields else shaped
    if fields is not None:
        for key, value in fields.items():
            if value is not None:
                item[key] = value
            else:
                item.pop(key, None)
    return item


def _session_of_root(root: dict[str, Any], tracking_project: str | None) -> dict[str, Any]:
    """The implicit session of a root activity (its wire item)."""
    session = {"id": root["session_id"], "start_time": root["start_time"], "is_error": "error" in root}
    if "name" in root:
        session["session_name"] = root["name"]
    if "end_time" in root:
        session["end_time"] = root["end_time"]
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


def to_wire(events: list[Any], tracking_project: str | None, into: tuple[list[dict[str, Any]], ...]) -> int:
    """Append the sessions and activities of queued events to `into`, in the order they were queued;
    returns how many events could not be converted (left out, the error logged at debug level)."""
    sessions, activities = into
    failed = 0
    for event in events:
        try:
            kind = event[0]
            if kind == ACTIVITY:
                activity = activity_item(event)
                if event[1] == event[2]:  # its own session: the root of an implicit session
                    sessions.append(_session_of_root(activity, tracking_project))
                activities.append(activity)
            elif kind == BUILT:
                _, activity, is_root = event
                if is_root:
                    sessions.append(_session_of_root(activity, tracking_project))
                activities.append(activity)
            elif kind == SESSION:
                sessions.append(_clean(event[1]))
            elif kind == LEGACY:
                activities.append(_legacy_activity(*event[1]))
        except Exception as exc:  # a try costs nothing until it catches
            if not ignored(exc):
                raise
            failed += 1
    return failed


def encode(sessions: list[dict[str, Any]], activities: list[dict[str, Any]], gzip: bool = False,
           compresslevel: int = 5) -> bytes:
    """The request body for these items; non-JSON values become strings, NaN becomes null."""
    body = to_json({"sessions": sessions, "activities": activities}, fallback=str)
    return gzip_module.compress(body, compresslevel=compresslevel) if gzip else body


def built(event: Any) -> tuple[int, dict[str, Any], bool]:
    """The `BUILT` event of an `ACTIVITY` or `LEGACY` event: its wire form, made now (for `on_activity`)."""
    if event[0] == LEGACY:
        return BUILT, _legacy_activity(*event[1]), False
    return BUILT, activity_item(event), event[1] == event[2]
