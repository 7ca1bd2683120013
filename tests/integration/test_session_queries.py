"""Session list filters, text search, cursor pagination, and the usage metrics."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from promptwatch.server.services.session_detail import encode_cursor
from promptwatch.server.store.session_detail import ActivityKey
from tests.support.payloads import BASE_TIME, chain, iso, llm, session, uid


def ingest(client, sessions=(), activities=()):
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == 0, response.text


def ids(client, **params) -> list[str]:
    response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]



def test_filters_by_cost_tokens_and_duration_ranges(client):
    """Each bound is inclusive and optional; an open session has no duration, so a duration filter leaves it
    out. The session ends with its last call (its duration: the seconds given) and costs what its call does."""
    project = uid("proj-")
    small, large, running = uid("s-"), uid("s-"), uid("s-")
    usage = {"small": (100, 10), "large": (100_000, 5_000)}
    ingest(
        client,
        [session(sid, tracking_project=project) for sid in (small, large, running)],
        [
            llm(uid("a-"), small, model="gpt-4o", seconds=2, usage=usage_of(*usage["small"])),
            llm(uid("a-"), large, model="gpt-4o", seconds=30, usage=usage_of(*usage["large"])),
            llm(uid("a-"), running, model="gpt-4o", closed=False, usage=usage_of(*usage["small"])),
        ],
    )
    listed = client.get("/api/v1/sessions", params={"project": project}).json()["items"]
    costs = {item["id"]: item["cost"] for item in listed}
    assert 0 < costs[small] < 0.01 < costs[large]
    assert set(ids(client, project=project, min_cost=0.01)) == {large}
    assert set(ids(client, project=project, max_cost=costs[small])) == {small, running}
    assert set(ids(client, project=project, min_tokens=1000, max_tokens=10**6)) == {large}
    assert set(ids(client, project=project, min_duration_ms=10_000)) == {large}
    assert set(ids(client, project=project, max_duration_ms=2000)) == {small}
    assert ids(client, project=project, min_duration_ms=2000, max_duration_ms=1999) == []
    assert ids(client, project=project, min_duration_ms=2000, max_duration_ms=2000) == [small]  # exact, both ends
    for bad in ({"min_cost": -1}, {"min_cost": "nan"}, {"max_tokens": "many"}, {"min_duration_ms": 1e13}):
        answer = client.get("/api/v1/sessions", params=bad)
        assert answer.status_code == 422, (bad, answer.text)


def usage_of(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}

def test_filters_by_project_tenant_model_template_error_and_time(client):
    project, other, word = uid("proj-"), uid("other-"), uid("zebra")
    a, b, c = uid("s-"), uid("s-"), uid("s-")
    later = BASE_TIME + timedelta(days=3)
    ingest(
        client,
        [
            session(a, tracking_project=project, tracking_tenant="acme", tags=["beta"], metadata={"env": "prod"}),
            session(b, tracking_project=project, tracking_tenant="globex", start_time=iso(later), is_error=True),
            session(c, tracking_project=other),
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
            llm(uid("a-"), c, model="gpt-4o", error="rate limited, then retried"),  # the session went on
        ],
    )
    assert set(ids(client, project=project)) == {a, b}
    assert ids(client, project=other) == [c] and ids(client, project=other, has_error="true") == []
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


def test_words_of_three_letters_or_more_match_the_words_they_begin(client):
    project = uid("proj-")
    a, b, c = uid("s-"), uid("s-"), uid("s-")
    ingest(
        client,
        [session(x, tracking_project=project) for x in (a, b, c)],
        [
            llm(uid("a-"), a, prompt="rotate the key"),
            llm(uid("a-"), b, prompt="a rotation of the logs"),
            llm(uid("a-"), c, prompt="ключевой момент"),
        ],
    )
    assert set(ids(client, project=project, q="rot")) == {a, b}
    assert ids(client, project=project, q="ROT key") == [a]  # every word must match
    assert ids(client, project=project, q="rot logs") == [b]
    assert ids(client, project=project, q="ro") == []  # shorter words match only themselves
    assert ids(client, project=project, q="th") == []
    assert ids(client, project=project, q="rotated") == []
    assert ids(client, project=project, q="клю мом") == [c]


def test_a_version_number_or_an_address_finds_what_holds_it(client):
    """PostgreSQL keeps `1.5` and an address as one token, SQLite splits them: either way they are found."""
    project = uid("proj-")
    a, b = uid("s-"), uid("s-")
    ingest(
        client,
        [session(x, tracking_project=project) for x in (a, b)],
        [
            llm(uid("a-"), a, prompt="upgrade to release 1.5 and mail bob@example.com"),
            llm(uid("a-"), b, prompt="release 2 went out"),
        ],
    )
    assert ids(client, project=project, q="1.5") == [a]
    assert ids(client, project=project, q="bob@example.com") == [a]
    assert set(ids(client, project=project, q="release")) == {a, b}


def test_query_syntax_in_the_words_is_never_applied(client):
    project = uid("proj-")
    a, b = uid("s-"), uid("s-")
    ingest(
        client,
        [session(a, tracking_project=project), session(b, tracking_project=project)],
        [llm(uid("a-"), a, prompt="rotate the key"), llm(uid("a-"), b, prompt="a rotation of the logs")],
    )
    for q in ("rot & key", "(rot key)", "'rot':* key", "rot\\ key:*", "!rot|key"):
        assert ids(client, project=project, q=q) == [a], q
    for q in (
        '"',
        "'",
        "\\",
        "''",
        ":*",
        "&|!()",
        "<->",
        "NEAR(a b)",
        "^",
        "🔑",
        "日本語",
        "_",
        'rot" OR "logs',
        "rot* NOT logs",
    ):
        assert ids(client, project=project, q=q) == [], q


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


# a session's detail a page at a time: GET /api/v1/sessions/{id}?activities_limit=&activities_cursor=


def detail_pages(client, sid: str, limit: int, **params) -> list[dict]:
    """Every page of the session's activities, following `next_activities_cursor` to the end."""
    pages, cursor = [], None
    while True:
        query = {"activities_limit": limit, **params, **({"activities_cursor": cursor} if cursor else {})}
        response = client.get(f"/api/v1/sessions/{sid}", params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_activities_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 1000, "the cursor never reached the end"


def tied_session(client) -> tuple[str, list[str]]:
    """A session of 23 activities, most starting at the same moment with positions that tie, are missing or
    negative; and the ids in the order the detail must list them (start time, position with the missing
    first; equal keys in any order, as long as it is always the same)."""
    sid, later = uid("s-"), BASE_TIME + timedelta(seconds=5)
    specs = [(BASE_TIME, None)] * 6 + [(BASE_TIME, 1)] * 5 + [(BASE_TIME, -3)] * 3 + [(BASE_TIME, 7)]
    specs += [(later, None), (later, 0), (later, 0)] + [(BASE_TIME + timedelta(seconds=i), None) for i in (1, 2, 3)]
    specs += [(BASE_TIME - timedelta(seconds=1), 9), (BASE_TIME + timedelta(seconds=9), -1)]
    activities = []
    for start, position in reversed(specs):  # stored out of order
        item = llm(uid("a-"), sid, start=start, prompt=f"prompt {len(activities)}")
        if position is not None:
            item["order"] = position
        activities.append(item)
    ingest(client, [session(sid)], activities)
    return sid, activities


def sort_key(activity: dict) -> tuple:
    position = activity["order"]
    return activity["start_time"], position is not None, position if position is not None else 0


def test_detail_pages_list_every_activity_once_in_order(client):
    sid, stored = tied_session(client)
    whole = client.get(f"/api/v1/sessions/{sid}").json()
    assert whole["next_activities_cursor"] is None and whole["activity_count"] == len(stored) == 23
    everything = [a["id"] for a in whole["activities"]]
    assert sorted(everything) == sorted(a["id"] for a in stored)
    keys = [sort_key(a) for a in whole["activities"]]
    assert keys == sorted(keys), "start time, then position with the missing first (both databases)"
    for limit in (1, 2, 5, 7, 22, 23, 24, 1000):
        pages = detail_pages(client, sid, limit)
        assert [len(p["activities"]) for p in pages[:-1]] == [limit] * (len(pages) - 1)
        assert len(pages) == -(-23 // limit), f"no empty page at the end (limit {limit})"
        assert [a["id"] for p in pages for a in p["activities"]] == everything, limit
        assert {p["activity_count"] for p in pages} == {23}
        assert all(p["id"] == sid and "cost" in p for p in pages), "each page carries the session"
    # a page has each activity exactly as the whole detail has it
    assert detail_pages(client, sid, 4)[2]["activities"] == whole["activities"][8:12]


def test_detail_pages_go_on_from_where_they_were(client):
    """A cursor names a place in the order, not an offset: an activity stored after the first page was read
    shows on a later page when it starts later, and nothing is listed twice."""
    sid = uid("s-")
    first = [llm(uid("a-"), sid, start=BASE_TIME + timedelta(seconds=i)) for i in range(4)]
    ingest(client, [session(sid)], first)
    page = client.get(f"/api/v1/sessions/{sid}", params={"activities_limit": 2}).json()
    late = llm(uid("a-"), sid, start=BASE_TIME + timedelta(seconds=10))
    ingest(client, activities=[late, llm(uid("a-"), sid, start=BASE_TIME - timedelta(seconds=1))])
    rest = client.get(f"/api/v1/sessions/{sid}", params={"activities_cursor": page["next_activities_cursor"]}).json()
    assert [a["id"] for a in rest["activities"]] == [a["id"] for a in first[2:]] + [late["id"]]
    assert rest["next_activities_cursor"] is None and rest["activity_count"] == 6


def test_detail_outline_has_the_tree_without_the_bodies(client):
    sid, parent = uid("s-"), uid("c-")
    ingest(
        client,
        [session(sid)],
        [
            chain(parent, sid),
            llm(
                uid("a-"),
                sid,
                start=BASE_TIME + timedelta(seconds=1),
                parent_activity_id=parent,
                usage={"prompt_tokens": 7, "completion_tokens": 3},
            ),
        ],
    )
    full = client.get(f"/api/v1/sessions/{sid}").json()["activities"]
    outline = client.get(f"/api/v1/sessions/{sid}", params={"activities_fields": "outline"}).json()
    assert [a["id"] for a in outline["activities"]] == [a["id"] for a in full]
    call = outline["activities"][1]
    assert call["parent_activity_id"] == parent and call["model"] == "gpt-4o-mini" and call["name"] is None
    assert call["usage"]["total_tokens"] == 10 and call["end_time"] and "order" in call
    for activity in outline["activities"]:
        assert not {"prompt", "generated", "inputs", "outputs", "settings", "metadata"} & set(activity)
    assert {"prompt", "generated"} <= set(full[1]) and "inputs" in full[0]
    # outline and full pages share their cursors
    paged = client.get(f"/api/v1/sessions/{sid}", params={"activities_limit": 1, "activities_fields": "outline"})
    rest = client.get(f"/api/v1/sessions/{sid}", params={"activities_cursor": paged.json()["next_activities_cursor"]})
    assert rest.json()["activities"] == full[1:]


def _cursor(*raw) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(raw)).encode()).decode()


