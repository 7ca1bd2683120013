"""Bad input gets a clear 4xx with a problem+json body, never a 500, and loses nothing stored."""

from __future__ import annotations

import pytest

from tests.support.payloads import llm, session, uid

GARBAGE_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b"42",
    b'"text"',
    b'{"sessions": "nope"}',
    b'{"sessions": [1, 2], "activities": [null, "x", {}]}',
    b'{"activities": [{"id": 5, "session_id": [], "activity_type": "alien", "start_time": 1}]}',
    b'{"unknown": true}',
    b"\xff\xfe\x00garbage",
    b'{"sessions": [{"id": "' + b"x" * 5000 + b'"}]}',
    b'{"sessions": [{"id": "nul\\u0000", "session_name": "a\\u0000b", "metadata": {"k\\u0000": "v\\u0000"}}]}',
    b'[{"id": "a\\u0000", "activity_type": "log", "text": "x\\u0000y", "start_time": "2026-11-01T00:00:00Z"}]',
    b'{"activities": [{"id": "lone\\ud800", "session_id": "s", "activity_type": "log", "text": "\\udc00"}]}',
]


@pytest.mark.parametrize("body", GARBAGE_BODIES, ids=range(len(GARBAGE_BODIES)))
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ingest",
        "/sessions/start",
        "/sessions/finish",
        "/sessions/some-id/activities",
        "/api/v1/keys",
        "/api/v1/auth/login",
    ],
)
def test_garbage_never_gets_a_500(client, path, body):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, (path, body[:40], response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "abc"},
        {"limit": "100000"},
        {"since": "not a date"},
        {"since": "2026-01-01T00:00:00"},
        {"since": "1790000000"},  # not taken for seconds since 1970
        {"projct": "alpha"},  # a misspelt filter is never ignored
        {"cursor": "%%%"},
        {"cursor": "bm9wZQ=="},
        {"has_error": "maybe"},
        {"q": '"unbalanced AND OR ('},
        {"q": "NEAR(a b)"},
        {"meta": "novalue"},
        {"project": "x" * 300},
    ],
)
def test_bad_list_parameters_get_422_naming_them(client, params):
    response = client.get("/api/v1/sessions", params=params)
    if "q" in params:  # text search treats the query as plain words
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, (params, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_huge_fields_are_refused_by_name_and_nothing_stored_is_lost(client):
    sid, aid = uid("s-"), uid("a-")
    client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(aid, sid)]})
    huge = llm(uid("a-"), sid, model="m" * 1000)
    answer = client.post("/api/v1/ingest", json={"activities": [huge]}).json()
    assert answer["activities"][0]["status"] == "invalid"
    assert answer["activities"][0]["errors"][0]["field"] == "model"
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    assert [a["id"] for a in stored["activities"]] == [aid]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"usage": {"prompt_tokens": 9223372036854775807}}, "usage.prompt_tokens"),
        ({"usage": {"prompt_tokens": 5 * 10**18, "completion_tokens": 5 * 10**18}}, "usage.prompt_tokens"),
        ({"order": 2**40}, "order"),
        ({"feedback_rating": -(2**40)}, "feedback_rating"),
        ({"start_time": "9999-12-31T23:59:59-14:00", "end_time": None}, "start_time"),  # beyond 9999 in UTC
        ({"start_time": "0001-01-01T00:00:00+01:00", "end_time": None}, "start_time"),  # before year 1 in UTC
        ({"id": "a/b?c#d"}, "id"),  # a URL could not name it
        ({"parent_activity_id": "tab\tid"}, "parent_activity_id"),
    ],
)
def test_a_value_the_store_cannot_hold_fails_its_item_alone(client, fields, field):
    sid, good = uid("s-"), uid("a-")
    answer = client.post(
        "/api/v1/ingest",
        json={"sessions": [session(sid)], "activities": [llm(good, sid), llm(uid("a-"), sid, **fields)]},
    )
    assert answer.status_code == 200, answer.text
    statuses = [(item["status"], (item["errors"] or [{}])[0].get("field")) for item in answer.json()["activities"]]
    assert statuses == [("stored", None), ("invalid", field)]
    assert [a["id"] for a in client.get(f"/api/v1/sessions/{sid}").json()["activities"]] == [good]


def test_body_over_the_limit_is_413(client):
    response = client.post("/api/v1/ingest", content=b"x" * 21_000_000, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def _chunks(total: int, size: int = 1_000_000):
    """A body of `total` bytes sent in chunks, without a Content-Length (Transfer-Encoding: chunked)."""
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/ingest", "application/json"),  # reads its own body
        ("/api/v1/datasets", "application/json"),  # a body the API framework reads
        ("/sessions/start", "application/json"),  # the published client's tolerant endpoints
        ("/v1/traces", "application/json"),
        ("/api/v1/import", "application/zip"),  # read as a stream
    ],
)
def test_a_chunked_body_over_the_limit_is_413_too(live_server, client, path, content_type):
    before = client.get("/api/v1/sessions").json()["items"]
    limit = live_server.settings().max_request_bytes
    response = client.post(path, content=_chunks(limit + 1), headers={"content-type": content_type})
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert str(limit) in response.json()["detail"]
    assert client.get("/api/v1/sessions").json()["items"] == before
    ok = client.post("/api/v1/ingest", content=_chunks(100), headers={"content-type": "application/json"})
    assert ok.status_code == 422  # a chunked body within the limit is read (here: no JSON in it)


