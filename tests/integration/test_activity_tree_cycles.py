"""Parent cycles and times that run backwards, through every entry point. The native API refuses an activity
that is its own parent and an end before the start, naming the field; the published client's endpoints and
OTLP keep such data mended (no parent; the end at the start). Longer cycles are stored as sent, and the
readers that walk the tree (the session's detail, whole or a page at a time, and the deletion of an activity
with what is under it) stay finite and count each activity once."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest

from tests.support.payloads import BASE_TIME, iso, session, uid


def ingest(client, sessions=(), activities=()) -> dict:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    return response.json()


def step(aid: str, sid: str, parent: str | None, second: float) -> dict:
    """A closed log activity that starts `second` seconds after BASE_TIME and lasts 10 ms."""
    start = BASE_TIME + timedelta(seconds=second)
    item = {"id": aid, "session_id": sid, "activity_type": "log", "text": f"step {aid}", "start_time": iso(start)}
    item["end_time"] = iso(start + timedelta(milliseconds=10))
    return {**item, **({"parent_activity_id": parent} if parent else {})}


def cycle(sid: str, length: int) -> tuple[list[dict], list[dict]]:
    """Two batches that make a cycle of `length` activities, each the parent of the next and the last the
    parent of the first, with a child of the second member that starts before all of them: the first batch
    has every member but the first, whose arrival closes the cycle."""
    ids = [uid(f"c{n}-") for n in range(length)]
    members = [step(ids[n], sid, ids[n - 1], second=n + 1) for n in range(length)]
    tail = step(uid("t-"), sid, ids[1 % length], second=0)
    return [*members[1:], tail], [members[0]]


def session_activities(client, sid: str, **params) -> list[dict]:
    """Every activity of the session, read a page at a time when `params` asks for pages."""
    out, cursor = [], None
    while True:
        page = {**params, "activities_cursor": cursor} if cursor else params
        answer = client.get(f"/api/v1/sessions/{sid}", params=page)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        out += body["activities"]
        cursor = body["next_activities_cursor"]
        if cursor is None:
            return out


def field_of(result: dict) -> list[str]:
    return [error["field"] for error in result["errors"]]


def test_the_native_api_refuses_an_activity_that_is_its_own_parent(client):
    sid, aid, good = uid("s-"), uid("a-"), uid("a-")
    result = ingest(client, [], [step(aid, sid, aid, second=1), step(good, sid, aid, second=2)])
    refused, stored = result["activities"]
    assert refused["status"] == "invalid" and field_of(refused) == ["parent_activity_id"]
    assert "its own parent" in refused["errors"][0]["message"]
    assert stored["status"] == "stored"
    assert [a["id"] for a in session_activities(client, sid)] == [good]


def test_the_native_api_refuses_a_session_or_activity_that_ends_before_it_starts(client):
    sid, aid = uid("s-"), uid("a-")
    backwards = session(sid, end_time=iso(BASE_TIME - timedelta(seconds=1)))
    item = step(aid, sid, None, second=1)
    item["end_time"] = iso(BASE_TIME)
    result = ingest(client, [backwards], [item])
    assert result["sessions"][0]["status"] == "invalid" and field_of(result["sessions"][0]) == ["end_time"]
    assert result["activities"][0]["status"] == "invalid" and field_of(result["activities"][0]) == ["end_time"]
    assert result["stored"] == 0 and client.get(f"/api/v1/sessions/{sid}").status_code == 404
    instant = ingest(client, [session(sid, end_time=iso(BASE_TIME))])  # an end at the start is a moment
    assert instant["sessions"][0]["status"] == "stored"


@pytest.mark.parametrize("length", [2, 3])
def test_a_cycle_across_two_native_batches_is_read_and_deleted_as_a_tree_with_each_activity_once(client, length):
    sid = uid("s-")
    first, second = cycle(sid, length)
    ingest(client, [], first)
    assert {a["status"] for a in ingest(client, [], second)["activities"]} == {"stored"}
    sent = {a["id"]: a.get("parent_activity_id") for a in first + second}
    for params in ({}, {"activities_limit": 1}, {"activities_limit": 2, "activities_fields": "outline"}):
        read = session_activities(client, sid, **params)
        assert len(read) == len(sent) and {a["id"]: a["parent_activity_id"] for a in read} == sent, params
    # the cycle is shown cut at its earliest member (the tree's root): the second member heads the rest
    root, under = second[0]["id"], first[0]["id"]
    receipt = client.delete(f"/api/v1/activities/{under}")
    assert receipt.status_code == 200 and receipt.json()["counts"] == {"activities": length}
    assert [a["id"] for a in session_activities(client, sid)] == [root]
    assert client.get(f"/api/v1/sessions/{sid}").json()["activity_count"] == 1


def test_the_published_clients_endpoints_keep_a_self_parent_as_a_root_and_cycles_readable(client):
    sid, own = uid("s-"), uid("a-")
    first, second = cycle(sid, 3)
    for batch in ([*first, step(own, sid, own, second=9)], second):
        response = client.post(f"/sessions/{sid}/activities", json=batch)
        assert response.status_code == 200, response.text
    read = {a["id"]: a["parent_activity_id"] for a in session_activities(client, sid)}
    assert len(read) == 5 and read[own] is None
    assert {k: v for k, v in read.items() if k != own} == {a["id"]: a["parent_activity_id"] for a in first + second}
    receipt = client.delete(f"/api/v1/activities/{second[0]['id']}")  # the root: the whole cycle with its tail
    assert receipt.status_code == 200 and receipt.json()["counts"] == {"activities": 4}


def test_the_published_clients_endpoints_end_a_backwards_session_or_activity_at_its_start(client):
    sid, aid = uid("s-"), uid("a-")
    start, before = iso(BASE_TIME), iso(BASE_TIME - timedelta(hours=1))
    assert client.post("/sessions/start", json={"id": sid, "start_time": start}).status_code == 200
    assert client.post("/sessions/finish", json={"id": sid, "start_time": start, "end_time": before}).status_code == 200
    item = step(aid, sid, None, second=0)
    item["end_time"] = before
    assert client.post(f"/sessions/{sid}/activities", json=[item]).status_code == 200
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert stored["end_time"] == stored["start_time"]
    (activity,) = stored["activities"]
    assert activity["end_time"] == activity["start_time"]


def test_an_otlp_span_that_is_its_own_parent_is_a_root(client):
    trace_id, span_id = uid() + uid(), uid()
    start = 1_793_534_400_000_000_000  # 2026-11-01T12:00:00Z
    span = {"traceId": trace_id, "spanId": span_id, "parentSpanId": span_id, "name": "loop", "kind": 1}
    span |= {"startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 1_000_000)}
    body = orjson.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": [span]}]}]})
    response = client.post("/v1/traces", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json() == {}, response.text
    (activity,) = client.get(f"/api/v1/sessions/{trace_id}").json()["activities"]
    assert activity["id"] == f"{trace_id}:{span_id}" and activity["parent_activity_id"] is None


def test_a_session_given_only_an_end_never_ends_before_it_starts(client):
    """A native session record with an end and no start (its start is otherwise the moment it arrives) starts
    at its end; a finish without a start that ends before the start already stored, as the published client's
    endpoints take it, ends at that start (docs/api.md: such an end is stored as the start time)."""
    alone, finished = uid("s-"), uid("s-")
    ingest(client, sessions=[{"id": alone, "end_time": iso(BASE_TIME)}])
    assert client.post("/sessions/start", json={"id": finished, "start_time": iso(BASE_TIME)}).status_code == 200
    earlier = iso(BASE_TIME - timedelta(hours=1))
    assert client.post("/sessions/finish", json={"id": finished, "end_time": earlier}).status_code == 200
    for sid, end in ((alone, BASE_TIME), (finished, BASE_TIME)):
        stored = client.get(f"/api/v1/sessions/{sid}").json()
        assert datetime.fromisoformat(stored["start_time"]) == datetime.fromisoformat(stored["end_time"]) == end
