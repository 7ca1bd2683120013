"""The published promptwatch 0.4.x client's session and activity endpoints: tolerant by design.

That client never retries and gives up after 5 s, so nothing here sheds load or rejects a payload that
can be understood: unknown fields are kept in the activity body, bad values are dropped or coerced,
activities may arrive before their session, and open activities are re-sent until they close.
"""

from __future__ import annotations

import uuid

from ..errors import Forbidden
from .activity_records import build_activity_record, parse_time
from .clock import utc_now
from .credentials import Caller
from .ingest import session_record
from .runtime import Runtime

_MAX_ID = 200


def _text_or_none(value, limit: int | None = None):
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text[:limit] if limit else text


def _int_or_none(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _label(value):
    """tracking_project / tracking_tenant: the client validates them; anything odd is dropped here."""
    if not isinstance(value, str) or not value or len(value) > 256 or any(c.isspace() for c in value):
        return None
    return value


def legacy_session(data: dict, caller: Caller) -> dict | None:
    sid = _text_or_none(data.get("id"), _MAX_ID)
    if not sid:
        return None
    if caller.project and data.get("tracking_project") not in (None, caller.project):
        raise Forbidden(f"this key is limited to project {caller.project!r}")
    cleaned = {
        "id": sid,
        "session_name": _text_or_none(data.get("session_name"), 1000),
        "tracking_project": _label(data.get("tracking_project")),
        "tracking_tenant": _label(data.get("tracking_tenant")),
        "start_time": parse_time(data.get("start_time")),
        "end_time": parse_time(data.get("end_time")),
        "is_error": bool(data.get("is_error")),
        "steps_count": _int_or_none(data.get("steps_count")),
        "metadata": {k: v for k, v in data.items() if k not in _SESSION_FIELDS} or None,
    }
    return session_record(cleaned, caller, "legacy")


_SESSION_FIELDS = frozenset(
    {"id", "session_name", "tracking_project", "tracking_tenant", "start_time", "end_time", "is_error", "steps_count"}
)


def legacy_activity_data(item: dict, session_id: str) -> dict:
    """Coerce one activity of the published client into the native field set (extra fields kept)."""
    data = dict(item)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
    data["metadata"] = metadata
    data["id"] = _text_or_none(data.get("id"), _MAX_ID) or str(uuid.uuid4())
    data["session_id"] = session_id
    data["activity_type"] = _text_or_none(data.get("activity_type"), 30) or "log"
    data["parent_activity_id"] = _text_or_none(data.get("parent_activity_id"), _MAX_ID)
    data["start_time"] = parse_time(data.get("start_time")) or utc_now()
    end_time = parse_time(data.get("end_time"))
    data["end_time"] = max(end_time, data["start_time"]) if end_time else None
    data["order"] = _int_or_none(data.get("order"))
    data["error"] = _text_or_none(data.get("error"))
    data["feedback_label"] = _int_or_none(data.get("feedback_label"))
    data["feedback_rating"] = _int_or_none(data.get("feedback_rating"))
    if data["activity_type"] == "llm-prompt" and metadata:
        data["model"], data["usage"] = _model_and_usage(metadata)
    for name in ("name", "sequence_type", "tool_type"):
        if name in data and not isinstance(data[name], str):
            data[name] = _text_or_none(data[name])
    return data


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
        caller.require("ingest")
        if not isinstance(payload, dict):
            return
        record = legacy_session(payload, caller)
        if record is not None:
            await self._rt.writer.submit(caller.account_id, [record], [], wait=True)

    async def add_activities(self, caller: Caller, session_id: str, payload) -> dict[str, str]:
        caller.require("ingest")
        items = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else []
        overrides = self._rt.price_overrides(caller.account_id)
        records = [
            build_activity_record(legacy_activity_data(item, session_id), self._rt.pricebook, overrides)
            for item in items
            if isinstance(item, dict)
        ]
        session = session_record({"id": session_id}, caller, "legacy")
        _, statuses = await self._rt.writer.submit(caller.account_id, [session], records, wait=True)
        return statuses
