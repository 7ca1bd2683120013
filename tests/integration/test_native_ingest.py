"""The native ingest API against the real server: per-item answers, upserts, totals, tombstones."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.payloads import BASE_TIME, chain, iso, llm, session, uid


def ingest(client, sessions=(), activities=()):
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    return response.json()


def test_batch_stores_good_items_and_names_the_bad_field(client):
    sid = uid("s-")
    good = llm(uid("a-"), sid, usage={"prompt_tokens": 10, "completion_tokens": 5})
    bad = llm(uid("a-"), sid)
    bad["start_time"] = "yesterday"
    result = ingest(client, [session(sid, tracking_project="weather")], [good, bad])
    statuses = {item["id"]: item for item in result["activities"]}
    assert statuses[good["id"]]["status"] == "stored"
    assert statuses[bad["id"]]["status"] == "invalid"
    assert statuses[bad["id"]]["errors"][0]["field"] == "start_time"
    assert result["stored"] == 2 and result["rejected"] == 1
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert [a["id"] for a in stored["activities"]] == [good["id"]]
    assert stored["tracking_project"] == "weather"
    assert stored["total_tokens"] == 15


def test_retried_batch_never_duplicates_and_totals_stay_right(client):
    sid = uid("s-")
    items = [llm(uid("a-"), sid, usage={"prompt_tokens": 100, "completion_tokens": 20}) for _ in range(3)]
    ingest(client, [session(sid)], items)
    again = ingest(client, [session(sid)], items)
    assert {a["status"] for a in again["activities"]} == {"unchanged"}
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert len(stored["activities"]) == 3
    assert stored["activity_count"] == 3 and stored["llm_calls"] == 3
    assert stored["prompt_tokens"] == 300 and stored["completion_tokens"] == 60


def test_open_copy_never_replaces_closed_version(client):
    sid, cid = uid("s-"), uid("c-")
    ingest(client, [], [chain(cid, sid, closed=False)])
    closed = chain(cid, sid, outputs={"text": "done"})
    ingest(client, [], [closed])
    reopened = ingest(client, [], [chain(cid, sid, closed=False, outputs=None)])
    assert reopened["activities"][0]["status"] == "unchanged"
    activity = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]
    assert activity["end_time"] is not None
    assert activity["outputs"] == {"text": "done"}


def test_cost_is_fixed_at_ingest_with_its_price_version(client):
    sid, aid = uid("s-"), uid("a-")
    ingest(client, [], [llm(aid, sid, model="gpt-4o", usage={"prompt_tokens": 1_000_000, "completion_tokens": 0})])
    activity = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]
    assert activity["cost"] == 2.5
    assert activity["price_version"].startswith("genai-prices-")


def test_tokens_are_counted_when_the_client_sent_none(client):
    sid = uid("s-")
    ingest(client, [], [llm(uid("a-"), sid, prompt="one two three four", generated="five six")])
    usage = client.get(f"/api/v1/sessions/{sid}").json()["activities"][0]["usage"]
    assert usage["counted"] is True
    assert usage["prompt_tokens"] >= 4 and usage["completion_tokens"] >= 2


def test_a_refused_call_without_usage_is_not_counted_nor_priced(client):
    """A provider does not bill a call it refused (400, 429: an error and no output): with no usage from the
    client, tokens and cost stay unknown instead of being counted from the prompt. A call cut off after it
    generated text is counted, and usage the client did report is priced."""
    sid, refused, cut, reported = uid("s-"), uid("a-"), uid("a-"), uid("a-")
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 0}
    ingest(
        client,
        [],
        [
            llm(refused, sid, model="gpt-4o", prompt="one two three", generated=None, error="429 rate limited"),
            llm(cut, sid, model="gpt-4o", prompt="one two three", generated="four five", error="stream cut"),
            llm(reported, sid, model="gpt-4o", generated=None, error="400 bad request", usage=usage),
        ],
    )
    activities = {a["id"]: a for a in client.get(f"/api/v1/sessions/{sid}").json()["activities"]}
    assert activities[refused]["cost"] is None and activities[refused]["usage"]["prompt_tokens"] is None
    assert activities[refused]["usage"]["counted"] is False
    assert activities[cut]["usage"]["counted"] is True and activities[cut]["cost"] > 0
    assert activities[reported]["cost"] == 2.5


def test_activity_tree_and_session_created_on_first_use(client):
    sid, root, child = uid("s-"), uid("c-"), uid("a-")
    ingest(client, [], [chain(root, sid), llm(child, sid, parent_activity_id=root)])
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    parents = {a["id"]: a["parent_activity_id"] for a in stored["activities"]}
    assert parents == {root: None, child: root}
    assert stored["source"] == "native"


def test_deleted_session_stays_deleted_when_resent(client):
    sid, aid = uid("s-"), uid("a-")
    ingest(client, [session(sid)], [llm(aid, sid)])
    assert client.delete(f"/api/v1/sessions/{sid}").status_code == 204
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
    resent = ingest(client, [session(sid)], [llm(aid, sid)])
    assert resent["sessions"][0]["status"] == "deleted"
    assert resent["activities"][0]["status"] == "deleted"
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
    legacy = client.post(f"/sessions/{sid}/activities", json=[llm(aid, sid)])
    assert legacy.status_code == 200
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404


def test_delete_of_unknown_session_is_404(client):
    assert client.delete(f"/api/v1/sessions/{uid('none-')}").status_code == 404


def test_session_upsert_keeps_what_a_later_copy_leaves_out(client):
    sid = uid("s-")
    ingest(client, [session(sid, session_name="first", tracking_tenant="t1", tags=["x"])])
    ingest(client, [session(sid, end_time="2026-11-01T12:05:00+00:00", is_error=True)])
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert stored["session_name"] == "first" and stored["tracking_tenant"] == "t1"
    assert stored["end_time"].startswith("2026-11-01T12:05") and stored["is_error"] is True


def test_an_activity_id_that_another_session_holds_is_refused_and_nothing_moves(client):
    """Activity ids are unique within an account: a copy under another session is an error, not a move."""
    first, second, aid = uid("s-"), uid("s-"), uid("a-")
    client.post("/api/v1/ingest", json={"activities": [llm(aid, first, generated="first")]})
    answer = client.post("/api/v1/ingest", json={"activities": [llm(aid, second, generated="second")]}).json()
    assert answer["activities"][0]["status"] == "invalid"
    assert answer["activities"][0]["errors"][0]["type"] == "other_session"
    same_batch = uid("a-")
    answer = client.post(
        "/api/v1/ingest", json={"activities": [llm(same_batch, first), llm(same_batch, second)]}
    ).json()
    assert [item["status"] for item in answer["activities"]] == ["stored", "invalid"]
    stored = client.get(f"/api/v1/sessions/{first}").json()["activities"]
    assert sorted((a["id"], a["generated"]) for a in stored) == sorted([(aid, "first"), (same_batch, "It is sunny.")])
    assert client.get(f"/api/v1/sessions/{second}").status_code == 404


def test_a_session_ends_when_its_last_activity_does_unless_its_client_says_otherwise(client):
    sid, later = uid("s-"), BASE_TIME + timedelta(minutes=5)
    ingest(client, [session(sid)], [llm(uid("a-"), sid, seconds=2), llm(uid("a-"), sid, closed=False)])
    assert moment(read(client, sid)["end_time"]) == BASE_TIME + timedelta(seconds=2)  # the open one is not last
    ingest(client, [], [llm(uid("a-"), sid, start=later, seconds=3)])
    assert moment(read(client, sid)["end_time"]) == later + timedelta(seconds=3)
    ingest(client, [session(sid, end_time=iso(later))], [])  # the client's word
    assert moment(read(client, sid)["end_time"]) == later
    ingest(client, [], [llm(uid("a-"), sid, start=BASE_TIME, seconds=1)])  # an earlier end changes nothing
    assert moment(read(client, sid)["end_time"]) == later


def read(client, sid: str) -> dict:
    answer = client.get(f"/api/v1/sessions/{sid}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_integer_beyond_64_bits_is_kept_as_a_float(client):
    sid = uid("s-")
    big = 123456789012345678901234567890
    answer = client.post(
        "/api/v1/ingest", content=f'{{"sessions": [{{"id": "{sid}", "metadata": {{"n": {big}}}}}]}}'.encode()
    )
    assert answer.status_code == 200 and answer.json()["sessions"][0]["status"] == "stored", answer.text
    assert read(client, sid)["metadata"] == {"n": float(big)}


def test_openai_messages_content_is_their_text(client):
    """OpenAI's `{role, content}`: content is another name for text, a string or a list of content parts whose
    text parts are joined by a newline; an image part stays in the message as sent, and the copy read back can
    be sent again as it is."""
    sid, aid, place = uid("s-"), uid("a-"), uid("zanzibar")
    image = {"type": "image_url", "image_url": {"url": "https://example.com/zanzibar.png"}}
    parts = [{"type": "text", "text": "tell me about"}, image, {"type": "text", "text": place}]
    prompt = [
        {"role": "system", "content": "You are a travel guide."},
        {"role": "user", "content": parts},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function"}]},
    ]
    result = ingest(client, [], [llm(aid, sid, prompt=prompt)])
    assert result["activities"][0]["status"] == "stored", result
    stored = read(client, sid)["activities"][0]["prompt"]
    assert stored == [
        {"role": "system", "text": "You are a travel guide."},
        {"role": "user", "text": f"tell me about\n{place}", "content": [image]},
        {"role": "assistant", "text": "", "tool_calls": [{"id": "c1", "type": "function"}]},
    ]
    again = ingest(client, [], [llm(uid("a-"), sid, prompt=stored)])["activities"][0]
    assert again["status"] == "stored", again
    assert client.get("/api/v1/sessions", params={"q": place}).json()["items"][0]["id"] == sid


def test_a_message_with_both_text_and_content_is_invalid_naming_the_field(client):
    sid = uid("s-")
    for message, field in (
        ({"role": "user", "text": "hi", "content": "hello"}, "prompt.0.content"),
        ({"role": "user", "text": "hi", "content": [{"type": "text", "text": "hello"}]}, "prompt.0.content"),
        ({"role": "user", "content": 42}, "prompt.0.content"),
        ({"role": "user", "content": ["hello"]}, "prompt.0.content.0"),
        ({"role": "user", "content": [{"type": "text", "text": None}]}, "prompt.0.content.0.text"),
        ({"role": "user", "content": [{"type": ["text"], "text": "hi"}]}, "prompt.0.content.0.type"),
        ({"role": "user", "content": [{"type": {"a": 1}}]}, "prompt.0.content.0.type"),
    ):
        answer = ingest(client, [], [llm(uid("a-"), sid, prompt=[message])])["activities"][0]
        assert answer["status"] == "invalid", (message, answer)
        assert [e["field"] for e in answer["errors"]] == [field], (message, answer)
    assert client.get(f"/api/v1/sessions/{sid}").status_code == 404


def test_empty_content_or_an_empty_text_beside_the_other_is_no_conflict(client):
    sid, aid = uid("s-"), uid("a-")
    prompt = [
        {"role": "user", "text": "kept", "content": ""},
        {"role": "user", "text": None, "content": "from content"},
        {"role": "user", "text": "", "content": [{"type": "text", "text": "parts"}]},
    ]
    assert ingest(client, [], [llm(aid, sid, prompt=prompt)])["activities"][0]["status"] == "stored"
    stored = read(client, sid)["activities"][0]["prompt"]
    assert [m["text"] for m in stored] == ["kept", "from content", "parts"]


def test_a_key_without_the_scope_is_told_which_scopes_would_do(live_server):
    tenant = live_server.new_tenant("scopes")
    reader = live_server.accounts()._rt.keys.create(tenant.account_id, "read")
    with live_server.client(reader) as client:
        answer = client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), uid("s-"))]})
    assert answer.status_code == 403, answer.text
    needs = "this credential has scope 'read'; this needs a key with scope write, ingest or admin"
    assert answer.json()["detail"] == needs
