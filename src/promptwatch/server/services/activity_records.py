"""Turning an activity (a dict from any entry point) into the store's record: light columns, body, and for
the calls a provider bills (LLM calls and embeddings, `USAGE_TYPES`) tokens and cost fixed at ingest with the
price version used. An embedding has prompt tokens only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from ..store.rollups import USAGE_TYPES
from .pricing import PriceBook, PriceOverride
from .token_counting import count_message_tokens, count_tokens

MAX_ERROR_CHARS = 4000
# fields that live in the light columns (or are the record's identity) rather than in the body
_LIGHT = frozenset(
    {
        "id",
        "session_id",
        "parent_activity_id",
        "activity_type",
        "name",
        "order",
        "start_time",
        "end_time",
        "error",
        "model",
        "provider",
        "usage",
        "time_to_first_token_ms",
        "feedback_label",
        "feedback_rating",
        "tags",
    }
)


def build_activity_record(data: dict, pricebook: PriceBook, overrides: Sequence[PriceOverride] = ()) -> dict:
    """`data` holds validated values (datetimes parsed); returns the record `store.ingest_writer` takes."""
    activity_type = data["activity_type"]
    body = {k: v for k, v in data.items() if k not in _LIGHT and v is not None}
    template = data.get("prompt_template") or {}
    record = {
        "id": data["id"],
        "session_id": data["session_id"],
        "parent_activity_id": data.get("parent_activity_id"),
        "activity_type": activity_type,
        "name": data.get("name") or data.get("sequence_type") or data.get("tool_type"),
        "position": data.get("order"),
        "start_time": data["start_time"],
        "end_time": data.get("end_time"),
        "error": (data.get("error") or None) and str(data["error"])[:MAX_ERROR_CHARS],
        "model": data.get("model"),
        "provider": data.get("provider"),
        "template_name": template.get("template_name") if isinstance(template, dict) else None,
        "template_version": template.get("template_version") if isinstance(template, dict) else None,
        "ttft_ms": data.get("time_to_first_token_ms"),
        "feedback_label": data.get("feedback_label"),
        "feedback_rating": data.get("feedback_rating"),
        "tags": data.get("tags"),
        "tokens_counted": False,
        "body": body,
    }
    if activity_type in USAGE_TYPES:
        _fill_tokens_and_cost(record, data, pricebook, overrides)
    return record


def _fill_tokens_and_cost(record: dict, data: dict, pricebook: PriceBook, overrides) -> None:
    usage = data.get("usage") or {}
    prompt_tokens, completion_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
    rejected = record.get("error") and not _answer(data)  # a provider does not bill a call it refused
    counted = record["end_time"] is not None and not rejected
    if prompt_tokens is None and completion_tokens is None and counted:
        prompt_tokens, completion_tokens = _tokens_of_text(data, record["model"])
        record["tokens_counted"] = True
    total = usage.get("total_tokens")
    if total is None and (prompt_tokens is not None or completion_tokens is not None):
        total = (prompt_tokens or 0) + (completion_tokens or 0)
    record.update(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, total_tokens=total)
    priced = pricebook.cost(
        record["model"], record["provider"], prompt_tokens, completion_tokens, record["start_time"], overrides
    )
    record.update(cost=priced.cost, price_version=priced.price_version)
    namespace = _cache_hit_namespace(data.get("metadata"))
    if namespace is not None:
        _fill_saved_cost(record, data, namespace, pricebook, overrides)


def _cache_hit_namespace(metadata) -> str | None:
    """The namespace of a call served from the cache (`metadata.cache.hit`; "" if it names none), else None."""
    mark = metadata.get("cache") if isinstance(metadata, dict) else None
    if not isinstance(mark, dict) or mark.get("hit") is not True:
        return None
    return str(mark.get("namespace") or "")[:512]


def _fill_saved_cost(record: dict, data: dict, namespace: str, pricebook: PriceBook, overrides) -> None:
    """A cache hit costs nothing; it saved what its prompt and answer would have cost from the model."""
    record.update(cache_namespace=namespace, cost=0.0, saved_cost=None)
    if record["end_time"] is None:
        return
    prompt_tokens, completion_tokens = _tokens_of_text(data, record["model"])
    saved = pricebook.cost(
        record["model"], record["provider"], prompt_tokens, completion_tokens, record["start_time"], overrides
    )
    record.update(saved_cost=saved.cost, price_version=saved.price_version)


def _answer(data: dict) -> object:
    """What the provider answered: an LLM call's generated text, an embedding's vectors (`outputs`)."""
    return data.get("outputs") if data["activity_type"] == "embedding" else data.get("generated")


def _tokens_of_text(data: dict, model: str | None) -> tuple[int, int | None]:
    """(prompt, completion) tokens counted from the call's prompt (text or chat messages) and generated text;
    an embedding's from its text or texts, and no completion."""
    prompt = data.get("prompt")
    if data["activity_type"] == "embedding":
        texts = prompt if isinstance(prompt, list) else [prompt]
        return sum(count_tokens(text, model) for text in texts if isinstance(text, str)), None
    if isinstance(prompt, list):
        prompt_tokens = count_message_tokens([m for m in prompt if isinstance(m, dict)], model)
    else:
        prompt_tokens = count_tokens(prompt if isinstance(prompt, str) else "", model)
    return prompt_tokens, count_tokens(data.get("generated") or "", model)


def parse_time(value) -> datetime | None:
    """Tolerant ISO-8601 parsing for the published client's payloads; naive values are taken as UTC."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
