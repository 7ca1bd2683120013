"""`GET /api/v1/metrics/usage`: the project and tenant filters (a project-limited key reads its project only),
unpriced calls counted per group and in the totals, unknown parameters and times without an offset refused."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.payloads import BASE_TIME, iso, llm, session, uid

USAGE = {"prompt_tokens": 1000, "completion_tokens": 100}
UNKNOWN_MODEL = "no-such-model-x1"


def ingest(client, sessions, activities) -> None:
    response = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert response.status_code == 200 and response.json()["rejected"] == 0, response.text


def usage(client, **params) -> dict:
    response = client.get("/api/v1/metrics/usage", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_project_and_tenant_filters_narrow_every_figure(live_server):
    tenant = live_server.new_tenant("metrics-filters")
    with live_server.client(tenant.api_key) as client:
        shop, blog = uid("s-"), uid("s-")
        ingest(
            client,
            [
                session(shop, tracking_project="shop", tracking_tenant="acme"),
                session(blog, tracking_project="blog", tracking_tenant="umbrella"),
            ],
            [
                llm(uid("a-"), shop, model="gpt-4o", usage=USAGE),
                llm(uid("a-"), shop, model="gpt-4o", usage=USAGE, seconds=2),
                llm(uid("a-"), blog, model="gpt-4o-mini", usage=USAGE),
            ],
        )
        assert usage(client)["totals"]["calls"] == 3
        for params, calls, models in (
            ({"project": "shop"}, 2, ["gpt-4o"]),
            ({"tenant": "umbrella"}, 1, ["gpt-4o-mini"]),
            ({"project": "shop", "tenant": "umbrella"}, 0, []),
            ({"project": "no-such-project"}, 0, []),
        ):
            body = usage(client, group_by="model", **params)
            assert body["totals"]["calls"] == calls, params
            assert [g["group"] for g in body["groups"]] == models, params
            assert sum(row["calls"] for row in body["series"]) == calls, params
        assert usage(client, project="shop")["totals"]["latency_p95_ms"] > 1500  # its own calls' latency

        limited = live_server.accounts()._rt.keys.create(tenant.account_id, "read", project="blog")
        with live_server.client(limited) as reader:
            assert usage(reader)["totals"]["calls"] == 1
            assert usage(reader, project="blog")["totals"]["calls"] == 1
            assert usage(reader, project="shop")["totals"]["calls"] == 0


def test_a_closed_call_sent_again_with_a_later_end_is_counted_as_its_new_copy(live_server):
    """A closed call's copy with a later end replaces it: the roll-ups count the copy only (model, tokens,
    error and latency as sent again), and deleting the call then takes it out of them entirely."""
    tenant = live_server.new_tenant("metrics-superseded")
    sid, call = uid("s-"), uid("a-")
    with live_server.client(tenant.api_key) as client:
        ingest(client, [session(sid)], [llm(call, sid, model="gpt-4o-mini", usage=USAGE)])
        again = llm(call, sid, model="gpt-4o", seconds=3, usage={"prompt_tokens": 5000, "completion_tokens": 100})
        ingest(client, [], [{**again, "error": "RateLimitError: slow down"}])
        body = usage(client, group_by="model")
        assert [(g["group"], g["calls"], g["errors"], g["total_tokens"]) for g in body["groups"]] == [
            ("gpt-4o", 1, 1, 5100)
        ]
        assert (body["totals"]["calls"], body["totals"]["total_tokens"]) == (1, 5100)
        assert body["totals"]["cost"] == client.get(f"/api/v1/sessions/{sid}").json()["cost"] > 0
        assert body["totals"]["latency_p50_ms"] > 2000  # the copy's three seconds, not the first copy's one
        assert client.delete(f"/api/v1/activities/{call}").is_success
        totals = usage(client)["totals"]
        assert (totals["calls"], totals["errors"], totals["total_tokens"], totals["cost"]) == (0, 0, 0, 0)


def test_unpriced_calls_are_counted_per_group_and_in_the_totals(live_server):
    """As in the sessions list: closed calls with tokens and no price; a refused call (no usage) is not
    unpriced. A range counts the calls of the hours it covers, as the roll-ups do."""
    tenant = live_server.new_tenant("metrics-unpriced")
    with live_server.client(tenant.api_key) as client:
        sid = uid("s-")
        later = BASE_TIME + timedelta(hours=3)
        ingest(
            client,
            [session(sid, tracking_project="p")],
            [
                llm(uid("a-"), sid, model="gpt-4o", usage=USAGE),
                llm(uid("a-"), sid, model=UNKNOWN_MODEL, usage=USAGE),
                llm(uid("a-"), sid, model=UNKNOWN_MODEL, start=later + timedelta(minutes=30)),  # tokens counted
                llm(uid("a-"), sid, model=UNKNOWN_MODEL, error="refused", generated=None),  # not billed
            ],
        )
        body = usage(client, group_by="model")
        groups = {g["group"]: g for g in body["groups"]}
        assert groups[UNKNOWN_MODEL]["unpriced_calls"] == 2 and groups[UNKNOWN_MODEL]["cost"] == 0
        assert groups[UNKNOWN_MODEL]["calls"] == 3
        assert groups["gpt-4o"]["unpriced_calls"] == 0 and groups["gpt-4o"]["cost"] > 0
        assert body["totals"]["unpriced_calls"] == 2
        assert usage(client, group_by="project")["groups"][0]["unpriced_calls"] == 2
        # the hours that start in [since, until) count, with every call in them
        for params, calls, unpriced in (
            ({"since": iso(later - timedelta(minutes=10))}, 1, 1),
            ({"since": iso(later + timedelta(minutes=10))}, 0, 0),
            ({"until": iso(later + timedelta(minutes=10))}, 4, 2),
            ({"until": iso(later)}, 3, 1),
        ):
            totals = usage(client, **params)["totals"]
            assert (totals["calls"], totals["unpriced_calls"]) == (calls, unpriced), params
        assert usage(client, tenant="nobody")["totals"]["unpriced_calls"] == 0


def test_unknown_parameters_and_times_without_an_offset_are_refused_by_name(client):
    for params, field in (
        ({"projct": "shop"}, "query.projct"),
        ({"group_by": "model", "colour": "red"}, "query.colour"),
        ({"since": "2026-10-05"}, "query.since"),
        ({"since": "2026-10-05T00:00:00"}, "query.since"),
        ({"until": "1790000000"}, "query.until"),
        ({"tenant": ""}, "query.tenant"),
    ):
        response = client.get("/api/v1/metrics/usage", params=params)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
    offset = client.get("/api/v1/metrics/usage", params={"since": "2026-10-05T02:00:00+02:00"})
    assert offset.status_code == 200, offset.text


def test_the_answer_names_the_whole_hours_its_figures_cover(live_server):
    """`since` and `until` count the roll-up hours that start in [since, until): the answer says which those
    are, so a `since` within an hour does not silently count from the next one."""
    tenant = live_server.new_tenant("metrics-window")
    start = BASE_TIME.replace(minute=37)
    with live_server.client(tenant.api_key) as client:
        sid = uid("s-")
        ingest(client, [session(sid)], [llm(uid("a-"), sid, start=start, usage=USAGE)])
        within = usage(client, since=iso(start - timedelta(minutes=1)), until=iso(start + timedelta(hours=2)))
        assert within["totals"]["calls"] == 0  # its hour starts before `since`
        hour = start.replace(minute=0)
        assert window(within) == (hour + timedelta(hours=1), hour + timedelta(hours=3))
        whole = usage(client, since=iso(hour), until=iso(hour + timedelta(minutes=1)))
        assert whole["totals"]["calls"] == 1
        assert window(whole) == (hour, hour + timedelta(hours=1))
        assert window(usage(client)) == (None, None)


def window(answer: dict) -> tuple:
    return tuple(None if v is None else datetime.fromisoformat(v) for v in answer["window"].values())
