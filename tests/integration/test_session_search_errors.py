"""The session list's text search finds a session by the words of an activity's error, from every entry point
(native API, the published client's endpoint, OTLP, import); a deletion or a re-sent copy leaves the index
holding exactly the words of what is stored."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import create_engine, text

from tests.support.payloads import llm, session, uid

from .test_otlp import START, json_span, otlp_json, post


def ids(client, **params) -> list[str]:
    response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def ingest(client, sessions=(), activities=()) -> None:
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200 and response.json()["rejected"] == 0, response.text


@contextmanager
def database(server):
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def indexed(server, word: str) -> set[int]:
    """The activities the index itself holds `word` for: on SQLite a row removed by other text than it was
    indexed with keeps the words that text lacked, and a search by them still finds its pk."""
    with database(server) as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT rowid FROM activity_search WHERE activity_search MATCH :word"
            return set(conn.execute(text(query), {"word": f'"{word}"'}).scalars())
        query = "SELECT activity_pk FROM activity_search WHERE tsv @@ to_tsquery('simple', :word)"
        return set(conn.execute(text(query), {"word": word}).scalars())


def deleted_leaves_no_word(client, server, sid: str, *words: str) -> None:
    """Deleting the session leaves no search hit and no index row for any of `words` (each its own)."""
    assert all(indexed(server, word) for word in words), words  # the positive control
    assert client.delete(f"/api/v1/sessions/{sid}").status_code == 204
    for word in words:
        assert ids(client, q=word) == [] and indexed(server, word) == set(), word


def test_a_session_is_found_by_the_words_of_its_error_and_deleted_from_the_index(live_server, client):
    project, word = uid("proj-"), uid("quota")
    failed, fine = uid("s-"), uid("s-")
    ingest(
        client,
        [session(failed, tracking_project=project), session(fine, tracking_project=project)],
        [
            llm(uid("a-"), failed, error=f"RateLimitError: context length exceeded ({word})", generated=None),
            llm(uid("a-"), fine, prompt="more context please"),
        ],
    )
    for q in ("RateLimitError", '"context length exceeded"', word, "ratelimit exceed"):
        assert ids(client, project=project, q=q) == [failed], q
    assert set(ids(client, project=project, q="context")) == {failed, fine}
    deleted_leaves_no_word(client, live_server, failed, word)


def test_a_re_sent_copy_with_an_error_updates_the_index(live_server, client):
    """An open call sent again closed with an error is found by it; a later copy with another error replaces
    its words, the first error's leaving the index."""
    project, asked, first, second = uid("proj-"), uid("asked"), uid("first"), uid("second")
    sid, aid = uid("s-"), uid("a-")
    ingest(client, [session(sid, tracking_project=project)], [llm(aid, sid, prompt=f"about {asked}", closed=False)])
    assert ids(client, project=project, q=asked) == [sid] and ids(client, project=project, q=first) == []
    ingest(client, activities=[llm(aid, sid, prompt=f"about {asked}", error=f"TimeoutError: {first}")])
    assert ids(client, project=project, q=first) == [sid] == ids(client, project=project, q=f"{asked} timeout")
    ingest(client, activities=[llm(aid, sid, prompt=f"about {asked}", seconds=5, error=f"TimeoutError: {second}")])
    assert ids(client, project=project, q=second) == [sid]
    assert ids(client, project=project, q=first) == [] and indexed(live_server, first) == set()
    deleted_leaves_no_word(client, live_server, sid, asked, second)


def test_the_published_clients_error_is_found(live_server, client):
    project, word, sid = uid("proj-"), uid("ticket"), uid("s-")
    with live_server.client() as published:
        headers = {"x-api-key": live_server.first.api_key}
        started = {"id": sid, "start_time": "2026-11-01T12:00:00", "tracking_project": project, "is_error": False}
        assert published.post("/sessions/start", json=started, headers=headers).status_code == 200
        logged = {"activity_type": "log", "text": "ticket system down", "error": f"TimeoutError: 5s {word}"}
        answer = published.post(f"/sessions/{sid}/activities", json=[{**logged, "metadata": None}], headers=headers)
        assert answer.status_code == 200, answer.text
    assert ids(client, project=project, q="TimeoutError") == [sid] == ids(client, project=project, q=word)
    deleted_leaves_no_word(client, live_server, sid, word)


def test_an_otlp_span_is_found_by_its_status_message_and_the_exception_it_recorded(live_server, client):
    project, refused, quota = uid("svc-"), uid("refused"), uid("quota")
    trace_id = uid() + uid()
    exception = [
        {"key": "exception.type", "value": {"stringValue": "openai.RateLimitError"}},
        {"key": "exception.message", "value": {"stringValue": f"Error code: 429 {quota}"}},
    ]
    span = json_span(
        trace_id,
        uid(),
        status={"code": 2, "message": f"upstream {refused}"},
        events=[{"name": "exception", "timeUnixNano": str(START + 1), "attributes": exception}],
    )
    assert post(client, otlp_json([span], {"service.name": project})).status_code == 200
    for q in ("RateLimitError", "openai.RateLimitError", refused, quota, "429"):
        assert ids(client, project=project, q=q) == [trace_id], q
    deleted_leaves_no_word(client, live_server, trace_id, refused, quota)


def test_an_imported_error_is_found(live_server):
    source, target = live_server.new_tenant("errors-source"), live_server.new_tenant("errors-target")
    keys = [live_server.accounts()._rt.keys.create(tenant.account_id, "admin") for tenant in (source, target)]
    sid, word = uid("s-"), uid("imported")
    with live_server.client(keys[0]) as admin:
        ingest(admin, [session(sid)], [llm(uid("a-"), sid, error=f"ValueError: {word}")])
        archive = admin.get("/api/v1/export").content
        deleted_leaves_no_word(admin, live_server, sid, word)
    with live_server.client(keys[1]) as admin:
        imported = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        assert ids(admin, q=f"valueerror {word}") == [sid]
        deleted_leaves_no_word(admin, live_server, sid, word)
