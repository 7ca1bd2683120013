"""Request bodies as JSON that the stores can hold: strict parsing for the native API, tolerant parsing for
the published client's endpoints, and cleaning of strings PostgreSQL or UTF-8 cannot take."""

from __future__ import annotations

import json
import re

import orjson

from ..errors import InvalidInput

NUL = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(raw: bytes):
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None


def storable_text(value):
    """Every string, keys included, made storable: NUL (which PostgreSQL text cannot hold) and lone UTF-16
    surrogates (which are not UTF-8) become U+FFFD."""
    if isinstance(value, str):
        if NUL in value:
            value = value.replace(NUL, "\ufffd")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _SURROGATE.sub("\ufffd", value)
        return value
    if isinstance(value, dict):
        return {storable_text(k): storable_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_text(v) for v in value]
    return value


def parse_tolerant(raw: bytes):
    """The body as JSON; strings are cleaned (see storable_text) only when they may need it, since
    PostgreSQL rejects NUL and the strict parser rejects lone surrogates, both legal JSON escapes."""
    try:
        payload = parse_json(raw)
    except InvalidInput:
        try:
            return storable_text(json.loads(raw))
        except (ValueError, RecursionError):
            raise InvalidInput("the body is not valid JSON") from None
    return storable_text(payload) if b"\\u0000" in raw else payload
