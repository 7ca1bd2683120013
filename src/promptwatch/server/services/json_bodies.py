"""Request bodies as JSON that the stores can hold: strict parsing for the native API, tolerant parsing for
the published client's endpoints, cleaning of strings PostgreSQL or UTF-8 cannot take, and the one answer
to a body that is not JSON, whichever parser read it."""

from __future__ import annotations

import json
import re

import orjson

from promptwatch.schema.common import nul_as_replacement

from ..errors import InvalidInput

_SURROGATE = re.compile("[\ud800-\udfff]")


def malformed_json(error: Exception) -> InvalidInput:
    """422 naming `body`: what every endpoint answers to a body that does not parse as JSON (`error` is the
    parser's: a JSONDecodeError, orjson's included, a RecursionError or a UnicodeDecodeError)."""
    if isinstance(error, json.JSONDecodeError):
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
    elif isinstance(error, RecursionError):
        reason = "it nests too deeply"
    elif isinstance(error, UnicodeDecodeError):
        reason = "it is not UTF-8"
    else:
        reason = str(error)
    return InvalidInput(
        f"the body is not valid JSON: {reason}", errors=[{"field": "body", "message": reason, "type": "json_invalid"}]
    )


def loads(raw: bytes | str):
    """JSON as orjson reads it; but JSON may escape a lone UTF-16 surrogate (an emoji cut in half by a client
    that truncates strings), which orjson refuses and no store can hold: such a text is read by the standard
    parser, each lone surrogate made U+FFFD, so that one cut string does not cost a whole batch. Raises the
    parser's error (a ValueError, UnicodeDecodeError for bytes that are not UTF-8, or RecursionError)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "surrogate" not in str(exc) and "UTF-8" not in str(exc):
            raise
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return storable_text(json.loads(text, parse_constant=_not_json, parse_int=_as_orjson_reads_it))


def _not_json(constant: str):
    """The standard parser takes NaN and Infinity, which are not JSON (orjson refuses them)."""
    raise ValueError(f"{constant} is not a JSON number")


def _as_orjson_reads_it(digits: str) -> int | float:
    """An integer beyond 64 bits is read as a float, as orjson reads it (no store or answer holds it whole)."""
    number = int(digits)
    return number if -(2**63) <= number < 2**64 else float(number)


def parse_json(raw: bytes):
    """The body as JSON (see `loads`); None for an empty body."""
    try:
        return loads(raw) if raw else None
    except (ValueError, RecursionError) as exc:
        raise malformed_json(exc) from None


def _clean(text: str) -> str:
    text = nul_as_replacement(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text


def storable_text(value):
    """Every string, keys included, made storable: NUL (which PostgreSQL text cannot hold) and lone UTF-16
    surrogates (which are not UTF-8) become U+FFFD. A copy, made without recursion: a body may nest as deep
    as the parser allows."""
    holder = [value]
    pending = [(holder, 0)]
    while pending:
        parent, place = pending.pop()
        item = parent[place]
        if isinstance(item, str):
            parent[place] = _clean(item)
        elif isinstance(item, dict):
            copy = {_clean(k) if isinstance(k, str) else k: v for k, v in item.items()}
            parent[place] = copy
            pending.extend((copy, key) for key in copy)
        elif isinstance(item, list):
            copy = list(item)
            parent[place] = copy
            pending.extend((copy, index) for index in range(len(copy)))
    return holder[0]


def parse_tolerant(raw: bytes):
    """The body as JSON; strings are cleaned (see storable_text) only when they may need it, since
    PostgreSQL rejects NUL and the strict parser rejects lone surrogates, both legal JSON escapes."""
    try:
        payload = parse_json(raw)
    except InvalidInput:
        try:
            return storable_text(json.loads(raw))
        except (ValueError, RecursionError) as exc:
            raise malformed_json(exc) from None
    return storable_text(payload) if b"\\u0000" in raw else payload
