"""Builders of native-API payloads for tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

BASE_TIME = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def uid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def session(sid: str, **fields) -> dict:
    return {"id": sid, "start_time": iso(BASE_TIME), **fields}


def llm(
    aid: str, sid: str, *, start: datetime = BASE_TIME, seconds: float = 1.0, closed: bool = True, **fields
) -> dict:
    item = {
        "id": aid,
        "session_id": sid,
        "activity_type": "llm-prompt",
        "start_time": iso(start),
        "prompt": fields.pop("prompt", "Tell me about the weather in Prague"),
        "generated": fields.pop("generated", "It is sunny."),
        "model": fields.pop("model", "gpt-4o-mini"),
        **fields,
    }
    if closed:
        item["end_time"] = iso(start + timedelta(seconds=seconds))
    return item


def chain(aid: str, sid: str, *, closed: bool = True, **fields) -> dict:
    item = {
        "id": aid,
        "session_id": sid,
        "activity_type": "chain-sequence",
        "start_time": iso(BASE_TIME),
        "sequence_type": "LLMChain",
        "inputs": {"question": "weather?"},
        **fields,
    }
    if closed:
        item["end_time"] = iso(BASE_TIME + timedelta(seconds=2))
    return item
