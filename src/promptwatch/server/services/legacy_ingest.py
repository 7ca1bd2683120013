"""The published promptwatch 0.4.x client's session and activity endpoints: tolerant by design.

That client never retries and gives up after 5 s, so nothing here sheds load or rejects a payload that
can be understood: unknown fields are kept in the activity body, bad values are dropped or coerced (a
value nested deeper than the native API takes is cut there, see `cap_json_depth`, and a session's metadata
keeps the keys that fit the native API's limit, see `fit_metadata`), activities may arrive
before their session, and open activities are re-sent until they close. What the native API refuses as
impossible is mended instead: an end before the start (of a session or an activity) is taken as the start,
so no duration is negative, and an activity that names itself as its parent is a root.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone

import orjson

from promptwatch.schema.common import MAX_METADATA_BYTES, MAX_METADATA_KEYS, cap_json_depth, fit_metadata

from ..errors import Forbidden
from .activity_records import build_activity_record, parse_time
from .clock import utc_now
from .credentials import Caller
from .ingest import session_record
from .runtime import Runtime

_MAX_ID = 200
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1  # the store's INTEGER columns (PostgreSQL int4)
_ID_NAMESPACE = uuid.UUID("6f1d7a4e-3c51-4bb4-9d0e-2a4f1c8b7e15")
log = logging.getLogger(__name__)


def _text_or_none(value, limit: int | None = None):
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:limit] if limit else text


def _int_or_none(value):
    """An int that fits the store's INTEGER columns, else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(value) if value is not None else None
        except (TypeError, ValueError, OverflowError):
            return None
    return number if number is not None and _INT_MIN <= number <= _INT_MAX else None


def _time(value) -> datetime | None:
    """parse_time, minus the values that cannot be expressed in UTC (e.g. year 1 at +05:00)."""
    parsed = parse_time(value)
    if parsed is None:
        return None
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _as_text(value):
    """A non-string value where text belongs, kept readable as JSON text."""
    if value is None or isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def _chat_message(message):
    """Messages of a chat prompt, with the strings token counting reads made strings."""
    if not isinstance(message, dict):
        return message
    message = dict(message)
    for key in ("role", "text", "name"):
        if message.get(key) is not None and not isinstance(message[key], str):
            message[key] = _as_text(message[key])
    content = message.get("content")
    if isinstance(content, list):
        message["content"] = [
            {**part, "text": _as_text(part["text"])} if isinstance(part, dict) and "text" in part else part
            for part in content
        ]
    elif content is not None and not isinstance(content, str):
        message["content"] = _as_text(content)
    return message


def _template(template):
    """The template name and version are light columns: strings of bounded length."""
    if not isinstance(template, dict):
        return template
    template = dict(template)
    for key, limit in (("template_name", 256), ("template_version", 100)):
        if template.get(key) is not None:
            template[key] = _text_or_none(_as_text(template[key]), limit)
    return template


def _label(value):
    """tracking_project / tracking_tenant: the client validates them; anything odd is dropped here."""
    if not isinstance(value, str) or not value or len(value) > 256 or any(c.isspace() for c in value):
        return None
    return value


def legacy_session(data: dict, caller: Caller) -> dict | None:
    data = cap_json_depth(data)  # as deep as the native API's session metadata, which its unknown fields become
    sid = _text_or_none(data.get("id"), _MAX_ID)
    if not sid:
        return None
    if caller.project and data.get("tracking_project") not in (None, caller.project):
        raise Forbidden(f"this key is limited to project {caller.project!r}")
    start_time, end_time = _time(data.get("start_time")), _time(data.get("end_time"))
    cleaned = {
        "id": sid,
        "session_name": _text_or_none(data.get("session_name"), 1000),
        "tracking_project": _label(data.get("tracking_project")),
        "tracking_tenant": _label(data.get("tracking_tenant")),
        "start_time": start_time,
        "end_time": max(end_time, start_time) if end_time and start_time else end_time,
        "is_error": bool(data.get("is_error")),
        "steps_count": _int_or_none(data.get("steps_count")),
        "metadata": _session_metadata({k: v for k, v in data.items() if k not in _SESSION_FIELDS}) or None,
    }
    return session_record(cleaned, caller, "legacy")


def _session_metadata(metadata: dict) -> dict:
    """The session's metadata within the native API's limit; what is left out is logged (without its content)."""
    kept = fit_metadata(metadata)
    if dropped := len(metadata) - len(kept):
        limit = f"{MAX_METADATA_KEYS} keys, {MAX_METADATA_BYTES} bytes of JSON"
        log.warning(
            "a session's metadata is over the limit (%s): %d of its %d keys dropped", limit, dropped, len(metadata)
        )
    return kept


