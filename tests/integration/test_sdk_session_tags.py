"""A session's tags and metadata from the SDK, against the real server: given to `PromptWatch(...)` and changed
during the session with `current_session().update()`, they are stored and found by the session list's `tag`
and `meta` filters; values the API would refuse are left out with one warning each and the session is stored
with the rest (of a list of tags, only the tags refused, as of an activity's); outside a context the update
records nothing; activity tags set with `current_activity().update()` are found by the activity list's `tag`
filter."""

from __future__ import annotations

import logging

import promptwatch
from promptwatch import PromptWatch, current_activity, current_session, observe
from promptwatch.sdk import _safe
from tests.support.payloads import uid
from tests.support.stored_sessions import stored_session


def _ids(client, path: str, **params) -> list[str]:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


@observe(name="write-poem")
def _write_poem(topic: str) -> str:
    current_activity().update(tags=["poem"])
    return f"A poem about {topic}."


@observe(name="tag-call")
def _tag_call(text: str, tags: list[str]) -> str:
    current_activity().update(tags=tags)  # of the activity's tags, only those the API refuses are left out
    return text


def test_tags_and_metadata_given_and_updated_are_stored_and_found(live_server, sdk_to):
    tenant = live_server.new_tenant("session-tags")
    sdk_to(live_server, tenant.api_key)
    tagged, other = uid("tagged-"), uid("other-")
    with PromptWatch(session_id=tagged, tags=["beta"], metadata={"env": "prod", "api_key": "sk-123"}):
        assert current_session().tags == ["beta"]
        _write_poem("rain")  # the session is announced with its first activity, with the tags given
        current_session().update(tags=["beta", "vip"], metadata={"env": "prod", "plan": "pro"})
        assert promptwatch.flush(10)
        with live_server.client(tenant.api_key) as client:  # sent at once, before the session ends
            assert _ids(client, "/api/v1/sessions", tag="vip") == [tagged]
    with PromptWatch(session_id=other, tags=["beta"]):
        PromptWatch.log("untagged work")
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, tagged, 1)
        assert (stored["tags"], stored["metadata"]) == (["beta", "vip"], {"env": "prod", "plan": "pro"})
        assert _ids(client, "/api/v1/sessions", tag="vip") == [tagged]
        assert sorted(_ids(client, "/api/v1/sessions", tag="beta")) == sorted([tagged, other])
        assert _ids(client, "/api/v1/sessions", meta="plan=pro") == [tagged]
        assert _ids(client, "/api/v1/sessions", meta=["env=prod", "plan=pro"]) == [tagged]
        assert _ids(client, "/api/v1/sessions", meta="plan=free") == []
        (poem,) = stored["activities"]
        assert _ids(client, "/api/v1/activities", tag="poem") == [poem["id"]]


def test_new_sessions_get_the_constructors_tags_and_scrubbed_metadata_and_an_update_removes_tags(live_server, sdk_to):
    tenant = live_server.new_tenant("session-tags-new")
    sdk_to(live_server, tenant.api_key)
    pw = PromptWatch(session_id=uid("first-"), tags=["nightly"], metadata={"api_key": "sk-secret", "run": "7"})
    pw.start_session()
    PromptWatch.log("first")
    current_session().update(tags=[])  # removes them
    first = pw.session_id
    second = pw.start_new_session()
    PromptWatch.log("second")
    pw.finish_session()
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        assert stored_session(client, first, 1)["tags"] == []
        stored = stored_session(client, second, 1)
        assert stored["tags"] == ["nightly"]
        assert stored["metadata"] == {"api_key": "[SECRET]", "run": "7"}  # "[redacted]" as sent, masked


def test_values_the_api_would_refuse_are_left_out_with_a_warning_and_the_session_is_stored(live_server, sdk_to, caplog):
    tenant = live_server.new_tenant("session-tags-bad")
    sdk_to(live_server, tenant.api_key)
    sid = uid("bad-")
    caplog.set_level(logging.WARNING, logger="promptwatch")
    _safe.reset_warnings()
    with PromptWatch(session_id=sid, tags=["kept", "", "x" * 201], metadata="not an object"):  # type: ignore[arg-type]
        _tag_call("work", ["work", ""])
        current_session().update(tags="vip", metadata={"ok": 1}, owner="me")
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        stored = stored_session(client, sid, 1)
    assert (stored["tags"], stored["metadata"]) == (["kept"], {"ok": 1})
    assert [activity["tags"] for activity in stored["activities"]] == [["work"]]
    warned = [record.getMessage() for record in caplog.records if "left out" in record.getMessage()]
    assert warned == [
        "PromptWatch: session tags.1 was left out: String should have at least 1 character.",
        "PromptWatch: session tags.2 was left out: String should have at most 200 characters.",
        "PromptWatch: session metadata was left out: Input should be a valid dictionary.",
        "PromptWatch: tags.1 was left out: String should have at least 1 character.",
        "PromptWatch: session tags was left out: Input should be a valid list.",
        "PromptWatch: a session's update() takes tags and metadata, not 'owner'; it was left out.",
    ]


def test_an_update_outside_any_context_records_nothing_and_warns_once(live_server, sdk_to, caplog):
    tenant = live_server.new_tenant("session-tags-outside")
    sdk_to(live_server, tenant.api_key)
    caplog.set_level(logging.WARNING, logger="promptwatch")
    _safe.reset_warnings()
    current_session().update(tags=["lost"])
    current_session().update(tags=["lost again"])
    _write_poem("snow")  # a session of its own: untagged
    assert promptwatch.flush(10)
    warned = [record.getMessage() for record in caplog.records if "current_session()" in record.getMessage()]
    assert len(warned) == 1 and "outside any PromptWatch context" in warned[0]
    with live_server.client(tenant.api_key) as client:
        for _ in range(100):
            if _ids(client, "/api/v1/sessions"):
                break
        assert _ids(client, "/api/v1/sessions", tag="lost") == []
        (item,) = client.get("/api/v1/sessions").json()["items"]
    assert item["session_name"] == "write-poem" and not item["tags"]
