"""Session list filters, text search, cursor pagination, and the usage metrics."""

from __future__ import annotations

from datetime import timedelta

from tests.support.payloads import BASE_TIME, chain, iso, llm, session, uid


def ingest(client, sessions=(), activities=()):
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text


def ids(client, **params) -> list[str]:
    response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_filters_by_project_tenant_model_template_error_and_time(client):
    project, word = uid("proj-"), uid("zebra")
    a, b, c = uid("s-"), uid("s-"), uid("s-")
    later = BASE_TIME + timedelta(days=3)
    ingest(
        client,
        [
            session(a, tracking_project=project, tracking_tenant="acme", tags=["beta"], metadata={"env": "prod"}),
            session(b, tracking_project=project, tracking_tenant="globex", start_time=iso(later)),
            session(c, tracking_project=uid("other-")),
        ],
        [
            llm(
                uid("a-"),
                a,
                model="gpt-4o",
                prompt=f"a prompt about {word}",
                prompt_template={"template_name": "faq", "template_version": "1.0"},
            ),
            llm(uid("a-"), b, model="claude-3-5-sonnet-latest", error="rate limited", start=later),
            llm(uid("a-"), c, model="gpt-4o"),
        ],
    )
    assert set(ids(client, project=project)) == {a, b}
    assert ids(client, project=project, tenant="acme") == [a]
    assert ids(client, project=project, model="gpt-4o") == [a]
    assert ids(client, project=project, template="faq") == [a]
    assert ids(client, project=project, has_error="true") == [b]
    assert ids(client, project=project, since=iso(BASE_TIME + timedelta(days=1))) == [b]
    assert ids(client, project=project, until=iso(BASE_TIME + timedelta(days=1))) == [a]
    assert ids(client, q=word) == [a]
    assert ids(client, project=project, tag="beta") == [a]
    assert ids(client, project=project, meta="env=prod") == [a]
    assert ids(client, project=uid("never-")) == []


def test_list_items_carry_totals_and_never_the_prompts(client):
    sid, project = uid("s-"), uid("proj-")
    ingest(
        client,
        [session(sid, tracking_project=project)],
        [chain(uid("c-"), sid), llm(uid("a-"), sid, usage={"prompt_tokens": 7, "completion_tokens": 3})],
    )
    item = client.get("/api/v1/sessions", params={"project": project}).json()["items"][0]
    for field in (
        "id",
        "tracking_project",
        "tracking_tenant",
        "start_time",
        "end_time",
        "is_error",
        "total_tokens",
        "prompt_tokens",
        "completion_tokens",
        "cost",
        "activity_count",
    ):
        assert field in item
    assert item["total_tokens"] == 10 and item["activity_count"] == 2
    assert "prompt" not in item and "activities" not in item


def test_cursor_pages_cover_everything_once(client):
    project = uid("proj-")
    sids = [uid("s-") for _ in range(7)]
    ingest(
        client,
        [
            session(s, tracking_project=project, start_time=iso(BASE_TIME + timedelta(minutes=i % 3)))
            for i, s in enumerate(sids)
        ],
    )
    seen, cursor = [], None
    while True:
        params = {"project": project, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/sessions", params=params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(sids) and len(seen) == len(set(seen))


def test_usage_metrics_by_model_and_day(live_server):
    tenant = live_server.new_tenant("metrics")
    with live_server.client(tenant.api_key) as client:
        sid = uid("s-")
        ingest(
            client,
            [session(sid, tracking_project="m")],
            [
                llm(
                    uid("a-"), sid, model="gpt-4o", seconds=1.0, usage={"prompt_tokens": 1000, "completion_tokens": 100}
                ),
                llm(
                    uid("a-"), sid, model="gpt-4o", seconds=3.0, usage={"prompt_tokens": 1000, "completion_tokens": 100}
                ),
                llm(
                    uid("a-"),
                    sid,
                    model="gpt-4o-mini",
                    seconds=0.5,
                    error="boom",
                    usage={"prompt_tokens": 10, "completion_tokens": 1},
                ),
            ],
        )
        body = client.get("/api/v1/metrics/usage", params={"group_by": "model", "interval": "day"}).json()
        by_model = {row["group"]: row for row in body["series"]}
        assert by_model["gpt-4o"]["calls"] == 2 and by_model["gpt-4o"]["total_tokens"] == 2200
        assert by_model["gpt-4o-mini"]["errors"] == 1
        assert abs(by_model["gpt-4o"]["cost"] - 2 * (1000 * 2.5 + 100 * 10) / 1e6) < 1e-9
        assert 900 <= by_model["gpt-4o"]["latency_p50_ms"] <= 1100
        assert 2700 <= by_model["gpt-4o"]["latency_p95_ms"] <= 3300
        assert body["totals"]["calls"] == 3
        by_project = client.get("/api/v1/metrics/usage", params={"group_by": "project"}).json()
        assert [row["group"] for row in by_project["series"]] == ["m"]
        assert client.get("/api/v1/metrics/usage", params={"group_by": "colour"}).status_code == 422


def test_usage_metrics_per_group_over_the_whole_range(live_server):
    """`groups` sums each group over the range, with latency percentiles of all its calls (hourly
    percentiles cannot be combined by the reader), the most expensive group first."""
    tenant = live_server.new_tenant("metric-groups")
    with live_server.client(tenant.api_key) as client:
        sid, usage = uid("s-"), {"prompt_tokens": 1000, "completion_tokens": 100}
        calls = [
            llm(uid("a-"), sid, model="gpt-4o", start=BASE_TIME + timedelta(hours=h), seconds=s, usage=usage)
            for h, s in ((0, 1.0), (1, 1.0), (2, 3.0), (3, 3.0), (4, 3.0))
        ]
        calls.append(llm(uid("a-"), sid, model="gpt-4o-mini", seconds=0.2, usage=usage))
        ingest(client, [session(sid)], calls)
        body = client.get("/api/v1/metrics/usage", params={"group_by": "model", "interval": "hour"}).json()
        assert sum(row["group"] == "gpt-4o" for row in body["series"]) == 5
        assert [g["group"] for g in body["groups"]] == ["gpt-4o", "gpt-4o-mini"]
        gpt4o = body["groups"][0]
        assert gpt4o["calls"] == 5 and gpt4o["total_tokens"] == 5500
        assert 2700 <= gpt4o["latency_p50_ms"] <= 3300 and 2700 <= gpt4o["latency_p95_ms"] <= 3300
        assert 180 <= body["groups"][1]["latency_p95_ms"] <= 220
        assert body["totals"]["calls"] == 6
        assert client.get("/api/v1/metrics/usage").json()["groups"] == []


def test_sorts_by_cost_and_tokens_with_cursor_paging(client):
    project = uid("proj-")
    sids = [uid("s-") for _ in range(5)]
    ingest(
        client,
        [session(s, tracking_project=project) for s in sids],
        [
            llm(uid("a-"), s, model="gpt-4o", usage={"prompt_tokens": 1000 * (i + 1), "completion_tokens": 0})
            for i, s in enumerate(sids)
        ],
    )
    for sort in ("cost", "tokens"):
        seen, cursor = [], None
        while True:
            params = {"project": project, "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/sessions", params=params).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == list(reversed(sids)), sort
    oldest = ids(client, project=project, sort="oldest")
    assert len(oldest) == 5
    assert client.get("/api/v1/sessions", params={"sort": "colour"}).status_code == 422
