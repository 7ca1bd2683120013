"""The opaque cursors of paged lists: url-safe base64 of a JSON array whose first element names the list (and
its order) that the cursor continues, the rest the place of the last item of the page before.

A cursor comes back from the client, so it is read as untrusted input: `decode_cursor` takes one only with
the expected kind, as many values as the list's place holds, and each value of its type (`utc_time`, `int64`,
`number`, `equal`), within what both databases can compare; anything else, a cursor of another list or one
this server never wrote, is an InvalidInput naming the parameter it came in (a 422)."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson

from ..errors import InvalidInput

__all__ = ["decode_cursor", "encode_cursor", "equal", "int64", "maybe", "number", "utc_time"]

Reader = Callable[[Any], Any]  # a cursor value as read from JSON -> what the list compares; ValueError if bad

_INT64 = (-(2**63), 2**63 - 1)  # what both databases can compare a pk, a count or a position with


def encode_cursor(kind: str, *values: Any) -> str:
    """The cursor of `kind` holding `values`; a datetime is written as ISO-8601 with its offset."""
    raw = [kind, *(value.isoformat() if isinstance(value, datetime) else value for value in values)]
    return base64.urlsafe_b64encode(orjson.dumps(raw)).decode()


def decode_cursor(cursor: str, kind: str, readers: Sequence[Reader], *, field: str = "cursor", of: str) -> tuple:
    """The values of a cursor of `kind`, each read by its reader in turn; InvalidInput naming `field`, with "is
    not one this server handed out for `of`", for anything but such a cursor."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(decoded, list) or len(decoded) != 1 + len(readers) or decoded[0] != kind:
            raise ValueError("not a cursor of this list")
        return tuple(read(value) for read, value in zip(readers, decoded[1:]))
    except (ValueError, TypeError, UnicodeError, binascii.Error):  # orjson.JSONDecodeError is a ValueError
        raise InvalidInput(f"{field} is not one this server handed out for {of}", field=field) from None


def utc_time(value: Any) -> datetime:
    """An ISO-8601 time with a UTC offset that is in the years 1 to 9999 once in UTC, as a UTC datetime."""
    if not isinstance(value, str):
        raise ValueError("a time is text")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a time without an offset")
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("a time outside the years 1 to 9999 in UTC") from None


def int64(value: Any) -> int:
    """An integer (not a boolean) of 64 bits."""
    if isinstance(value, bool) or not isinstance(value, int) or not _INT64[0] <= value <= _INT64[1]:
        raise ValueError("not a 64-bit integer")
    return value


def number(value: Any) -> int | float:
    """A finite float, or an integer of 64 bits."""
    if isinstance(value, float) and math.isfinite(value):
        return value
    return int64(value)


def maybe(read: Reader) -> Reader:
    """`read`, or None for null."""
    return lambda value: None if value is None else read(value)


def equal(expected: Any) -> Reader:
    """Only `expected` itself (such as the digest of the session whose activities a cursor pages through)."""

    def read(value: Any) -> Any:
        if type(value) is not type(expected) or value != expected:
            raise ValueError("a cursor of another list")
        return value

    return read
