"""`GET /api/v1/activities`: the activities of every session, newest first, by type, model, template, outcome,
feedback, project, tenant and time; light fields only; a page at a time without repeats or gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.payloads import BASE_TIME, chain, iso, llm, session, uid


def _store(live_server, name: str):
    """Two sessions in two projects and tenants: a chain and five LLM calls, one failed, one templated, one
    at the very moment of another (the list's tie), each at its own minute otherwise."""
    tenant = live_server.new_tenant(name)
    alpha, beta = uid("s-"), uid("s-")
    at = [BASE_TIME + timedelta(minutes=m) for m in range(5)]
    calls = {
        "mini-early": llm(uid("a-"), alpha, start=at[0], model="gpt-4o-mini"),
        "chain": chain(
            uid("a-"), alpha, closed=False, start_time=iso(at[1]), end_time=iso(at[1] + timedelta(seconds=2))
        ),
        "failed": llm(uid("a-"), alpha, start=at[2], model="gpt-4o", error="rate limited"),
        "templated": llm(
            uid("a-"),
            beta,
            start=at[3],
            model="gpt-4o-mini",
            prompt_template={"template_name": "greeting", "template_version": "1.0.0"},
        ),
        "tie-a": llm(uid("a-"), beta, start=at[4], model="gpt-4o"),
        "tie-b": llm(uid("a-"), beta, start=at[4], model="gpt-4o"),
    }
    sessions = [
        session(alpha, tracking_project="alpha", tracking_tenant="acme"),
        session(beta, tracking_project="beta", tracking_tenant="globex"),
    ]
    with live_server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": list(calls.values())})
        assert answer.json()["rejected"] == 0, answer.text
        assert client.put(f"/api/v1/activities/{calls['failed']['id']}/annotation", json={"label": 0}).is_success
        assert client.put(f"/api/v1/activities/{calls['templated']['id']}/annotation", json={"label": 1}).is_success
    return tenant, {name: item["id"] for name, item in calls.items()}, {"alpha": alpha, "beta": beta}


def _names(answer, ids: dict[str, str]) -> list[str]:
    assert answer.status_code == 200, answer.text
    by_id = {aid: name for name, aid in ids.items()}
    return [by_id[item["id"]] for item in answer.json()["items"]]


def test_filters_each_narrow_the_newest_first_list(live_server):
    tenant, ids, _ = _store(live_server, "activity-list-filters")
    # tie-a and tie-b start at one moment: the later stored comes first
    newest_first = ["tie-b", "tie-a", "templated", "failed", "chain", "mini-early"]
    cases = [
        ({}, newest_first),
        ({"activity_type": "llm-prompt"}, [n for n in newest_first if n != "chain"]),
        ({"activity_type": "chain-sequence"}, ["chain"]),
        ({"model": "gpt-4o-mini"}, ["templated", "mini-early"]),
        ({"model": "claude-unused"}, []),
        ({"template": "greeting"}, ["templated"]),
        ({"has_error": "true"}, ["failed"]),
        ({"has_error": "false", "model": "gpt-4o"}, ["tie-b", "tie-a"]),
        ({"feedback": "down"}, ["failed"]),
        ({"feedback": "up"}, ["templated"]),
        ({"project": "alpha"}, ["failed", "chain", "mini-early"]),
        ({"project": "nowhere"}, []),
        ({"tenant": "globex", "model": "gpt-4o-mini"}, ["templated"]),
        (
            {"since": iso(BASE_TIME + timedelta(minutes=2)), "until": iso(BASE_TIME + timedelta(minutes=4))},
            ["templated", "failed"],
        ),
    ]
    with live_server.client(tenant.api_key) as client:
        for params, expected in cases:
            assert _names(client.get("/api/v1/activities", params=params), ids) == expected, params


def test_items_carry_light_fields_and_their_sessions_labels_never_a_body(live_server):
    tenant, ids, sids = _store(live_server, "activity-list-items")
    with live_server.client(tenant.api_key) as client:
        item = client.get("/api/v1/activities", params={"template": "greeting"}).json()["items"][0]
        detail = client.get(f"/api/v1/activities/{ids['templated']}").json()
    assert item["session_id"] == sids["beta"]
    assert (item["tracking_project"], item["tracking_tenant"]) == ("beta", "globex")
    assert (item["template_name"], item["template_version"], item["feedback_label"]) == ("greeting", "1.0.0", 1)
    assert item["usage"] == detail["usage"] and item["cost"] == detail["cost"]
    labels = {"session_id", "tracking_project", "tracking_tenant"}
    outline = {"id", "parent_activity_id", "activity_type", "name", "order", "start_time", "end_time", "error"}
    outline |= {"model", "provider", "template_name", "template_version", "usage", "cost", "price_version"}
    outline |= {"cache_namespace", "saved_cost", "ttft_ms", "feedback_label", "feedback_rating", "tags"}
    assert set(item) == outline | labels
    assert {key: item[key] for key in outline} == {key: detail[key] for key in outline}


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_pages_cover_every_activity_once_ties_included(live_server, limit):
    tenant, ids, _ = _store(live_server, f"activity-list-pages-{limit}")
    seen, cursor = [], None
    with live_server.client(tenant.api_key) as client:
        whole = [item["id"] for item in client.get("/api/v1/activities").json()["items"]]
        while True:
            params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/activities", params=params).json()
            assert len(page["items"]) <= limit
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == whole and sorted(seen) == sorted(ids.values())


def test_a_project_limited_key_lists_only_its_projects_activities(live_server):
    tenant, ids, _ = _store(live_server, "activity-list-project-key")
    key = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project="beta")
    with live_server.client(key) as client:
        assert sorted(_names(client.get("/api/v1/activities"), ids)) == ["templated", "tie-a", "tie-b"]
        assert client.get("/api/v1/activities", params={"project": "alpha"}).json() == {
            "items": [],
            "next_cursor": None,
        }
    write_only = live_server.accounts()._rt.keys.create(tenant.account_id, "write")
    with live_server.client(write_only) as client:
        assert client.get("/api/v1/activities").status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"activity_type": "tool"}, "query.activity_type"),
        ({"feedback": "meh"}, "query.feedback"),
        ({"since": "2026-11-01"}, "query.since"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "query.limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJuZXdlc3QiLCIyMDI2LTExLTMwVDA0OjUzOjMzLjk2NTAwMCswMDowMCIsMTk5OF0="}, "cursor"),  # the sessions'
        ({"sort": "cost"}, "query.sort"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(live_server, params, field):
    tenant = live_server.new_tenant("activity-list-bad")
    with live_server.client(tenant.api_key) as client:
        answer = client.get("/api/v1/activities", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in answer.json()["errors"]]


@pytest.mark.parametrize("path", ["/api/v1/activities", "/api/v1/sessions", "/api/v1/metrics/usage"])
def test_a_range_that_ends_before_it_starts_is_a_422(live_server, path):
    tenant = live_server.new_tenant("swapped-range")
    swapped = {"since": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
    with live_server.client(tenant.api_key) as client:
        answer = client.get(path, params=swapped)
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["query.until"]
        assert client.get(path, params={"since": swapped["since"], "until": swapped["since"]}).status_code == 200


def test_an_annotation_outlives_a_resent_copy_with_the_clients_feedback(live_server):
    """An annotation wins over the feedback the client sends: a later copy of the call (which replaces the
    stored one) does not take the thumbs down away from the list's filter or the session's detail."""
    tenant = live_server.new_tenant("activity-list-annotation-wins")
    sid, aid = uid("s-"), uid("a-")
    with live_server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"activities": [llm(aid, sid)]}).json()["rejected"] == 0
        assert client.put(f"/api/v1/activities/{aid}/annotation", json={"label": 0, "rating": 2}).is_success
        later = llm(aid, sid, seconds=5.0, feedback_label=1, feedback_rating=5)
        assert client.post("/api/v1/ingest", json={"activities": [later]}).json()["activities"][0]["status"] == "stored"
        assert [a["id"] for a in client.get("/api/v1/activities", params={"feedback": "down"}).json()["items"]] == [aid]
        (detail,) = client.get(f"/api/v1/sessions/{sid}").json()["activities"]
        assert (detail["feedback_label"], detail["feedback_rating"]) == (0, 2)
        assert detail["end_time"] == later["end_time"].replace("+00:00", "Z")  # the copy itself was taken
