"""A malformed OTLP body is a 400 problem that says what is wrong in OTLP's terms — for OTLP/JSON the field at
fault by its path and what it should hold — never a Python or decoder message, and nothing of it is stored,
not even its well-formed spans."""

from __future__ import annotations

import copy
import re

import orjson
import pytest

from tests.integration.test_otlp import json_span, post
from tests.support.payloads import uid

SPANS, SPANS_AT = "resourceSpans[0].scopeSpans[0].spans", ["resourceSpans", 0, "scopeSpans", 0, "spans"]
INTERNALS = re.compile(
    r"object of type|has no len|'\w+' object|not iterable|invalid literal|Failed to parse|bytes-like|NoneType"
    r"|can only concatenate|Traceback|Error -?\d|Error parsing|Couldn't parse|ExportTraceServiceRequest\.",
)
VALUE = [*SPANS_AT, 1, "attributes", 0, "value"]

# (where in the body, the value put there, the field the answer names, what it says the field takes)
MALFORMED = [
    ([], [1, 2], None, "expected an object, got an array"),
    (["resourceSpans"], 5, "resourceSpans", "expected an array, got 5"),
    (["resourceSpans", 0], "spans", "resourceSpans[0]", 'expected an object, got "spans"'),
    (["resourceSpans", 0, "resource"], 5, "resourceSpans[0].resource", "expected an object, got 5"),
    (
        ["resourceSpans", 0, "resource", "attributes"],
        "service.name=shop",
        "resourceSpans[0].resource.attributes",
        "expected an array",
    ),
    (["resourceSpans", 0, "scopeSpans"], {}, "resourceSpans[0].scopeSpans", "expected an array, got an object"),
    (["resourceSpans", 0, "scopeSpans", 0, "scope"], [], "resourceSpans[0].scopeSpans[0].scope", "expected an object"),
    ([*SPANS_AT, 1], 3, f"{SPANS}[1]", "expected an object, got 3"),
    ([*SPANS_AT, 1, "traceId"], 5, f"{SPANS}[1].traceId", "expected a string of hex digits, got 5"),
    ([*SPANS_AT, 1, "spanId"], ["ab"], f"{SPANS}[1].spanId", "expected a string of hex digits, got an array"),
    ([*SPANS_AT, 1, "name"], {"text": "x"}, f"{SPANS}[1].name", "expected a string, got an object"),
    ([*SPANS_AT, 1, "startTimeUnixNano"], "soon", f"{SPANS}[1].startTimeUnixNano", "unsigned 64-bit integer"),
    ([*SPANS_AT, 1, "endTimeUnixNano"], -1, f"{SPANS}[1].endTimeUnixNano", "unsigned 64-bit integer"),
    ([*SPANS_AT, 1, "kind"], [3], f"{SPANS}[1].kind", "expected a SpanKind name or number"),
    ([*SPANS_AT, 1, "attributes"], {"a": 1}, f"{SPANS}[1].attributes", "expected an array, got an object"),
    (VALUE, "x", f"{SPANS}[1].attributes[0].value", 'expected an object, got "x"'),
    ([*VALUE, "stringValue"], 7, f"{SPANS}[1].attributes[0].value.stringValue", "expected a string, got 7"),
    (VALUE, {"intValue": "many"}, f"{SPANS}[1].attributes[0].value.intValue", "64-bit integer"),
    (VALUE, {"boolValue": "yes"}, f"{SPANS}[1].attributes[0].value.boolValue", "expected true or false"),
    (VALUE, {"arrayValue": {"values": 5}}, f"{SPANS}[1].attributes[0].value.arrayValue.values", "expected an array"),
    ([*VALUE, "intValue"], 1, f"{SPANS}[1].attributes[0].value", "holds both stringValue and intValue"),
    ([*SPANS_AT, 1, "status"], 2, f"{SPANS}[1].status", "expected an object, got 2"),
    ([*SPANS_AT, 1, "status", "code"], {}, f"{SPANS}[1].status.code", "expected a StatusCode name or number"),
    ([*SPANS_AT, 1, "events", 0, "timeUnixNano"], "later", f"{SPANS}[1].events[0].timeUnixNano", "unsigned 64-bit"),
    ([*SPANS_AT, 1, "links", 0, "spanId"], 7, f"{SPANS}[1].links[0].spanId", "expected a string of hex digits, got 7"),
]


def well_formed(first_trace: str, second_trace: str) -> dict:
    """Two spans of two traces; the second has an attribute, a status, an event and a link to alter."""
    second = json_span(second_trace, uid(), attributes={"user.id": "u-1"}, status={"code": 2, "message": "boom"})
    second["events"] = [{"name": "retry", "timeUnixNano": "1793534400000000000"}]
    second["links"] = [{"traceId": first_trace, "spanId": uid()}]
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]}
    scope_spans = [{"scope": {"name": "tests"}, "spans": [json_span(first_trace, uid()), second]}]
    return {"resourceSpans": [{"resource": resource, "scopeSpans": scope_spans}]}


def altered(body: dict, where: list, value) -> dict | list:
    if not where:
        return value
    body = copy.deepcopy(body)
    parent = body
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = value
    return body


def assert_refused_and_nothing_stored(client, response, traces: tuple[str, ...]) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["title"] == "Bad request"
    assert not INTERNALS.search(problem["detail"]), problem["detail"]
    for trace_id in traces:
        assert client.get(f"/api/v1/sessions/{trace_id}").status_code == 404, trace_id
    return problem["detail"]


@pytest.mark.parametrize(("where", "value", "field", "expected"), MALFORMED, ids=[m[2] or "body" for m in MALFORMED])
def test_a_malformed_otlp_json_body_is_a_400_naming_the_field_and_what_it_takes(client, where, value, field, expected):
    traces = (uid() + uid(), uid() + uid())
    body = altered(well_formed(*traces), where, value)
    detail = assert_refused_and_nothing_stored(client, post(client, orjson.dumps(body)), traces)
    prefix = "the body is not an ExportTraceServiceRequest in OTLP/JSON: "
    assert detail.startswith(prefix + (f"{field}: " if field else "")), detail
    assert expected in detail, detail


def test_bodies_that_do_not_decode_at_all_are_a_400_without_the_decoders_words(client):
    trace = uid() + uid()
    good = orjson.dumps(well_formed(trace, uid() + uid()))
    for body, media, headers, said in (
        (b"\x0a\x05\xff", "application/x-protobuf", {}, "in protobuf: it does not decode as one"),
        (good[:-3], "application/json", {}, "the body is not valid JSON: "),
        (b"\xff" + good, "application/json", {}, "the body is not valid JSON: it is not UTF-8"),
        (b"not gzip", "application/json", {"content-encoding": "gzip"}, "not valid gzip"),
        (b"not deflate", "application/json", {"content-encoding": "deflate"}, "not valid deflate"),
    ):
        response = post(client, body, media, **headers)
        assert said in assert_refused_and_nothing_stored(client, response, (trace,)), said
    accepted = post(client, good)
    assert accepted.status_code == 200 and accepted.json() == {}, accepted.text
    assert client.get(f"/api/v1/sessions/{trace}").status_code == 200
