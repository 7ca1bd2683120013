"""A cursor this server did not hand out is a 422 naming the parameter it came in (docs/api.md), in every list
that pages by one: the session list in each of its orders, the activity list, and a session's activities."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.payloads import llm, session, uid

WHEN = "2026-11-01T12:00:00+00:00"
# values no cursor of this server holds: a time without an offset, one before the year 1 or after 9999 in UTC,
# integers past 64 bits, a boolean, text, a float where an integer goes
BAD_TIMES = ["2026-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00", 12, None, True]
BAD_PKS = [2**63, -(2**63) - 1, 2**64 - 1, True, "3", 1.5, None]


def cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()  # integers of any size


def forged(kind: str, value_ok, bad_values) -> list[str]:
    """Cursors of `kind` with a bad value in each place, and of a wrong shape."""
    out = [cursor(kind, value, 1) for value in bad_values]
    out += [cursor(kind, value_ok, pk) for pk in BAD_PKS]
    out += [cursor(kind, value_ok), cursor(kind, value_ok, 1, 1), cursor(kind), cursor(), "bm9wZQ", "%%%"]
    out += [base64.urlsafe_b64encode(json.dumps({kind: [value_ok, 1]}).encode()).decode(), cursor("other", value_ok, 1)]
    return out


FIRST, LAST = "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00"
LISTS = [  # (path, order, the value of a place past every item, bad values)
    ("/api/v1/sessions", "newest", FIRST, BAD_TIMES),
    ("/api/v1/sessions", "oldest", LAST, BAD_TIMES),
    ("/api/v1/sessions", "cost", -1.5, [2**64 - 1, "0.25", True, None, WHEN, [1], {"a": 1}]),
    ("/api/v1/sessions", "tokens", -1, [2**63, 2**64 - 1, 1.5, "10", True, None, WHEN]),
    ("/api/v1/activities", "activities", FIRST, BAD_TIMES),
]


def refused_naming(answer, field: str) -> None:
    assert answer.status_code == 422, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.headers
    body = answer.json()
    assert body["field"] == field and [e["field"] for e in body["errors"]] == [field], answer.text


@pytest.mark.parametrize(("path", "kind", "end", "bad_values"), LISTS, ids=[k for _, k, _, _ in LISTS])
def test_a_forged_cursor_of_a_list_is_a_422_naming_cursor(client, path, kind, end, bad_values):
    order = {} if kind == "activities" else {"sort": kind}
    for forgery in forged(kind, end, bad_values):
        refused_naming(client.get(path, params={**order, "cursor": forgery}), "cursor")
    # a cursor of the same shape from another order is not taken either
    other = "oldest" if kind != "oldest" else "newest"
    refused_naming(client.get(path, params={**order, "cursor": cursor(other, WHEN, 1)}), "cursor")
    # while a well-formed one of this order is: a place past the end is an empty last page
    answer = client.get(path, params={**order, "cursor": cursor(kind, end, -1)})
    assert answer.status_code == 200 and answer.json()["items"] == [], answer.text


def test_every_order_pages_with_the_cursors_it_hands_out(client):
    """The cursors the lists hand out are the ones they take back, in each order."""
    project = uid("cursors-")
    sids = [uid("s-") for _ in range(3)]
    answer = client.post(
        "/api/v1/ingest",
        json={
            "sessions": [session(sid, tracking_project=project) for sid in sids]
            + [session(uid("s-"), tracking_project=uid("elsewhere-"))],  # not in the pages walked
            "activities": [llm(uid("a-"), sid, usage=usage(10 * n)) for n, sid in enumerate(sids, start=1)],
        },
    )
    assert answer.json()["rejected"] == 0, answer.text
    for sort in ("newest", "oldest", "cost", "tokens"):
        assert sorted(walk(client, "/api/v1/sessions", project=project, sort=sort)) == sorted(sids), sort
    assert len(walk(client, "/api/v1/activities", project=project)) == 3


def walk(client, path: str, **query) -> list[str]:
    """The ids of every page of the list at `path`, a page of one item at a time (`params` replace a query
    written in the path: the filters go with them)."""
    seen, after = [], None
    while True:
        answer = client.get(path, params={**query, "limit": 1, **({"cursor": after} if after else {})})
        assert answer.status_code == 200, answer.text
        seen += [item["id"] for item in answer.json()["items"]]
        after = answer.json()["next_cursor"]
        if after is None:
            return seen


def usage(prompt_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1}


def test_a_forged_activities_cursor_of_a_session_is_a_422_naming_it(client):
    sid = uid("s-")
    stored = client.post(
        "/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(uid("a-"), sid), llm(uid("a-"), sid)]}
    )
    assert stored.json()["rejected"] == 0, stored.text
    handed_out = client.get(f"/api/v1/sessions/{sid}", params={"activities_limit": 1}).json()["next_activities_cursor"]
    tag, mark, start, position, pk = json.loads(base64.urlsafe_b64decode(handed_out))
    forgeries = [cursor(tag, mark, bad, position, pk) for bad in BAD_TIMES]
    forgeries += [cursor(tag, mark, start, position, bad) for bad in BAD_PKS]
    forgeries += [cursor(tag, mark, start, bad, pk) for bad in (2**63, True, "1", 1.5)]
    forgeries += [cursor(tag, "0" * 16, start, position, pk), cursor("sessions", mark, start, position, pk)]
    forgeries += [cursor(tag, mark, start, position), cursor("activities", start, pk)]
    for forgery in forgeries:
        answer = client.get(f"/api/v1/sessions/{sid}", params={"activities_cursor": forgery})
        refused_naming(answer, "activities_cursor")
    page = client.get(f"/api/v1/sessions/{sid}", params={"activities_cursor": handed_out})
    assert page.status_code == 200 and len(page.json()["activities"]) == 1, page.text


def test_a_before_past_64_bits_is_a_422_naming_it(client):
    """The template executions' and the audit log's `before` (not base64 cursors) are held to 64 bits too."""
    huge = "9" * 30
    for path in (f"/api/v1/templates/t/versions/1.0.0/executions?before=1.{huge}", f"/api/v1/audit?before={huge}"):
        answer = client.get(path)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["errors"][0]["field"] in ("before", "query.before"), answer.text


@pytest.mark.parametrize("parts", [["item", True], ["item", 2**70], ["item"], ["session", 1]])
def test_a_forged_dataset_items_cursor_is_a_422_naming_it(client, parts):
    name = uid("ds-")
    assert client.post("/api/v1/datasets", json={"name": name}).status_code == 201
    answer = client.get(f"/api/v1/datasets/{name}/items", params={"cursor": cursor(*parts)})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "cursor", answer.text