def test_detail_page_refuses_a_bad_limit_cursor_or_fields_with_422(client):
    sid, _ = tied_session(client)
    good = client.get(f"/api/v1/sessions/{sid}", params={"activities_limit": 3}).json()["next_activities_cursor"]
    when = iso(BASE_TIME)
    bad = [
        {"activities_limit": 0},
        {"activities_limit": 1001},
        {"activities_limit": "many"},
        {"activities_limit": -5},
        {"activities_fields": "bodies"},
        {"activities_cursor": "not a cursor"},
        {"activities_cursor": "!!!!"},
        {"activities_cursor": ""},
        {"activities_cursor": good[:-6]},
        {"activities_cursor": base64.urlsafe_b64encode(b"\xff\xfe").decode()},
        {"activities_cursor": _cursor("newest", when, 5)},  # the session list's
        {"activities_cursor": _cursor("activities", when, 1)},
        {"activities_cursor": _cursor("activities", when, 1, 2, 3)},
        {"activities_cursor": _cursor("newest", when, None, 5)},
        {"activities_cursor": _cursor("activities", "2026-11-01T12:00:00", None, 5)},  # no timezone
        {"activities_cursor": _cursor("activities", "2026-13-45T99:00:00Z", None, 5)},
        {"activities_cursor": _cursor("activities", "0001-01-01T00:00:00+05:00", None, 5)},  # before year 1 in UTC
        {"activities_cursor": _cursor("activities", when, True, 5)},
        {"activities_cursor": _cursor("activities", when, "3", 5)},
        {"activities_cursor": _cursor("activities", when, 1.5, 5)},
        {"activities_cursor": _cursor("activities", when, 2**70, 5)},
        {"activities_cursor": _cursor("activities", when, None, 2**64)},
        {"activities_cursor": _cursor("activities", 12, None, 5)},
        {"activities_cursor": _cursor("activities", when, None, None)},
        {"activities_cursor": base64.urlsafe_b64encode(b'{"a": 1}').decode()},
        {"activities_cursor": "x" * 501},
    ]
    for params in bad:
        response = client.get(f"/api/v1/sessions/{sid}", params=params)
        assert response.status_code == 422, (params, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), params
        assert response.json()["status"] == 422
    # the same checks for a session that does not exist: still the input's fault first
    assert client.get(f"/api/v1/sessions/{uid('s-')}", params={"activities_cursor": "nope"}).status_code == 422
    assert client.get(f"/api/v1/sessions/{uid('s-')}", params={"activities_limit": 5}).status_code == 404
    # a well-formed cursor of a place past the end is an empty last page
    end = encode_cursor(sid, ActivityKey(BASE_TIME + timedelta(days=400), None, 1))
    past = client.get(f"/api/v1/sessions/{sid}", params={"activities_cursor": end, "activities_limit": 5}).json()
    assert past["activities"] == [] and past["next_activities_cursor"] is None


