"""The session list's `feedback` filter (the sessions holding a call given a thumbs up, a thumbs down, or any
feedback label, by its client or an annotation) and its opt-in `total` (`include_total`), counted up to a cap."""

from __future__ import annotations

import pytest

from tests.support.payloads import chain, llm, session, uid

TOTAL_CAP = 10_000


def ingest(client, sessions=(), activities=()) -> None:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text


def annotate(client, activity_id: str, **values) -> None:
    response = client.put(f"/api/v1/activities/{activity_id}/annotation", json=values)
    assert response.status_code == 200, response.text


def page(client, **params) -> dict:
    response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(client, **params) -> list[str]:
    return [item["id"] for item in page(client, **params)["items"]]


@pytest.fixture
def stored(client) -> dict[str, str]:
    """One project's sessions: a call marked up by its client; a call annotated down; one call of each (the
    client's down, an annotation's up) beside a failed call; a call whose client sent a label of its own (5);
    a call annotated with a rating and notes but no thumbs; and a session without feedback."""
    project, word = uid("proj-"), uid("heron")
    names = ("up", "down", "mixed", "labelled", "rated", "none")
    sid = {name: uid(f"{name}-") for name in names}
    calls = {
        "up": llm(uid("a-"), sid["up"], feedback_label=1, prompt=f"about {word}"),
        "down": llm(uid("a-"), sid["down"]),
        "mixed-down": llm(uid("a-"), sid["mixed"], feedback_label=0, prompt=f"about {word}"),
        "mixed-up": llm(uid("a-"), sid["mixed"]),
        "mixed-failed": chain(uid("c-"), sid["mixed"], error="ValueError: no answer"),
        "labelled": llm(uid("a-"), sid["labelled"], feedback_label=5),
        "rated": llm(uid("a-"), sid["rated"], prompt=f"about {word}"),
        "none": llm(uid("a-"), sid["none"], prompt=f"about {word}"),
    }
    ingest(client, [session(s, tracking_project=project) for s in sid.values()], calls.values())
    annotate(client, calls["down"]["id"], label=0)
    annotate(client, calls["mixed-up"]["id"], label=1, notes="right answer")
    annotate(client, calls["rated"]["id"], rating=2, notes="too long")
    return {"project": project, "word": word, **sid}


def test_the_list_filters_sessions_by_the_feedback_of_their_calls(client, stored):
    project = stored["project"]

    def named(*names: str) -> set[str]:
        return {stored[name] for name in names}

    wanted = {
        "up": named("up", "mixed"),
        "down": named("down", "mixed"),
        "any": named("up", "down", "mixed", "labelled"),
    }
    for feedback, expected in wanted.items():
        for sort in ("newest", "oldest", "cost", "tokens"):
            assert set(ids(client, project=project, feedback=feedback, sort=sort)) == expected, (feedback, sort)
    # with the other filters: the failed activities, the text, the time range
    assert ids(client, project=project, feedback="up", has_failed_activities="true") == [stored["mixed"]]
    assert ids(client, project=project, feedback="down", has_failed_activities="false") == [stored["down"]]
    assert set(ids(client, q=stored["word"], feedback="any")) == named("up", "mixed")
    assert ids(client, q=stored["word"], feedback="down", sort="cost") == [stored["mixed"]]
    assert ids(client, project=project, feedback="up", until="2020-01-01T00:00:00Z") == []


def test_an_annotation_changes_what_the_filter_finds(client, stored):
    project = stored["project"]
    assert stored["rated"] not in ids(client, project=project, feedback="any")
    detail = client.get(f"/api/v1/sessions/{stored['rated']}").json()
    annotate(client, detail["activities"][0]["id"], label=1)
    assert stored["rated"] in ids(client, project=project, feedback="up")
    annotate(client, detail["activities"][0]["id"], label=None)
    assert stored["rated"] not in ids(client, project=project, feedback="any")


def test_the_filtered_list_pages_with_its_cursor_and_keeps_its_total(client, stored):
    params = {"project": stored["project"], "feedback": "any", "limit": 1, "include_total": "true"}
    seen, cursor = [], None
    for _ in range(5):
        body = page(client, **params, **({"cursor": cursor} if cursor else {}))
        assert (body["total"], body["total_capped"]) == (4, False), body
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(stored[name] for name in ("up", "down", "mixed", "labelled")) and cursor is None


def test_the_total_counts_the_sessions_that_pass_the_filters(client, stored):
    project = stored["project"]
    assert "total" not in page(client, project=project) and "total_capped" not in page(client, project=project)
    counts = {
        (("project", project),): 6,
        (("project", project), ("feedback", "down")): 2,
        (("project", project), ("has_failed_activities", "true")): 1,
        (("q", stored["word"]),): 4,
        (("q", stored["word"]), ("feedback", "up"), ("sort", "tokens")): 2,
        (("project", uid("nowhere-")),): 0,
    }
    for params, total in counts.items():
        body = page(client, **dict(params), include_total="true", limit=1)
        assert (body["total"], body["total_capped"]) == (total, False), params
        assert len(body["items"]) == min(total, 1)


def test_a_total_beyond_the_cap_says_it_is_capped(live_server):
    tenant = live_server.new_tenant("many-sessions")
    project = uid("proj-")
    with live_server.client(tenant.api_key) as theirs:
        for first in range(0, TOTAL_CAP + 1, 1000):
            batch = [
                session(f"s-{n}", tracking_project=project) for n in range(first, min(first + 1000, TOTAL_CAP + 1))
            ]
            ingest(theirs, batch)
        body = page(theirs, include_total="true", limit=5)
        assert (body["total"], body["total_capped"], len(body["items"])) == (TOTAL_CAP, True, 5)
        ingest(theirs, [], [llm(uid("a-"), "s-7", feedback_label=0)])
        body = page(theirs, include_total="true", feedback="down")
        assert (body["total"], body["total_capped"], ids(theirs, feedback="down")) == (1, False, ["s-7"])
        deleted = theirs.delete("/api/v1/sessions/s-0")
        assert deleted.status_code == 204, deleted.text
        body = page(theirs, include_total="true")
        assert (body["total"], body["total_capped"]) == (TOTAL_CAP, False)  # exactly the cap is not beyond it


def test_another_account_s_feedback_is_not_this_account_s(live_server, client, stored):
    other = live_server.new_tenant("feedback")
    with live_server.client(other.api_key) as theirs:
        own = uid("s-")
        ingest(theirs, [session(own, tracking_project=stored["project"])], [llm(uid("a-"), own, feedback_label=1)])
        assert ids(theirs, feedback="up") == [own]
        assert ids(theirs, feedback="down") == []
        body = page(theirs, feedback="any", include_total="true")
        assert (body["total"], [item["id"] for item in body["items"]]) == (1, [own])
        assert ids(theirs, project=stored["project"], feedback="any") == [own]
    for feedback in ("up", "any"):
        assert own not in ids(client, feedback=feedback, limit=500)
    assert set(ids(client, project=stored["project"], feedback="up")) == {stored["up"], stored["mixed"]}


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("feedback", "good", "literal_error"),
        ("feedback", "1", "literal_error"),
        ("feedback", "UP", "literal_error"),
        ("feedback", "", "literal_error"),
        ("include_total", "maybe", "bool_parsing"),
    ],
)
def test_a_bad_value_is_a_422_naming_it(client, name, value, kind):
    response = client.get("/api/v1/sessions", params={name: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [(f"query.{name}", kind)], errors
