"""Every 422 is a problem body with `errors`, one `{field, message, type}` per fault, whether the schema or a
service refused the request; a service's refusal keeps its top-level `field`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

QUERY_REFUSALS = [  # (path, parameters, the field `errors` names, the top-level `field` when there is one)
    ("/api/v1/sessions", {"sort": "bogus"}, "query.sort", None),
    ("/api/v1/sessions", {"limit": 0}, "limit", "limit"),
    ("/api/v1/sessions", {"since": "2026-10-05T00:00:00"}, "query.since", None),
    ("/api/v1/sessions", {"projct": "shop"}, "query.projct", None),
    ("/api/v1/sessions", {"cursor": "abc"}, "cursor", "cursor"),
    ("/api/v1/sessions", {"meta": "env"}, "meta", "meta"),
    ("/api/v1/metrics/usage", {"projects": "shop"}, "query.projects", None),
]


def assert_problem_with_errors(answer, field: str | None) -> dict:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422 and problem["detail"], problem
    assert all(set(e) == {"field", "message", "type"} for e in problem["errors"]), problem
    assert [e["field"] for e in problem["errors"]] == [field], problem
    return problem


@pytest.mark.parametrize(("path", "params", "field", "top_level"), QUERY_REFUSALS)
def test_every_refused_query_names_its_fields_in_errors(client, path, params, field, top_level):
    problem = assert_problem_with_errors(client.get(path, params=params), field)
    assert problem.get("field") == top_level


def test_a_services_refusal_lists_its_field_in_errors(live_server):
    tenant = live_server.new_tenant("problem-bodies")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    past = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    with live_server.client(admin) as client:
        problem = assert_problem_with_errors(client.post("/api/v1/keys", json={"expires_at": past}), "expires_at")
        assert problem["errors"][0]["message"] == problem["detail"] == "expires_at is in the past"
