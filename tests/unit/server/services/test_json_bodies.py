"""Request bodies: one answer to a body that is not JSON whichever parser failed, and cleaning of strings at
any depth the parsers allow."""

from __future__ import annotations

import json

import orjson
import pytest

from promptwatch.server.errors import InvalidInput
from promptwatch.server.services.json_bodies import malformed_json, parse_json, parse_tolerant, storable_text


@pytest.mark.parametrize("raw", [b"{", b"[" * 1100 + b"]" * 1100, b"\xff\xfe"])
def test_both_parsers_answer_a_body_that_is_not_json_alike(raw):
    with pytest.raises(InvalidInput) as strict:
        parse_json(raw)
    with pytest.raises(InvalidInput) as tolerant:
        parse_tolerant(raw)
    for error in (strict.value, tolerant.value):
        assert error.status == 422 and error.detail.startswith("the body is not valid JSON: ")
        assert [(e["field"], e["type"]) for e in error.extra["errors"]] == [("body", "json_invalid")]


def test_the_reason_names_where_the_parser_stopped_and_a_depth_error_says_so():
    try:
        orjson.loads(b'{"a": }')
    except orjson.JSONDecodeError as exc:
        assert malformed_json(exc).detail.endswith("at line 1, column 7")
    try:
        json.loads("[" * 100_000)
    except RecursionError as exc:
        assert malformed_json(exc).detail == "the body is not valid JSON: it nests too deeply"


def test_strings_are_cleaned_at_any_depth():
    value: object = {"k\x00": "nul\x00", "lone": "\ud800"}
    for _ in range(50_000):
        value = [value]
    cleaned = storable_text(value)
    while isinstance(cleaned, list):
        cleaned = cleaned[0]
    assert cleaned == {"k\ufffd": "nul\ufffd", "lone": "\ufffd"}
