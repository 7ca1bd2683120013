"""Bodies that are not JSON, or not the JSON an endpoint takes, and free JSON nested too deep: a 4xx problem
naming the field on the native API (per item in a batch), values cut with a marker on the published client's
endpoints; never a 500, and nothing stored is lost."""

from __future__ import annotations

import socket
import time

import orjson
import pytest

from promptwatch.schema.common import MAX_JSON_DEPTH, TOO_DEEP
from tests.support.payloads import BASE_TIME, chain, iso, llm, session, uid

JSON = {"content-type": "application/json"}


def nested(levels: int, leaf="leaf"):
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def raw_nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def log(aid: str, sid: str, **fields) -> dict:
    return {"id": aid, "session_id": sid, "activity_type": "log", "start_time": iso(BASE_TIME), "text": "t", **fields}


def assert_problem(response, status: int, field: str, error_type: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert [(e["field"], e["type"]) for e in body["errors"]] == [(field, error_type)], body
    return body


TOO_DEEP_FIELDS = [
    ("metadata", log, {"metadata": {"x": nested(300)}}),
    ("inputs", chain, {"inputs": {"x": nested(600)}}),
    ("outputs", chain, {"outputs": {"x": nested(MAX_JSON_DEPTH)}}),
    ("settings", llm, {"settings": {"x": nested(500)}}),
    ("prompt_input_values", llm, {"prompt_input_values": {"x": nested(500)}}),
    ("prompt", llm, {"prompt": [{"role": "user", "text": "hi", "metadata": {"x": nested(500)}}]}),
    ("attributes", log, {"activity_type": "span", "attributes": {"x": nested(500)}}),
    ("documents", log, {"activity_type": "retrieved-docs", "documents": [{"text": "d", "extra": nested(500)}]}),
    ("prompts.0", log, {"activity_type": "parallel-prompt", "prompts": [{"x": nested(500)}]}),
]


@pytest.mark.parametrize("field, make, fields", TOO_DEEP_FIELDS, ids=[f[0] for f in TOO_DEEP_FIELDS])
def test_free_json_nested_too_deep_is_refused_by_name_and_the_rest_of_the_batch_is_stored(client, field, make, fields):
    sid, kept, deep, good = uid("s-"), uid("a-"), uid("a-"), uid("a-")
    assert client.post("/api/v1/ingest", json={"activities": [log(kept, sid)]}).json()["stored"] == 1
    bad = make(deep, sid, **fields)
    answer = client.post("/api/v1/ingest", json={"activities": [bad, log(good, sid), make(kept, sid, **fields)]})
    assert answer.status_code == 200, answer.text
    results = answer.json()["activities"]
    assert [r["status"] for r in results] == ["invalid", "stored", "invalid"]
    assert results[0]["errors"] == [
        {
            "field": field,
            "message": f"nests deeper than {MAX_JSON_DEPTH} levels of objects and arrays",
            "type": "json_too_deep",
        }
    ]
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert sorted(a["id"] for a in stored["activities"]) == sorted([kept, good])
    assert next(a for a in stored["activities"] if a["id"] == kept)["text"] == "t"


def test_free_json_at_the_depth_limit_is_stored_whole(client):
    sid, aid = uid("s-"), uid("a-")
    metadata = {"x": nested(MAX_JSON_DEPTH - 1)}
    answer = client.post(
        "/api/v1/ingest",
        json={"sessions": [session(sid, metadata=metadata)], "activities": [log(aid, sid, metadata=metadata)]},
    ).json()
    assert answer["stored"] == 2, answer
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert stored["metadata"] == metadata and stored["activities"][0]["metadata"] == metadata


def test_session_metadata_nested_too_deep_is_refused_by_name(client):
    sid = uid("s-")
    client.post("/api/v1/ingest", json={"sessions": [session(sid, session_name="kept")]})
    answer = client.post("/api/v1/ingest", json={"sessions": [session(sid, metadata={"x": nested(600)})]}).json()
    assert answer["sessions"][0]["status"] == "invalid"
    assert answer["sessions"][0]["errors"][0]["field"] == "metadata"
    assert client.get(f"/api/v1/sessions/{sid}").json()["session_name"] == "kept"


def test_dataset_item_nested_too_deep_is_a_422_naming_it(client):
    name = uid("ds-")
    assert client.post("/api/v1/datasets", json={"name": name}).status_code == 201
    response = client.post(f"/api/v1/datasets/{name}/items", json={"items": [{"input": nested(300)}]})
    assert_problem(response, 422, "items.0.input", "json_too_deep")


DEEP_VALUES = {"x": nested(300)}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/templates/{name}/versions", {"template": ["{q}", nested(300)]}, "template"),
        ("/api/v1/cache/{name}/entries", {"result": "r", "text": "t", "input_values": DEEP_VALUES}, "input_values"),
        ("/api/v1/cache/{name}/lookup", {"text": "t", "input_values": DEEP_VALUES}, "input_values"),
    ],
    ids=["template", "cache-entry", "cache-lookup"],
)
def test_prompt_loop_bodies_nested_too_deep_are_a_422_naming_the_field(client, path, body, field):
    response = client.post(path.format(name=uid("tpl-")), json=body)
    assert_problem(response, 422, field, "json_too_deep")


@pytest.mark.parametrize(
    "body", [b"", b"null", b"[]", b"42", b'"text"'], ids=["empty", "null", "array", "number", "string"]
)
def test_ingest_body_that_is_not_an_object_is_a_422_naming_the_body(client, body):
    response = client.post("/api/v1/ingest", content=body, headers=JSON)
    assert_problem(response, 422, "body", "model_type")


