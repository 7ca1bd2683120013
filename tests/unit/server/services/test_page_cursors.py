"""The one reader of page cursors takes back what it wrote and refuses, naming the parameter, anything else."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from promptwatch.server.errors import InvalidInput
from promptwatch.server.services.page_cursors import (
    decode_cursor,
    encode_cursor,
    equal,
    int64,
    maybe,
    number,
    utc_time,
)

READERS = (utc_time, maybe(int64), number, equal("mark"))
MOMENT = datetime(2026, 11, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))


def forged(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


def test_a_cursor_reads_back_what_was_written_with_times_in_utc():
    cursor = encode_cursor("kind", MOMENT, None, 0.25, "mark")
    values = decode_cursor(cursor, "kind", READERS, of="this list")
    assert values == (MOMENT, None, 0.25, "mark")
    assert values[0].tzinfo is timezone.utc
    assert decode_cursor(encode_cursor("kind", MOMENT, 2**63 - 1, -(2**63), "mark"), "kind", READERS, of="x")[1:3] == (
        2**63 - 1,
        -(2**63),
    )


BAD = [
    forged("kind", "2026-11-01T12:00:00", None, 1, "mark"),  # no offset
    forged("kind", "0001-01-01T00:00:00+14:00", None, 1, "mark"),  # before the year 1 in UTC
    forged("kind", "9999-12-31T23:00:00-14:00", None, 1, "mark"),  # after 9999 in UTC
    forged("kind", "2026-13-01T00:00:00Z", None, 1, "mark"),
    forged("kind", 1764410400, None, 1, "mark"),
    forged("kind", MOMENT.isoformat(), 2**63, 1, "mark"),
    forged("kind", MOMENT.isoformat(), True, 1, "mark"),
    forged("kind", MOMENT.isoformat(), 1.0, 1, "mark"),
    forged("kind", MOMENT.isoformat(), "1", 1, "mark"),
    forged("kind", MOMENT.isoformat(), None, 2**64 - 1, "mark"),
    forged("kind", MOMENT.isoformat(), None, False, "mark"),
    forged("kind", MOMENT.isoformat(), None, "0.5", "mark"),
    forged("kind", MOMENT.isoformat(), None, 1, "other mark"),
    forged("other", MOMENT.isoformat(), None, 1, "mark"),
    forged("kind", MOMENT.isoformat(), None, 1),
    forged("kind", MOMENT.isoformat(), None, 1, "mark", 1),
    forged(),
    base64.urlsafe_b64encode(b'{"kind": 1}').decode(),
    base64.urlsafe_b64encode(b"[1e400]").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "not base64 at all!",
    "é",
    "",
]


@pytest.mark.parametrize("cursor", BAD)
def test_anything_else_is_invalid_input_naming_the_parameter(cursor):
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, "kind", READERS, field="activities_cursor", of="this list")
    assert refused.value.extra == {"field": "activities_cursor"}
    assert refused.value.detail == "activities_cursor is not one this server handed out for this list"
