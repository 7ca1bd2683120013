"""The native API takes a boolean or a number only as JSON writes one: `true` is no token count and `"yes"`
no `is_error`; the item is invalid, naming the field, where a lax schema would have stored 1 or true."""

from __future__ import annotations

import pytest

from tests.support.payloads import llm, session, uid


def answer_of(client, kind: str, item: dict) -> dict:
    response = client.post("/api/v1/ingest", json={kind: [item]})
    assert response.status_code == 200, response.text
    (result,) = response.json()[kind]
    return result


@pytest.mark.parametrize(
    ("fields", "field", "error_type"),
    [
        ({"usage": {"prompt_tokens": True}}, "usage.prompt_tokens", "int_type"),
        ({"usage": {"completion_tokens": "7"}}, "usage.completion_tokens", "int_type"),
        ({"usage": {"total_tokens": 7.0}}, "usage.total_tokens", "int_type"),
        ({"order": False}, "order", "int_type"),
        ({"feedback_rating": "5"}, "feedback_rating", "int_type"),
        ({"feedback_label": True}, "feedback_label", "int_type"),
        ({"time_to_first_token_ms": True}, "time_to_first_token_ms", "float_type"),
        ({"time_to_first_token_ms": "120"}, "time_to_first_token_ms", "float_type"),
    ],
)
def test_an_activity_number_of_another_json_type_is_invalid_naming_the_field(client, fields, field, error_type):
    sid = uid("s-")
    result = answer_of(client, "activities", llm(uid("a-"), sid, **fields))
    assert result["status"] == "invalid", result
    assert [(e["field"], e["type"]) for e in result["errors"]] == [(field, error_type)]
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404


def test_retrieval_scores_are_numbers(client):
    docs = {"activity_type": "retrieved-docs", "documents": [{"text": "a"}], "scores": [True]}
    result = answer_of(client, "activities", {**llm(uid("a-"), uid("s-")), **docs})
    assert [(e["field"], e["type"]) for e in result["errors"]] == [("scores.0", "float_type")]


@pytest.mark.parametrize("value", ["yes", "true", 1])
def test_a_session_is_error_that_is_no_boolean_is_invalid_naming_the_field(client, value):
    sid = uid("s-")
    result = answer_of(client, "sessions", session(sid, is_error=value))
    assert result["status"] == "invalid", result
    assert [(e["field"], e["type"]) for e in result["errors"]] == [("is_error", "bool_type")]
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404


def test_numbers_and_booleans_as_json_writes_them_are_stored(client):
    sid, aid = uid("s-"), uid("a-")
    usage = {"prompt_tokens": 10, "completion_tokens": 0, "total_tokens": 10}
    call = llm(aid, sid, usage=usage, order=0, feedback_rating=-1, time_to_first_token_ms=120)
    response = client.post("/api/v1/ingest", json={"sessions": [session(sid, is_error=True)], "activities": [call]})
    assert response.json()["stored"] == 2, response.text
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert stored["is_error"] is True and stored["activities"][0]["usage"]["prompt_tokens"] == 10


@pytest.mark.parametrize("value", [1764410400, 1764410400.5, "1764410400"])
@pytest.mark.parametrize(
    ("kind", "field"), [("activities", "start_time"), ("activities", "end_time"), ("sessions", "start_time")]
)
def test_a_number_is_no_time_the_item_is_invalid_naming_the_field(client, value, kind, field):
    """Times are ISO-8601 with a UTC offset: a number (or its text) is not taken for seconds since 1970."""
    sid = uid("s-")
    item = session(sid) if kind == "sessions" else llm(uid("a-"), sid)
    result = answer_of(client, kind, {**item, field: value})
    assert result["status"] == "invalid", result
    assert [e["field"] for e in result["errors"]] == [field], result
    assert "UTC offset" in result["errors"][0]["message"], result
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404


def test_a_time_without_an_offset_is_refused_with_the_message_of_the_query_parameters(live_server):
    tenant = live_server.new_tenant("naive-times")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin) as client:
        key = client.post("/api/v1/keys", json={"expires_at": "2999-01-01T00:00:00"})
        query = client.get("/api/v1/metrics/usage", params={"since": "2999-01-01T00:00:00"})
    for answer, field in ((key, "expires_at"), (query, "query.since")):
        assert answer.status_code == 422, answer.text
        (error,) = answer.json()["errors"]
        assert error["field"] == field, answer.text
        assert error["message"] == (
            "expected an ISO-8601 time with a UTC offset, e.g. 2026-01-01T00:00:00Z; got '2999-01-01T00:00:00'"
        ), answer.text