def test_p16_detail_pages_of_another_account_are_404(live_server):
    owner, intruder = live_server.new_tenant("pages-owner"), live_server.new_tenant("pages-intruder")
    with live_server.client(owner.api_key) as mine:
        sid, _ = tied_session(mine)
        cursor = mine.get(f"/api/v1/sessions/{sid}", params={"activities_limit": 2}).json()["next_activities_cursor"]
    with live_server.client(intruder.api_key) as theirs:
        for params in (
            {"activities_limit": 2},
            {"activities_cursor": cursor},
            {"activities_cursor": cursor, "activities_limit": 50, "activities_fields": "outline"},
            {"activities_fields": "outline"},
        ):
            response = theirs.get(f"/api/v1/sessions/{sid}", params=params)
            assert response.status_code == 404, (params, response.text)
            assert "prompt" not in response.text
        # the intruder's own session of the same id lists only the intruder's activities, with the owner's cursor
        ingest(theirs, [session(sid)], [llm(uid("a-"), sid, prompt="intruder's", start=BASE_TIME + timedelta(days=1))])
        own = theirs.get(f"/api/v1/sessions/{sid}", params={"activities_cursor": cursor}).json()
        assert [a["prompt"] for a in own["activities"]] == ["intruder's"]


def test_calls_whose_model_has_no_price_are_counted_apart_from_the_cost(client):
    """`unpriced_calls`: closed calls with tokens and no price; a refused call (no output, no usage) costs
    nothing and an open call nothing yet, so neither counts."""
    project = uid("proj-")
    priced, mixed, unpriced = uid("s-"), uid("s-"), uid("s-")
    usage = {"prompt_tokens": 1000, "completion_tokens": 200}
    ingest(
        client,
        [session(sid, tracking_project=project) for sid in (priced, mixed, unpriced)],
        [
            llm(uid("a-"), priced, usage=usage),
            llm(uid("a-"), priced, model="no-such-model-x1", error="refused", generated=None),  # not billed
            llm(uid("a-"), priced, model="no-such-model-x1", closed=False),  # still running
            llm(uid("a-"), mixed, usage=usage),
            llm(uid("a-"), mixed, model="no-such-model-x1", usage=usage),
            llm(uid("a-"), unpriced, model="no-such-model-x1"),  # tokens counted from the text
        ],
    )
    response = client.get("/api/v1/sessions", params={"project": project})
    assert response.status_code == 200, response.text
    items = {item["id"]: item for item in response.json()["items"]}
    assert items[priced]["unpriced_calls"] == 0 and items[priced]["cost"] > 0
    assert items[mixed]["unpriced_calls"] == 1 and items[mixed]["cost"] == items[priced]["cost"]
    assert items[unpriced]["unpriced_calls"] == 1 and items[unpriced]["cost"] == 0
    for sid, item in items.items():
        detail = client.get(f"/api/v1/sessions/{sid}").json()
        assert detail["unpriced_calls"] == item["unpriced_calls"]