_SESSION_FIELDS = frozenset(
    {"id", "session_name", "tracking_project", "tracking_tenant", "start_time", "end_time", "is_error", "steps_count"}
)


def legacy_activity_data(item: dict, session_id: str) -> dict:
    """Coerce one activity of the published client into the native field set (extra fields kept)."""
    item = {key: cap_json_depth(value) for key, value in item.items()}  # each field as deep as the native API's
    data = dict(item)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
    data["metadata"] = metadata
    data["id"] = _text_or_none(data.get("id"), _MAX_ID) or _content_id(item, session_id)
    data["session_id"] = session_id
    data["activity_type"] = _text_or_none(data.get("activity_type"), 30) or "log"
    parent = _text_or_none(data.get("parent_activity_id"), _MAX_ID)
    data["parent_activity_id"] = parent if parent != data["id"] else None
    data["start_time"] = _time(data.get("start_time")) or utc_now()
    end_time = _time(data.get("end_time"))
    data["end_time"] = max(end_time, data["start_time"]) if end_time else None
    data["order"] = _int_or_none(data.get("order"))
    data["error"] = _text_or_none(data.get("error"))
    data["feedback_label"] = _int_or_none(data.get("feedback_label"))
    data["feedback_rating"] = _int_or_none(data.get("feedback_rating"))
    for name in ("name", "sequence_type", "tool_type"):
        if name in data and not isinstance(data[name], str):
            data[name] = _text_or_none(data[name])
    data["name"] = _text_or_none(data.get("name") or data.get("sequence_type") or data.get("tool_type"), 500)
    # light columns the published client never sends: only well-formed values of them are taken
    model, usage = _model_and_usage(metadata) if data["activity_type"] == "llm-prompt" and metadata else (None, {})
    data["model"] = _text_or_none(model or (data.get("model") if isinstance(data.get("model"), str) else None), 200)
    data["provider"] = _text_or_none(data["provider"], 100) if isinstance(data.get("provider"), str) else None
    data["usage"] = usage or _usage(data.get("usage"))
    ttft = data.get("time_to_first_token_ms")
    data["time_to_first_token_ms"] = ttft if isinstance(ttft, (int, float)) and not isinstance(ttft, bool) else None
    if data["activity_type"] == "llm-prompt":
        prompt = data.get("prompt")
        data["prompt"] = [_chat_message(m) for m in prompt] if isinstance(prompt, list) else _as_text(prompt)
        data["generated"] = _as_text(data.get("generated"))
    data["prompt_template"] = _template(data.get("prompt_template"))
    return data


def _content_id(item: dict, session_id: str) -> str:
    """An activity sent without an id gets one from its content, so a re-sent copy is not a second one."""
    return str(uuid.uuid5(_ID_NAMESPACE, session_id + json.dumps(item, sort_keys=True, default=str)))


def _usage(usage) -> dict:
    if not isinstance(usage, dict):
        return {}
    counts = {k: _int_or_none(usage.get(k)) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    return {k: v for k, v in counts.items() if v is not None}


def _model_and_usage(metadata: dict) -> tuple[str | None, dict]:
    """LangChain puts the model name and token usage in several places; take the first found."""
    llm_output = metadata.get("llm_output") if isinstance(metadata.get("llm_output"), dict) else {}
    model = None
    for source in (llm_output, metadata.get("invocation_params"), metadata.get("llm")):
        if isinstance(source, dict):
            model = source.get("model_name") or source.get("model")
            if isinstance(model, str) and model:
                break
            model = None
    usage = llm_output.get("token_usage") if isinstance(llm_output.get("token_usage"), dict) else {}
    return model, {
        k: _int_or_none(usage.get(k))
        for k in ("prompt_tokens", "completion_tokens", "total_tokens")
        if _int_or_none(usage.get(k)) is not None
    }


class LegacyIngestService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def upsert_session(self, caller: Caller, payload) -> None:
        caller.require("send")
        if not isinstance(payload, dict):
            return
        record = legacy_session(payload, caller)
        if record is not None:
            await self._rt.pipeline.submit(caller.account_id, [record], [], wait=True, project=caller.project)

    async def add_activities(self, caller: Caller, session_id: str, payload) -> dict[str, str]:
        caller.require("send")
        items = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else []
        overrides = self._rt.price_overrides(caller.account_id)
        records = [
            build_activity_record(legacy_activity_data(item, session_id), self._rt.pricebook, overrides)
            for item in items
            if isinstance(item, dict)
        ]
        session = session_record({"id": session_id}, caller, "legacy")
        _, statuses = await self._rt.pipeline.submit(
            caller.account_id, [session], records, wait=True, project=caller.project
        )
        return statuses
