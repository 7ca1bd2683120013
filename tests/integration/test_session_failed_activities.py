"""Sessions that hold failed activities: their count on each session (`failed_activities`), whatever the
session's own outcome (`is_error`), and the list filter `has_failed_activities`; and `cost_known`, which tells a
cost of 0 that nothing priced apart from a known $0."""

from __future__ import annotations

import pytest

from tests.support.payloads import chain, llm, session, uid

USAGE = {"prompt_tokens": 1000, "completion_tokens": 200}


def ingest(client, sessions=(), activities=()) -> None:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text


def listed(client, **params) -> dict[str, dict]:
    response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


def ids(client, **params) -> list[str]:
    return list(listed(client, **params))


@pytest.fixture
def stored(client) -> dict[str, str]:
    """One project's sessions: one that went on after two failed activities (a call and a chain), one that
    failed with its call, one without errors, one flagged failed by its client with no failed activity, and
    one without activities."""
    project, word = uid("proj-"), uid("walrus")
    names = ("went_on", "failed", "clean", "flagged", "empty")
    sid = {name: uid(f"{name}-") for name in names}
    ingest(
        client,
        [
            session(sid["went_on"], tracking_project=project),
            session(sid["failed"], tracking_project=project, is_error=True),
            session(sid["clean"], tracking_project=project),
            session(sid["flagged"], tracking_project=project, is_error=True),
            session(sid["empty"], tracking_project=project),
        ],
        [
            llm(uid("a-"), sid["went_on"], error="RateLimitError", generated=None, prompt=f"about {word}"),
            chain(uid("c-"), sid["went_on"], error="ValueError: no answer"),
            llm(uid("a-"), sid["went_on"], usage=USAGE),
            llm(uid("a-"), sid["failed"], error="APIConnectionError", generated=None, prompt=f"about {word}"),
            llm(uid("a-"), sid["clean"], usage=USAGE, prompt=f"about {word}"),
            llm(uid("a-"), sid["flagged"], usage=USAGE),
        ],
    )
    return {"project": project, "word": word, **sid}


def test_each_session_counts_its_failed_activities_whatever_its_own_outcome(client, stored):
    items = listed(client, project=stored["project"])
    failed = {name: items[stored[name]]["failed_activities"] for name in ("went_on", "failed", "clean", "flagged")}
    assert failed == {"went_on": 2, "failed": 1, "clean": 0, "flagged": 0}
    assert items[stored["empty"]]["failed_activities"] == 0
    assert [items[stored[name]]["is_error"] for name in ("went_on", "failed", "flagged")] == [False, True, True]
    for item in items.values():
        detail = client.get(f"/api/v1/sessions/{item['id']}")
        assert detail.status_code == 200, detail.text
        assert detail.json()["failed_activities"] == item["failed_activities"]


def test_the_list_filters_sessions_by_their_failed_activities(client, stored):
    project = stored["project"]
    with_failures, without = (
        {stored["went_on"], stored["failed"]},
        {stored["clean"], stored["flagged"], stored["empty"]},
    )
    assert set(ids(client, project=project, has_failed_activities="true")) == with_failures
    assert set(ids(client, project=project, has_failed_activities="false")) == without
    # the session's own outcome and its activities' are separate filters, and combine
    assert ids(client, project=project, has_error="true", has_failed_activities="false") == [stored["flagged"]]
    assert ids(client, project=project, has_error="false", has_failed_activities="true") == [stored["went_on"]]
    for sort in ("newest", "oldest", "cost", "tokens"):
        assert set(ids(client, project=project, has_failed_activities="true", sort=sort)) == with_failures
    word = stored["word"]
    assert set(ids(client, q=word, has_failed_activities="true")) == with_failures
    assert ids(client, q=word, has_failed_activities="false") == [stored["clean"]]


def test_the_filtered_list_pages_with_its_cursor(client, stored):
    seen, cursor = [], None
    for _ in range(3):
        params = {"project": stored["project"], "has_failed_activities": "true", "limit": 1}
        page = client.get("/api/v1/sessions", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([stored["went_on"], stored["failed"]]) and cursor is None


def test_another_account_s_failures_are_not_this_account_s(live_server, client, stored):
    other = live_server.new_tenant("failures")
    with live_server.client(other.api_key) as theirs:
        own = uid("s-")
        ingest(theirs, [session(own, tracking_project=stored["project"])], [llm(uid("a-"), own, error="boom")])
        assert ids(theirs, has_failed_activities="true") == [own]
        assert ids(theirs, has_failed_activities="false") == []
    assert own not in ids(client, has_failed_activities="true", limit=500)


@pytest.mark.parametrize("value", ["maybe", "2", ""])
def test_a_bad_filter_value_is_a_422_naming_it(client, value):
    response = client.get("/api/v1/sessions", params={"has_failed_activities": value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [("query.has_failed_activities", "bool_parsing")], errors


def test_a_cost_is_known_only_when_an_activity_has_one(client):
    """A session whose only call the provider refused (no tokens, no cost), or whose calls' model has no
    price, or that has no call, costs 0 that is not known; a call that used no tokens costs a known $0."""
    project = uid("proj-")
    refused, unpriced, priced, zero, no_calls = (
        uid(f"{name}-") for name in ("refused", "unpriced", "priced", "zero", "none")
    )
    ingest(
        client,
        [session(sid, tracking_project=project) for sid in (refused, unpriced, priced, zero, no_calls)],
        [
            llm(uid("a-"), refused, model="gpt-4o", generated=None, error="429 rate limited"),
            llm(uid("a-"), unpriced, model="no-such-model-x1", usage=USAGE),
            llm(uid("a-"), priced, model="gpt-4o", usage=USAGE),
            llm(uid("a-"), zero, model="gpt-4o", usage={"prompt_tokens": 0, "completion_tokens": 0}),
            chain(uid("c-"), no_calls),
        ],
    )
    items = listed(client, project=project)
    known = {sid: (items[sid]["cost_known"], items[sid]["cost"]) for sid in items}
    assert known[refused] == (False, 0) and items[refused]["unpriced_calls"] == 0
    assert known[unpriced] == (False, 0) and items[unpriced]["unpriced_calls"] == 1
    assert known[no_calls] == (False, 0)
    assert known[zero] == (True, 0)
    assert known[priced][0] is True and known[priced][1] > 0
    for sid, item in items.items():
        assert client.get(f"/api/v1/sessions/{sid}").json()["cost_known"] == item["cost_known"]