# the native API's own parser (ingest), FastAPI's (keys, datasets, login) and the published client's endpoints
PARSED_BODIES = [
    "/api/v1/ingest",
    "/api/v1/keys",
    "/api/v1/datasets",
    "/api/v1/auth/login",
    "/sessions/start",
    "/sessions/some-id/activities",
]


@pytest.mark.parametrize("path", PARSED_BODIES)
@pytest.mark.parametrize(
    "body",
    [b"{", b'{"a": 1,}', b"\xff\xfe\x00garbage", raw_nested(1100), b'{"x": ' + raw_nested(5000) + b"}"],
    ids=["truncated", "trailing-comma", "not-utf8", "past-parser-depth", "far-past-parser-depth"],
)
def test_a_body_that_is_not_json_gets_one_problem_everywhere(client, path, body):
    response = client.post(path, content=body, headers=JSON)
    problem = assert_problem(response, 422, "body", "json_invalid")
    assert problem["title"] == "Invalid input"
    assert problem["detail"] == "the body is not valid JSON: " + problem["errors"][0]["message"]


def test_published_client_endpoints_store_too_deep_values_cut_with_a_marker(client):
    sid, aid = uid("s-"), uid("a-")
    deep = nested(600)
    start = client.post("/sessions/start", json={"id": sid, "session_name": "deep", "extra": deep})
    assert start.status_code == 200, start.text
    activities = [
        {
            "id": aid,
            "activity_type": "chain-sequence",
            "start_time": iso(BASE_TIME),
            "inputs": {"x": deep},
            "metadata": {"x": deep},
            "unknown": deep,
        },
        {"activity_type": "log", "text": deep},
    ]
    added = client.post(f"/sessions/{sid}/activities", json=activities)
    assert added.status_code == 200, added.text
    assert set(added.json()["activities"].values()) == {"stored"}

    cut = nested(MAX_JSON_DEPTH - 1, TOO_DEEP)  # inside the object a field's value is
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert stored["session_name"] == "deep" and stored["metadata"] == {"extra": cut}  # the unknown fields
    by_id = {a["id"]: a for a in stored["activities"]}
    assert by_id[aid]["inputs"] == {"x": cut} and by_id[aid]["metadata"] == {"x": cut}
    assert by_id[aid]["unknown"] == nested(MAX_JSON_DEPTH, TOO_DEEP)
    assert len(by_id) == 2


def test_published_client_cache_and_test_runs_take_too_deep_bodies(client):
    ns, deep = f"proj.{uid()}", {"x": nested(600)}
    entry = {"embedding": [0.1, 0.2, 0.3], "prompt_input_values": deep}
    assert client.post(f"/prompt-cache/{ns}", json={**entry, "id": uid(), "result": "Paris"}).json() == {"ok": True}
    assert client.post(f"/prompt-cache/{ns}/get", json=entry).json()["result"] == "Paris"
    run = client.post(f"/tests/{uid('t-')}/runs", json={"run_id": uid(), "conditions": deep})
    assert run.status_code == 200, run.text


@pytest.mark.parametrize("path", ["/api/v1/ingest", "/sessions/start", "/sessions/cut-short/activities"])
def test_a_client_that_hangs_up_mid_body_is_no_server_error(live_server, path):
    """The published client gives up after 5 s: its half-sent body is the client's doing, logged without a
    traceback, and the server goes on serving."""
    port = int(live_server.base_url.rsplit(":", 1)[1])
    before = live_server.log_text().count("Traceback")
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += f"x-api-key: {live_server.first.api_key}\r\nContent-Length: 5000\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(head.encode() + b'{"session": {"id": "cut-short"')
        time.sleep(0.2)
    with live_server.client(live_server.first.api_key) as client:
        deadline = time.monotonic() + 5
        while "client disconnected during" not in live_server.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/api/v1/health").status_code == 200
    assert f"client disconnected during POST {path}" in live_server.log_text()
    assert live_server.log_text().count("Traceback") == before


def test_a_lone_surrogate_escape_costs_its_character_not_the_batch(client):
    """A string escaping half of a UTF-16 pair (an emoji cut by a client that truncates strings) is legal JSON
    that no store can hold: it is stored with U+FFFD there, and the batch's other items with it."""
    sid, cut, whole = uid("s-"), uid("a-"), uid("a-")
    body = orjson.dumps(
        {"sessions": [session(sid)], "activities": [llm(cut, sid, prompt="lone CUT trunc"), llm(whole, sid)]}
    ).replace(b"CUT", b"\\ud83d")
    answer = client.post("/api/v1/ingest", content=body, headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 3
    prompts = {a["id"]: a["prompt"] for a in client.get(f"/api/v1/sessions/{sid}").json()["activities"]}
    assert prompts == {cut: "lone \ufffd trunc", whole: "Tell me about the weather in Prague"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [(b"99999999999999999999999", 200), (b"NaN", 422), (b"-Infinity", 422)],
    ids=["integer-beyond-64-bits", "nan", "infinity"],
)
def test_a_body_with_a_lone_surrogate_is_read_by_orjson_s_rules_otherwise(client, extra, expected):
    """The standard parser that reads such a body takes NaN, Infinity and integers of any size; the body is read
    as orjson reads any other: NaN and Infinity are not JSON, an integer beyond 64 bits is a float."""
    sid = uid("s-")
    body = orjson.dumps({"sessions": [session(sid, metadata={"n": "NUMBER"})]})
    body = body.replace(b'"NUMBER"', extra).replace(b'"metadata"', b'"session_name":"cut \\ud83d","metadata"')
    answer = client.post("/api/v1/ingest", content=body, headers=JSON)
    assert answer.status_code == expected, answer.text
    if expected == 200:
        stored = client.get(f"/api/v1/sessions/{sid}").json()
        assert stored["metadata"] == {"n": 1e23} and stored["session_name"] == "cut \ufffd"
