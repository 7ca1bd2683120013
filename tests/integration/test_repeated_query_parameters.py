"""A native read's query parameter that takes one value, given several times (`?tag=vip&tag=nope`), is a 422
naming it, on every endpoint that refuses unknown parameters; a parameter that takes a list (`meta`) stays
repeatable."""

from __future__ import annotations

from tests.support.payloads import llm, session, uid


def test_a_repeated_single_value_filter_is_refused_by_name_and_a_list_filter_still_repeats(client):
    project, vip, other = uid("proj-"), uid("s-"), uid("s-")
    stored = client.post(
        "/api/v1/ingest",
        json={
            "sessions": [
                session(vip, tracking_project=project, tags=["vip"], metadata={"env": "prod", "team": "search"}),
                session(other, tracking_project=project, metadata={"env": "prod", "team": "ads"}),
            ],
            "activities": [llm(uid("a-"), vip)],
        },
    )
    assert stored.status_code == 200 and stored.json()["rejected"] == 0, stored.text
    scope = [("project", project)]
    for path, base, name, values in (
        ("/api/v1/sessions", scope, "tag", ["vip", "nope"]),
        ("/api/v1/sessions", scope, "tag", ["nope", "vip"]),
        ("/api/v1/sessions", [("tag", "vip")], "project", [project, "elsewhere"]),
        ("/api/v1/activities", scope, "model", ["gpt-4o-mini", "gpt-4o"]),
        ("/api/v1/activities", [], "project", [project, project, project]),
        ("/api/v1/metrics/usage", scope, "group_by", ["model", "project"]),
        ("/api/v1/metrics/usage", [], "project", ["elsewhere", project]),
        ("/api/v1/prices/quote", [("prompt_tokens", "10")], "model", ["gpt-4o", "gpt-4o-mini"]),
    ):
        response = client.get(path, params=base + [(name, value) for value in values])
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        message = f"{name} is given {len(values)} times; it takes one value"
        expected = [{"field": f"query.{name}", "message": message, "type": "repeated_parameter"}]
        assert response.json()["errors"] == expected, path
        single = client.get(path, params=base + [(name, values[0])])
        assert single.status_code == 200, (path, single.text)

    def listed(params):
        response = client.get("/api/v1/sessions", params=scope + params)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert listed([("tag", "vip")]) == {vip}
    assert listed([("meta", "env=prod")]) == {vip, other}
    assert listed([("meta", "env=prod"), ("meta", "team=search")]) == {vip}
    assert listed([("meta", "env=prod"), ("meta", "team=none")]) == set()


def test_an_unknown_and_a_repeated_parameter_are_both_named(client):
    response = client.get("/api/v1/sessions", params=[("tag", "a"), ("tag", "b"), ("colour", "red")])
    assert response.status_code == 422, response.text
    body = response.json()
    assert [(e["field"], e["type"]) for e in body["errors"]] == [
        ("query.colour", "extra_forbidden"),
        ("query.tag", "repeated_parameter"),
    ]
    assert body["detail"] == "unknown query parameter: colour; tag is given 2 times; it takes one value"
