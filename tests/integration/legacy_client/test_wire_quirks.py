"""The published client's traffic patterns (WIRE_PROTOCOL.md §3, §4, §7, §9, §10) replayed with raw HTTP.

No virtualenv needed: the payloads are the captured ones of §10, serialized as the client does (compact,
ASCII-only JSON with `\\u` escapes, nulls present), sent with its headers (`x-api-key` = the whole key,
`Content-Type: application/json` on every request) to `live_server`. Every answer must come within the
client's 5 s timeout, since it never retries.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime

import httpx
import pytest

CLIENT_TIMEOUT = 5.0
HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "python-requests/2.34.2",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
}
T0 = "2026-11-29T07:18:22.631312+00:00"
T1 = "2026-11-29T07:18:22.723196+00:00"
T2 = "2026-11-29T07:18:22.726541+00:00"
T3 = "2026-11-29T07:18:22.736911+00:00"
T4 = "2026-11-29T07:18:22.801000+00:00"
COMMON = {"error": None, "info_message": None, "feedback_label": None, "feedback_rating": None, "feedback_notes": None}


class Wire:
    """Speaks like the published client: the whole key as x-api-key, bodies from pydantic v1 `.json()`."""

    def __init__(self, base_url: str, key: str | None) -> None:
        headers = {**HEADERS, **({"x-api-key": key} if key is not None else {})}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=CLIENT_TIMEOUT)

    def send(self, method: str, path: str, body=None, raw: bytes | None = None) -> httpx.Response:
        content = raw if raw is not None else b"" if body is None else client_json(body).encode("ascii")
        started = time.monotonic()
        response = self.http.request(method, path, content=content)
        assert time.monotonic() - started < CLIENT_TIMEOUT, f"{method} {path} took too long"
        assert response.status_code != 500, response.text
        return response

    def start(self, session: dict) -> httpx.Response:
        return self.send("POST", "/sessions/start", session)

    def finish(self, session: dict) -> httpx.Response:
        return self.send("POST", "/sessions/finish", session)

    def activities(self, session_id: str, items: list[dict]) -> httpx.Response:
        return self.send("POST", f"/sessions/{session_id}/activities", items)


def client_json(value) -> str:
    """pydantic v1 `.json()`: compact separators, ensure_ascii (non-ASCII as \\uXXXX)."""
    return json.dumps(value, separators=(",", ":"))


@pytest.fixture
def wire(live_server):
    client = Wire(live_server.base_url, live_server.first.api_key)
    yield client
    client.http.close()


def read(live_server, session_id: str, key: str | None = None) -> dict | None:
    with live_server.client(key or live_server.first.api_key) as client:
        response = client.get(f"/api/v1/sessions/{session_id}")
    assert response.status_code in (200, 404), response.text
    return response.json() if response.status_code == 200 else None


def activity_map(stored: dict) -> dict[str, dict]:
    return {a["id"]: a for a in stored["activities"]}


def new_id() -> str:
    return str(uuid.uuid4())


def session(sid: str, **fields) -> dict:
    base = {
        "id": sid,
        "start_time": T0,
        "end_time": None,
        "session_name": "The quick brown fox jumped over",
        "steps_count": 2,
        "tracking_project": "example-a",
        "tracking_tenant": "customer-1",
        "is_error": False,
    }
    return {**base, **fields}


def chain(aid: str, *, closed: bool, order: int = 1, parent: str | None = None) -> dict:
    metadata = {"input_kwargs": {"run_id": "b48fcc58", "parent_run_id": None, "tags": [], "metadata": {}}}
    if closed:
        metadata["output_kwargs"] = {"run_id": "b48fcc58", "parent_run_id": None, "tags": []}
    return {
        "id": aid,
        "order": order,
        "parent_activity_id": parent,
        "start_time": T1,
        "end_time": T3 if closed else None,
        "metadata": metadata,
        **COMMON,
        "activity_type": "chain-sequence",
        "sequence_type": "LLMChain",
        "inputs": {"input": "The quick brown fox jumped over"},
        "outputs": {"text": "the lazy dog."} if closed else None,
    }


def llm(aid: str, parent: str, *, order: int = 2, **fields) -> dict:
    return {
        "id": aid,
        "order": order,
        "parent_activity_id": parent,
        "start_time": T1,
        "end_time": T2,
        "metadata": {"llm": {"responses": ["the lazy dog."], "_type": "fake-list", "stop": None}, "graph": "{}"},
        **COMMON,
        "activity_type": "llm-prompt",
        "prompt": "Finish this sentence: The quick brown fox jumped over",
        "prompt_template": {
            "prompt_template": "Finish this sentence: {input}",
            "prompt_input_params": ["input"],
            "format": "f-string",
        },
        "prompt_input_values": {"input": "The quick brown fox jumped over"},
        "caption": None,
        "generated": "the lazy dog.",
        **fields,
    }


def log(aid: str, text: str, order: int = 1, **fields) -> dict:
    item = {"id": aid, "order": order, "parent_activity_id": None, "start_time": T1, "end_time": T2, "metadata": None}
    return {**item, **COMMON, "activity_type": "log", "text": text, **fields}


def test_chain_sequence_of_section_7_1(live_server, wire):
    """start (steps 2) → [open chain, closed prompt] → [closed chain] → finish: two closed activities."""
    sid, cid, lid = new_id(), new_id(), new_id()
    assert wire.start(session(sid)).status_code == 200
    assert wire.activities(sid, [chain(cid, closed=False), llm(lid, cid)]).status_code == 200
    assert wire.activities(sid, [chain(cid, closed=True)]).status_code == 200
    assert wire.finish(session(sid, end_time=T4)).status_code == 200
    stored = read(live_server, sid)
    assert (stored["tracking_project"], stored["tracking_tenant"]) == ("example-a", "customer-1")
    assert stored["session_name"] == "The quick brown fox jumped over"
    assert datetime.fromisoformat(stored["end_time"]) == datetime.fromisoformat(T4)
    activities = activity_map(stored)
    assert set(activities) == {cid, lid} and stored["activity_count"] == 2
    assert activities[cid]["outputs"] == {"text": "the lazy dog."} and activities[cid]["end_time"]
    assert activities[lid]["parent_activity_id"] == cid and activities[lid]["generated"] == "the lazy dog."


def test_activities_before_session_start_and_finish_without_start(live_server, wire):
    sid, aid = new_id(), new_id()
    assert wire.activities(sid, [log(aid, "early")]).status_code == 200
    early = read(live_server, sid)
    assert [a["id"] for a in early["activities"]] == [aid] and early["tracking_project"] is None
    assert wire.start(session(sid, steps_count=1)).status_code == 200
    started = read(live_server, sid)
    assert [a["id"] for a in started["activities"]] == [aid]
    assert (started["tracking_project"], started["session_name"]) == ("example-a", "The quick brown fox jumped over")
    other = new_id()  # /sessions/start lost: activities and finish still make the whole session
    assert wire.activities(other, [log(new_id(), "lost start")]).status_code == 200
    assert wire.finish(session(other, end_time=T4, steps_count=1, is_error=True)).status_code == 200
    finished = read(live_server, other)
    assert finished["tracking_project"] == "example-a" and finished["is_error"] and finished["end_time"]
    assert finished["activity_count"] == 1


def test_repeated_start_with_steps_restarting(live_server, wire):
    sid, first, second, third = new_id(), new_id(), new_id(), new_id()
    wire.start(session(sid))
    wire.activities(sid, [log(first, "one", order=1), log(second, "two", order=2)])
    wire.finish(session(sid, end_time=T2))
    later = "2026-11-29T08:00:00+00:00"
    wire.start(session(sid, start_time=later, steps_count=1, session_name="again"))
    wire.activities(sid, [log(third, "one again", order=1, start_time=later, end_time=later)])
    stored = read(live_server, sid)
    assert sorted(a["order"] for a in stored["activities"]) == [1, 1, 2]
    assert {a["id"] for a in stored["activities"]} == {first, second, third}
    assert datetime.fromisoformat(stored["start_time"]) == datetime.fromisoformat(T0)
    assert stored["steps_count"] == 1 and stored["session_name"] == "again"


def test_open_copy_never_reopens_a_closed_activity(live_server, wire):
    sid, cid, both = new_id(), new_id(), new_id()
    wire.activities(sid, [chain(cid, closed=True)])
    assert wire.activities(sid, [chain(cid, closed=False)]).status_code == 200  # re-sent stale copy
    wire.activities(sid, [chain(both, closed=True, order=2), chain(both, closed=False, order=2)])  # one batch
    stored = activity_map(read(live_server, sid))
    for aid in (cid, both):
        assert stored[aid]["end_time"] is not None
        assert stored[aid]["outputs"] == {"text": "the lazy dog."}
        assert "output_kwargs" in stored[aid]["metadata"]
    assert len(stored) == 2


def test_never_closed_activity_stays_open(live_server, wire):
    sid, cid = new_id(), new_id()
    wire.activities(sid, [chain(cid, closed=False)])
    wire.finish(session(sid, end_time=T4))
    (activity,) = read(live_server, sid)["activities"]
    assert activity["end_time"] is None and activity.get("outputs") is None


def test_retried_batch_never_duplicates(live_server, wire):
    sid, cid, lid = new_id(), new_id(), new_id()
    batch = [chain(cid, closed=False), llm(lid, cid)]
    for _ in range(3):
        assert wire.activities(sid, batch).status_code == 200
    no_id = {k: v for k, v in log("unused", "sent without an id").items() if k != "id"}
    for _ in range(2):
        wire.activities(sid, [no_id])
    stored = read(live_server, sid)
    assert stored["activity_count"] == len(stored["activities"]) == 3
    assert stored["llm_calls"] == 1


def test_empty_bodies_are_accepted(live_server, wire):
    for path in ("/sessions/start", "/sessions/finish", f"/sessions/{new_id()}/activities"):
        response = wire.send("POST", path, raw=b"")
        assert 200 <= response.status_code <= 300, (path, response.text)
        assert wire.send("POST", path, raw=b"null").status_code == 200
    assert wire.send("POST", f"/sessions/{new_id()}/restore").json() == {"session": None}


def test_unknown_fields_and_activity_types_are_kept(live_server, wire):
    sid, known, future = new_id(), new_id(), new_id()
    wire.start(session(sid, labels={"team": "search"}))
    assert read(live_server, sid)["metadata"] == {"labels": {"team": "search"}}  # unknown session fields
    item = log(known, "with extras", new_field={"nested": [1, 2]})
    unknown = {**log(future, "from a newer client", order=2), "activity_type": "thought", "thought_depth": 3}
    assert wire.activities(sid, [item, unknown]).status_code == 200
    activities = activity_map(read(live_server, sid))
    assert activities[known]["new_field"] == {"nested": [1, 2]}
    assert activities[future]["activity_type"] == "thought"
    assert (activities[future]["thought_depth"], activities[future]["text"]) == (3, "from a newer client")


def test_session_metadata_survives_later_upserts(live_server, wire):
    sid = new_id()
    wire.start(session(sid, labels={"team": "search"}))
    wire.activities(sid, [log(new_id(), "one")])
    wire.finish(session(sid, end_time=T4))
    assert read(live_server, sid)["metadata"] == {"labels": {"team": "search"}}


def test_unicode_escapes_are_decoded(live_server, wire):
    sid, aid = new_id(), new_id()
    text = "looked up 2 KB articles ✓ (naïve café) 😀"
    body = client_json([log(aid, text)])
    assert body.isascii() and "\\u2713" in body and "\\ud83d\\ude00" in body
    wire.start(session(sid, session_name="café ✓"))
    assert wire.send("POST", f"/sessions/{sid}/activities", raw=body.encode("ascii")).status_code == 200
    stored = read(live_server, sid)
    assert stored["session_name"] == "café ✓"
    assert stored["activities"][0]["text"] == text


def test_nul_and_lone_surrogates_are_stored_not_refused(live_server, wire):
    """Legal JSON escapes that neither PostgreSQL text (NUL) nor UTF-8 (a lone surrogate) can hold."""
    sid, aid = new_id(), new_id()
    raw = client_json([log(aid, "nul \x00 and lone \ud800 end", error="e\x00")]).encode("ascii")
    assert b"\\u0000" in raw and b"\\ud800" in raw
    assert wire.send("POST", f"/sessions/{sid}/activities", raw=raw).status_code == 200
    (activity,) = read(live_server, sid)["activities"]
    assert activity["text"] == "nul \ufffd and lone \ufffd end" and activity["error"] == "e\ufffd"


def test_url_encoded_session_id_is_decoded(live_server, wire):
    """The client does not URL-encode path segments; requests turns a space into %20."""
    sid = f"my session é {uuid.uuid4().hex[:8]}"
    assert wire.send("POST", f"/sessions/{sid}/activities", [log(new_id(), "spaced")]).status_code == 200
    assert wire.send("GET", f"/sessions/{sid}").json()["id"] == sid
    assert read(live_server, sid)["id"] == sid


def test_bad_keys_get_401_and_the_whole_key_is_the_credential(live_server):
    sid = new_id()
    bad_keys = [
        None,
        "abc",
        base64.b64encode(b"nobody:nothing").decode(),
        base64.b64encode(b"temp_" + str(uuid.uuid4()).encode() + b":guess").decode(),
        live_server.first.api_key[:-4] + "AAA=",
    ]
    for key in bad_keys:
        intruder = Wire(live_server.base_url, key)
        for method, path, body in (
            ("POST", "/sessions/start", session(sid)),
            ("POST", "/sessions/finish", session(sid)),
            ("POST", f"/sessions/{sid}/activities", [log(new_id(), "x")]),
            ("GET", f"/sessions/{sid}", None),
            ("POST", f"/sessions/{sid}/restore", None),
        ):
            assert intruder.send(method, path, body).status_code == 401, (key, method, path)
        intruder.http.close()
    assert read(live_server, sid) is None
    tenant, _, _ = base64.b64decode(live_server.first.api_key).decode().partition(":")
    assert tenant  # the client decodes the tenant locally but sends the whole key
    owner = Wire(live_server.base_url, live_server.first.api_key)
    assert owner.start(session(sid)).status_code == 200
    assert owner.send("GET", f"/sessions/{sid}").status_code == 200


def test_unknown_session_reads(live_server, wire):
    unknown = new_id()
    assert wire.send("GET", f"/sessions/{unknown}").status_code == 404
    restored = wire.send("POST", f"/sessions/{unknown}/restore")
    assert restored.status_code == 200 and restored.json() == {"session": None}
    assert wire.send("GET", "/sessions/nul%00id").status_code == 404  # NUL: PostgreSQL cannot even compare it
    assert wire.send("POST", "/sessions/nul%00id/restore").json() == {"session": None}


def test_get_and_restore_answer_the_client_session_shape(live_server, wire):
    sid = new_id()
    wire.start(session(sid))
    wire.activities(sid, [log(new_id(), "one"), log(new_id(), "two", order=2)])
    wire.finish(session(sid, end_time=T4))
    got = wire.send("GET", f"/sessions/{sid}").json()
    assert set(got) == {
        "id",
        "start_time",
        "end_time",
        "session_name",
        "steps_count",
        "tracking_project",
        "tracking_tenant",
        "is_error",
    }
    assert (got["id"], got["steps_count"], got["tracking_tenant"], got["is_error"]) == (sid, 2, "customer-1", False)
    assert wire.send("POST", f"/sessions/{sid}/restore").json() == {"session": got}


def test_another_accounts_session_is_never_read_or_written(live_server, wire):
    """Ids are per account: the other account's copy of the same id is its own session."""
    sid, mine = new_id(), new_id()
    wire.start(session(sid))
    wire.activities(sid, [log(mine, "mine")])
    wire.finish(session(sid, end_time=T4))
    before = read(live_server, sid)
    other = live_server.new_tenant("intruder")
    intruder = Wire(live_server.base_url, other.api_key)
    assert intruder.send("GET", f"/sessions/{sid}").status_code == 404
    assert intruder.send("POST", f"/sessions/{sid}/restore").json() == {"session": None}
    theirs = new_id()
    intruder.start(session(sid, tracking_project="intruder", session_name="taken", is_error=True))
    assert intruder.activities(sid, [log(mine, "overwritten"), log(theirs, "theirs", order=2)]).status_code == 200
    intruder.finish(session(sid, tracking_project="intruder", end_time="2030-01-01T00:00:00+00:00", is_error=True))
    intruder.http.close()
    after = read(live_server, sid)
    assert after == before
    assert [(a["id"], a["text"]) for a in after["activities"]] == [(mine, "mine")]
    copy = read(live_server, sid, key=other.api_key)
    assert copy["tracking_project"] == "intruder" and copy["is_error"]
    assert {a["id"]: a["text"] for a in copy["activities"]} == {mine: "overwritten", theirs: "theirs"}


