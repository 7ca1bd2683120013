"""A session re-sent with an end and no start, the end before the start it has stored (native ingest, or the
published client's `/sessions/finish`): the session keeps its start and ends there, as docs/api.md says an
end before the start is stored (the start never moves back to such an end). Alone, a session given only an
end starts at that end; an end before the start a batch gives (an activity's) is that start."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.payloads import BASE_TIME, iso, session, uid

EARLIER = BASE_TIME - timedelta(hours=1)
LATER = BASE_TIME + timedelta(hours=1)


def ingest(client, sessions=(), activities=()) -> None:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text


def times(client, sid: str) -> tuple[datetime, datetime | None]:
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    end = stored["end_time"]
    return datetime.fromisoformat(stored["start_time"]), end and datetime.fromisoformat(end)


def test_a_native_end_before_the_stored_start_is_the_start(client):
    sid, other = uid("s-"), uid("s-")
    ingest(client, [session(sid)])
    ingest(client, [{"id": sid, "end_time": iso(EARLIER)}, session(other, end_time=iso(LATER))])
    assert times(client, sid) == (BASE_TIME, BASE_TIME)
    assert times(client, other) == (BASE_TIME, LATER)  # a row of the same batch that gives its start


def test_the_published_clients_finish_before_the_stored_start_ends_at_the_start(client):
    sid = uid("s-")
    assert client.post("/sessions/start", json={"id": sid, "start_time": iso(BASE_TIME)}).status_code == 200
    assert client.post("/sessions/finish", json={"id": sid, "end_time": iso(EARLIER)}).status_code == 200
    assert times(client, sid) == (BASE_TIME, BASE_TIME)


def test_an_end_after_the_stored_start_replaces_the_end_and_keeps_the_start(client):
    sid = uid("s-")
    ingest(client, [session(sid, end_time=iso(LATER))])
    ingest(client, [{"id": sid, "end_time": iso(BASE_TIME + timedelta(minutes=5))}])
    assert times(client, sid) == (BASE_TIME, BASE_TIME + timedelta(minutes=5))


def test_a_session_given_only_an_end_starts_there(client):
    sid = uid("s-")
    ingest(client, [{"id": sid, "end_time": iso(EARLIER)}])
    assert times(client, sid) == (EARLIER, EARLIER)


def test_an_end_before_the_activities_of_its_batch_is_their_start(client):
    sid, aid = uid("s-"), uid("a-")
    activity = {"id": aid, "session_id": sid, "activity_type": "log", "text": "late", "start_time": iso(BASE_TIME)}
    ingest(client, [{"id": sid, "end_time": iso(EARLIER)}], [activity])
    assert times(client, sid) == (BASE_TIME, BASE_TIME)
