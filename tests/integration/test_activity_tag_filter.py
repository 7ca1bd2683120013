"""`GET /api/v1/activities?tag=`: the activities given a tag, in any session, newest first and a page at a time,
with the other filters; only the caller's account's (another account's activities with the same tag are never
listed); a tag longer than any stored one is a 422 naming it, as on the session list."""

from __future__ import annotations

from datetime import timedelta

from tests.support.payloads import BASE_TIME, chain, llm, session, uid


def _store(live_server, name: str):
    """One account's tagged and untagged activities in two sessions, each at its own minute."""
    tenant = live_server.new_tenant(name)
    alpha, beta = uid("s-"), uid("s-")
    at = [BASE_TIME + timedelta(minutes=m) for m in range(5)]
    calls = {
        "poem": llm(uid("a-"), alpha, start=at[0], tags=["poem"]),
        "short-poem": llm(uid("a-"), beta, start=at[1], model="gpt-4o", tags=["short", "poem"]),
        "poetry": llm(uid("a-"), alpha, start=at[2], tags=["poetry", "poem-like"]),
        "untagged": llm(uid("a-"), beta, start=at[3]),
        "chain": chain(uid("a-"), beta, closed=False, start_time=at[4].isoformat(), tags=["poem"]),
    }
    sessions = [session(alpha, tracking_project="alpha", tags=["poem"]), session(beta, tracking_project="beta")]
    with live_server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": list(calls.values())})
        assert answer.json()["rejected"] == 0, answer.text
    return tenant, {name: item["id"] for name, item in calls.items()}


def _names(answer, ids: dict[str, str]) -> list[str]:
    assert answer.status_code == 200, answer.text
    by_id = {aid: name for name, aid in ids.items()}
    return [by_id.get(item["id"], item["id"]) for item in answer.json()["items"]]


def test_the_tag_filter_lists_the_activities_given_that_tag_alone(live_server):
    tenant, ids = _store(live_server, "activity-tags")
    cases = [
        ({"tag": "poem"}, ["chain", "short-poem", "poem"]),  # a session's tag is not its activities'
        ({"tag": "short"}, ["short-poem"]),
        ({"tag": "poe"}, []),  # a whole tag, never part of one
        ({"tag": "Poem"}, []),
        ({"tag": "never-used"}, []),
        ({"tag": "poem", "activity_type": "llm-prompt"}, ["short-poem", "poem"]),
        ({"tag": "poem", "model": "gpt-4o"}, ["short-poem"]),
        ({"tag": "poem", "project": "alpha"}, ["poem"]),
    ]
    with live_server.client(tenant.api_key) as client:
        for params, expected in cases:
            assert _names(client.get("/api/v1/activities", params=params), ids) == expected, params
        pages, cursor = [], None
        while True:
            params = {"tag": "poem", "limit": 1, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/activities", params=params).json()
            pages += _names_of(page, ids)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == ["chain", "short-poem", "poem"]


def _names_of(page: dict, ids: dict[str, str]) -> list[str]:
    by_id = {aid: name for name, aid in ids.items()}
    return [by_id[item["id"]] for item in page["items"]]


def test_another_accounts_tagged_activities_are_never_listed(live_server):
    first, first_ids = _store(live_server, "activity-tags-first")
    second, second_ids = _store(live_server, "activity-tags-second")
    with live_server.client(first.api_key) as client:
        assert _names(client.get("/api/v1/activities", params={"tag": "poem"}), first_ids) == [
            "chain",
            "short-poem",
            "poem",
        ]
    with live_server.client(second.api_key) as client:
        assert _names(client.get("/api/v1/activities", params={"tag": "short"}), second_ids) == ["short-poem"]


def test_a_tag_longer_than_a_tag_may_be_is_a_422_naming_it_as_on_the_session_list(live_server):
    tenant, _ = _store(live_server, "activity-tags-bad")
    with live_server.client(tenant.api_key) as client:
        for path in ("/api/v1/activities", "/api/v1/sessions"):
            answer = client.get(path, params={"tag": "x" * 201})
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert [error["field"] for error in answer.json()["errors"]] == ["query.tag"]
            assert answer.json()["errors"][0]["type"] == "string_too_long"
            assert client.get(path, params={"tag": "x" * 200}).json()["items"] == []