def test_large_metadata_batch_is_answered_in_time(live_server, wire):
    sid, cid = new_id(), new_id()
    graph = json.dumps({"definitions": {f"field{i}": {"type": "string", "title": "x" * 40} for i in range(400)}})
    items = [chain(cid, closed=False)] + [
        llm(new_id(), cid, order=i + 2, metadata={"graph": graph, "tags": [], "batch_size": 1}) for i in range(3)
    ]
    raw = client_json(items).encode("ascii")
    assert len(raw) > 60_000
    assert wire.send("POST", f"/sessions/{sid}/activities", raw=raw).status_code == 200
    stored = read(live_server, sid)
    assert stored["llm_calls"] == 3
    assert all(a["metadata"]["graph"] == graph for a in stored["activities"] if a["activity_type"] == "llm-prompt")


END = "2026-11-29T07:18:23+00:00"
ODD_ACTIVITIES = {
    "generated is an object": {"activity_type": "llm-prompt", "prompt": "p", "generated": {"a": 1}, "end_time": END},
    "generated is a list": {"activity_type": "llm-prompt", "prompt": "p", "generated": ["a"], "end_time": END},
    "message role is a number": {"activity_type": "llm-prompt", "prompt": [{"role": 7, "text": "a"}], "end_time": END},
    "message parts hold a number": {
        "activity_type": "llm-prompt",
        "prompt": [{"role": "user", "content": [{"text": 5}]}, "bare", None],
        "end_time": END,
    },
    "template name is a list": {
        "activity_type": "llm-prompt",
        "prompt_template": {"template_name": ["a"], "template_version": 5},
        "end_time": END,
    },
    "template name too long": {
        "activity_type": "llm-prompt",
        "prompt_template": {"template_name": "t" * 400, "template_version": "v" * 200},
        "end_time": END,
    },
    "numbers beyond int32 and int64": {"activity_type": "log", "order": 99999999999999999999, "feedback_rating": 2**40},
    "times that cannot be UTC": {"activity_type": "log", "start_time": "0001-01-01T00:00:00+05:00", "end_time": "x"},
    "time past year 9999 in UTC": {"activity_type": "log", "start_time": "9999-12-31T23:59:59-05:00"},
    "sequence type too long": {"activity_type": "chain-sequence", "sequence_type": "s" * 5000},
    "model name too long": {
        "activity_type": "llm-prompt",
        "metadata": {"llm_output": {"model_name": "m" * 400, "token_usage": {"prompt_tokens": 10**15}}},
        "end_time": END,
    },
    "native-looking fields of wrong types": {
        "activity_type": "llm-prompt",
        "usage": {"prompt_tokens": "x"},
        "model": 7,
        "provider": ["p"],
        "time_to_first_token_ms": "soon",
        "end_time": END,
    },
    "ids and types of wrong types": {
        "activity_type": {"a": 1},
        "parent_activity_id": 5,
        "start_time": 12,
        "end_time": True,
    },
}


@pytest.mark.parametrize("case", sorted(ODD_ACTIVITIES))
def test_odd_activity_values_are_coerced_not_500(live_server, wire, case):
    sid, aid = new_id(), new_id()
    response = wire.activities(sid, [{"id": aid, **ODD_ACTIVITIES[case]}])
    assert response.status_code == 200, response.text
    assert aid in activity_map(read(live_server, sid))


@pytest.mark.parametrize(
    "fields",
    [
        {"steps_count": 99999999999999999999999, "is_error": "yes"},
        {"steps_count": 9999999999, "tracking_project": "has space", "tracking_tenant": "t" * 300},
        {"start_time": "0001-01-01T00:00:00+05:00", "end_time": "9999-12-31T23:59:59-05:00"},
        {"session_name": {"not": "text"}, "tags": "x", "end_time": 12},
    ],
)
def test_odd_session_values_are_coerced_not_500(live_server, wire, fields):
    sid = new_id()
    assert wire.start({"id": sid, **fields}).status_code == 200
    assert wire.finish({"id": sid, **fields}).status_code == 200
    assert read(live_server, sid)["id"] == sid