def test_unknown_ids_are_404(client):
    for path in ("/api/v1/sessions/" + uid("none-"), "/sessions/" + uid("none-")):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.delete("/api/v1/keys/" + uid("nokey-")).status_code in (403, 404)


def test_bad_api_keys_are_401(live_server):
    for key in ("abc", "pw_live_123", "////", "b25seS10ZW5hbnQ=", "dW5rbm93bjpzZWNyZXQ="):
        with live_server.client(key) as client:
            response = client.get("/api/v1/sessions")
            assert response.status_code == 401, key
            assert response.json()["title"] == "Authentication required"


def test_nul_in_paths_and_queries_is_400_not_500(client):
    for path in ("/api/v1/sessions?q=a%00b", "/api/v1/sessions?tenant=%00", "/api/v1/sessions/a%00b"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/v1/keys", {"expires_at": "9999-12-31T23:00:00-14:00"}, "expires_at"),
        ("post", "/api/v1/deletions/time-range", {"until": "9999-12-31T23:00:00-14:00"}, "until"),
        ("post", "/api/v1/prices/overrides", {"model": "m", "input_per_mtok": 1, "output_per_mtok": 1,
                                              "effective_from": "0001-01-01T00:00:00+05:00"}, "effective_from"),
    ],
)  # fmt: skip
def test_a_time_utc_cannot_express_is_a_422_wherever_it_is_taken(live_server, method, path, body, field):
    tenant = live_server.new_tenant("far-times")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin) as client:
        answer = getattr(client, method)(path, json=body)
    assert answer.status_code == 422, answer.text
    assert [error["field"].split(".")[-1] for error in answer.json()["errors"]] == [field], answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/prices/quote?model=gpt-4o",
        "/api/v1/templates",
        "/api/v1/datasets",
        "/api/v1/tests/runs",
        "/api/v1/account/usage",
    ],
)
def test_a_parameter_a_read_does_not_take_is_a_422_naming_it(client, path):
    """As on the session list: a misspelt or unsupported parameter is never silently ignored."""
    answer = client.get(path, params={"bogus": "1"})
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["query.bogus"]
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 3}}, "usage.total_tokens"),
        ({"usage": {"prompt_tokens": 10, "total_tokens": 9}}, "usage.total_tokens"),
        (
            {"activity_type": "retrieved-docs", "documents": [{"text": "a"}], "scores": [0.9, 0.8]},
            "scores",
        ),
    ],
)
def test_figures_that_contradict_each_other_fail_their_item_naming_the_field(client, fields, field):
    """A total below the sum of its parts, or more scores than documents, cannot be right; a total above the
    sum can (providers count reasoning and cached tokens in it)."""
    sid = uid("s-")
    larger_total = llm(uid("a-"), sid, usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 20})
    fewer_scores = {
        **llm(uid("a-"), sid),
        "activity_type": "retrieved-docs",
        "documents": [{"text": "a"}],
        "scores": [],
    }
    answer = client.post(
        "/api/v1/ingest", json={"activities": [larger_total, fewer_scores, llm(uid("a-"), sid, **fields)]}
    )
    assert answer.status_code == 200, answer.text
    statuses = [(item["status"], [e["field"] for e in item["errors"] or []]) for item in answer.json()["activities"]]
    assert statuses == [("stored", []), ("stored", []), ("invalid", [field])]


def test_a_query_time_whose_plus_arrived_as_a_space_keeps_its_offset(client):
    """`?since=2026-11-01T12:30:00+01:00` with the `+` not URL-encoded arrives as a space before the offset."""
    sid, project = uid("s-"), uid("p-")
    batch = {"sessions": [session(sid, tracking_project=project)], "activities": [llm(uid("a-"), sid)]}
    assert client.post("/api/v1/ingest", json=batch).json()["stored"] == 2
    for offset, listed in (("+01:00", [sid]), ("+00:00", [])):  # 11:30 and 12:30 UTC; the session starts at 12:00
        answer = client.get(f"/api/v1/sessions?project={project}&since=2026-11-01T12:30:00{offset}")
        assert answer.status_code == 200, answer.text
        assert [item["id"] for item in answer.json()["items"]] == listed, offset
    for path in ("/api/v1/activities", "/api/v1/metrics/usage"):
        answer = client.get(f"{path}?project={project}&since=2026-11-01T11:00:00+01:00")
        assert answer.status_code == 200, answer.text


def test_a_refused_query_time_is_echoed_in_the_message(client):
    answer = client.get("/api/v1/sessions", params={"since": "2026-11-25 midnight"})
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["field"] == "query.since"
    assert error["message"].endswith("got '2026-11-25 midnight'"), answer.text
