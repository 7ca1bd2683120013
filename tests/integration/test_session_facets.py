"""`GET /api/v1/session-facets`: the values the session filters suggest come from the caller's account only,
the most used first, from the projects table and the usage roll-ups; a project-limited key sees its project's."""

from __future__ import annotations

from promptwatch.server.services.session_facets import FACET_LIMIT
from tests.support.payloads import llm, session, uid


def store(live_server, key: str, project: str, tenant: str, model: str, template: str, calls: int = 1) -> None:
    sid = uid("s-")
    activities = [
        llm(uid("a-"), sid, model=model, prompt_template={"template_name": template, "template_version": "1"})
        for _ in range(calls)
    ]
    body = {"sessions": [session(sid, tracking_project=project, tracking_tenant=tenant)], "activities": activities}
    with live_server.client(key) as client:
        answer = client.post("/api/v1/ingest", json=body)
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def facets(live_server, key: str) -> dict:
    with live_server.client(key) as client:
        answer = client.get("/api/v1/session-facets")
    assert answer.status_code == 200, answer.text
    return answer.json()


def lists(answer: dict) -> tuple:
    return answer["projects"], answer["tenants"], answer["models"], answer["templates"]


def test_the_account_s_values_most_used_first_and_never_another_account_s(live_server):
    mine, theirs = live_server.new_tenant("facets"), live_server.new_tenant("facets-other")
    store(live_server, mine.api_key, "shop", "acme", "gpt-4o", "faq", calls=3)
    store(live_server, mine.api_key, "blog", "globex", "claude-3-5-sonnet-latest", "summary")
    store(live_server, theirs.api_key, "secret-project", "secret-tenant", "secret-model", "secret-template")

    answer = facets(live_server, mine.api_key)
    assert answer["projects"] == ["shop", "blog"]
    assert answer["tenants"] == ["acme", "globex"]
    assert answer["models"] == ["gpt-4o", "claude-3-5-sonnet-latest"]
    assert answer["templates"] == ["faq", "summary"]
    assert answer["limit"] == FACET_LIMIT and answer["truncated"] == []
    assert "secret" not in str(answer)
    read_key = live_server.accounts()._rt.keys.create(mine.account_id, "read")
    assert facets(live_server, read_key) == answer  # the `read` scope is enough


def test_a_project_limited_key_sees_only_its_project_s_values(live_server):
    tenant = live_server.new_tenant("facets-limited")
    store(live_server, tenant.api_key, "alpha", "acme", "gpt-4o", "faq")
    store(live_server, tenant.api_key, "beta", "globex", "gpt-4.1", "summary")
    keys = live_server.accounts()._rt.keys
    limited = keys.create(tenant.account_id, "read", project="alpha")
    answer = facets(live_server, limited)
    assert lists(answer) == (["alpha"], ["acme"], ["gpt-4o"], ["faq"])
    unused = facets(live_server, keys.create(tenant.account_id, "read", project="gamma"))  # no data yet
    assert lists(unused) == (["gamma"], [], [], [])


def test_a_long_list_is_cut_at_the_limit_and_says_so(live_server):
    tenant = live_server.new_tenant("facets-many")
    sessions, activities = [], []
    for number in range(FACET_LIMIT + 5):
        sid = uid("s-")
        sessions.append(session(sid, tracking_tenant=f"tenant-{number:03d}"))
        activities.append(llm(uid("a-"), sid))
    with live_server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities}).status_code == 200
    answer = facets(live_server, tenant.api_key)
    assert len(answer["tenants"]) == FACET_LIMIT and answer["truncated"] == ["tenants"]
    assert answer["models"] == ["gpt-4o-mini"] and answer["projects"] == []
