"""A session read through a share link (P1) or under a support grant (P10) a page at a time, with the
parameters and refusals of the session's own detail: the pages join to the whole session with nothing twice,
a cursor of another session or a garbled one is the same 422, what the link leaves out stays out of every
page, and the link or grant is checked again for every page, so a revoked or expired one stops the reading."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from promptwatch.server.services.clock import utc_now
from promptwatch.server.store.tables.sharing import share_links
from promptwatch.server.store.tables.support_access import support_grants
from tests.support.payloads import llm, session, uid

from .test_p16_roles import owner_token, staff_token
from .test_session_queries import ingest, tied_session

TENANT_LABEL = "tenant-label-not-shared"
BAD_PAGES = [
    {"activities_limit": 0},
    {"activities_limit": 1001},
    {"activities_fields": "bodies"},
    {"activities_cursor": "not a cursor"},
    {"activities_cursor": "x" * 501},
]


def read_pages(client, url: str, limit: int, unwrap=lambda answer: answer, **params) -> list[dict]:
    """The session of every page at `url`, following `next_activities_cursor` to the end."""
    sessions, cursor = [], None
    while True:
        query = {"activities_limit": limit, **params, **({"activities_cursor": cursor} if cursor else {})}
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        sessions.append(unwrap(response.json()))
        cursor = sessions[-1]["next_activities_cursor"]
        if cursor is None:
            return sessions
        assert len(sessions) < 100, "the cursor never reached the end"


def assert_pages_join(pages: list[dict], whole: dict, limit: int) -> None:
    listed = [a["id"] for p in pages for a in p["activities"]]
    assert listed == [a["id"] for a in whole["activities"]], f"every activity once, in order (limit {limit})"
    assert [a for p in pages for a in p["activities"]] == whole["activities"]
    assert len(pages) == -(-len(listed) // limit) and {p["activity_count"] for p in pages} == {len(listed)}


def assert_refused_alike(client, url: str, own_url: str, owner, params: dict) -> None:
    """`url` answers a bad page with the very problem the session's own detail (`own_url`) answers."""
    response = client.get(url, params=params)
    assert response.status_code == 422, (params, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json() == owner.get(own_url, params=params).json(), params


def shared_session(live_server, name: str):
    """A tenant, a session of 23 activities with tied start times and a tenant label, its share link, and a
    cursor of another session of the tenant."""
    tenant = live_server.new_tenant(name)
    with live_server.client(tenant.api_key) as key:
        sid, _ = tied_session(key)
        ingest(key, [session(sid, tracking_tenant=TENANT_LABEL)])
        other = uid("s-")
        ingest(key, [session(other)], [llm(uid("a-"), other), llm(uid("a-"), other)])
        foreign = key.get(f"/api/v1/sessions/{other}", params={"activities_limit": 1}).json()
        link = key.post("/api/v1/share-links", json={"object_id": sid}).json()
    return tenant, sid, link, foreign["next_activities_cursor"]


def session_of(shared: dict) -> dict:
    return shared["session"]


def views(live_server, tenant, link_id: int) -> int:
    with live_server.client(tenant.api_key) as key:
        return next(x for x in key.get("/api/v1/share-links").json()["items"] if x["id"] == link_id)["views"]


def test_p1_a_share_link_reads_its_session_in_pages_that_hold_back_what_the_link_leaves_out(live_server):
    tenant, sid, link, foreign_cursor = shared_session(live_server, "shared-pages")
    own_url = f"/api/v1/sessions/{sid}"
    with live_server.client() as anybody, live_server.client(tenant.api_key) as owner:
        whole = anybody.get(link["api_url"]).json()["session"]
        assert len(whole["activities"]) == 23 and whole["next_activities_cursor"] is None
        assert whole["activities"] == owner.get(own_url).json()["activities"]
        for limit in (1, 5, 22, 23, 1000):
            pages = read_pages(anybody, link["api_url"], limit, session_of)
            assert_pages_join(pages, whole, limit)
            assert all("tracking_tenant" not in p for p in pages), "the tenant label is on no page"
        outline = read_pages(anybody, link["api_url"], 7, session_of, activities_fields="outline")
        assert [a["id"] for p in outline for a in p["activities"]] == [a["id"] for a in whole["activities"]]
        assert not any("prompt" in a for p in outline for a in p["activities"])
        assert TENANT_LABEL not in anybody.get(link["api_url"], params={"activities_limit": 2}).text
        assert TENANT_LABEL in owner.get(own_url).text  # the label is stored: the link leaves it out

        # a view is counted when the link is opened, not for each page read after
        assert views(live_server, tenant, link["id"]) == 1 + 5 + 1 + 1
        for params in [*BAD_PAGES, {"activities_cursor": foreign_cursor}]:
            assert_refused_alike(anybody, link["api_url"], own_url, owner, params)
        assert views(live_server, tenant, link["id"]) == 8, "a refused page is no view"
        assert owner.get(own_url, params={"activities_cursor": foreign_cursor}).status_code == 422

        # revoked while it is read: the next page is refused
        first = anybody.get(link["api_url"], params={"activities_limit": 5}).json()["session"]
        assert owner.delete(f"/api/v1/share-links/{link['id']}").status_code == 204
        later = anybody.get(link["api_url"], params={"activities_cursor": first["next_activities_cursor"]})
        assert later.status_code == 410 and "prompt" not in later.text


def test_p1_an_expired_share_link_refuses_a_later_page(live_server):
    _, _, link, _ = shared_session(live_server, "shared-expiry")
    with live_server.client() as anybody:
        first = anybody.get(link["api_url"], params={"activities_limit": 5}).json()["session"]
        engine = live_server.accounts()._rt.engine
        with engine.begin() as conn:
            past = utc_now() - timedelta(seconds=1)
            conn.execute(update(share_links).where(share_links.c.id == link["id"]).values(expires_at=past))
        engine.dispose()
        later = anybody.get(link["api_url"], params={"activities_cursor": first["next_activities_cursor"]})
        assert later.status_code == 410 and "prompt" not in later.text


def test_p10_staff_read_a_granted_session_in_pages_each_checked_and_audited(live_server):
    tenant, sid, _, foreign_cursor = shared_session(live_server, "support-pages")
    url = f"/api/v1/support/accounts/{tenant.account_id}/sessions/{sid}"
    own_url = f"/api/v1/sessions/{sid}"
    with live_server.client(owner_token(live_server, tenant)) as owner:
        grant = owner.post("/api/v1/support-grants", json={"reason": "ticket 5150"}).json()
    with live_server.client(staff_token(live_server)) as staff, live_server.client(tenant.api_key) as key:
        whole = staff.get(url).json()
        assert whole["activities"] == key.get(own_url).json()["activities"] and whole["next_activities_cursor"] is None
        for limit in (1, 5, 23):
            assert_pages_join(read_pages(staff, url, limit), whole, limit)
        outline = read_pages(staff, url, 10, activities_fields="outline")
        assert not any("prompt" in a for p in outline for a in p["activities"])
        for params in [*BAD_PAGES, {"activities_cursor": foreign_cursor}]:
            assert_refused_alike(staff, url, own_url, key, params)
        with live_server.client(owner_token(live_server, tenant)) as owner:
            entries = owner.get("/api/v1/audit", params={"limit": 100, "action": "support.read_session"}).json()
        reads = entries["items"]
        assert len(reads) == 1 + 23 + 5 + 1 + 3, "every page read is audited, no refused one"
        assert {e["target"] for e in reads} == {sid} and {e["details"]["grant_id"] for e in reads} == {grant["id"]}

        # the grant expires while staff read: the next page is refused
        first = staff.get(url, params={"activities_limit": 5}).json()
        engine = live_server.accounts()._rt.engine
        with engine.begin() as conn:
            past = utc_now() - timedelta(seconds=1)
            conn.execute(update(support_grants).where(support_grants.c.id == grant["id"]).values(expires_at=past))
        engine.dispose()
        later = staff.get(url, params={"activities_cursor": first["next_activities_cursor"]})
        assert later.status_code == 403 and "prompt" not in later.text
        assert staff.get(url, params={"activities_cursor": "not a cursor"}).status_code == 403  # the grant first


def test_p10_a_revoked_grant_of_named_sessions_refuses_a_later_page_and_covers_no_other_session(live_server):
    tenant, sid, _, foreign_cursor = shared_session(live_server, "support-named-pages")
    base = f"/api/v1/support/accounts/{tenant.account_id}/sessions"
    with live_server.client(owner_token(live_server, tenant)) as owner:
        body = {"scope": "sessions", "session_ids": [sid], "reason": "JIRA-77"}
        grant = owner.post("/api/v1/support-grants", json=body).json()
    with live_server.client(staff_token(live_server)) as staff:
        first = staff.get(f"{base}/{sid}", params={"activities_limit": 5}).json()
        assert len(first["activities"]) == 5 and first["next_activities_cursor"]
        with live_server.client(tenant.api_key) as key:
            other = next(s["id"] for s in key.get("/api/v1/sessions").json()["items"] if s["id"] != sid)
        assert staff.get(f"{base}/{other}", params={"activities_limit": 1}).status_code == 403
        assert staff.get(f"{base}/{other}", params={"activities_cursor": foreign_cursor}).status_code == 403
        with live_server.client(owner_token(live_server, tenant)) as owner:
            assert owner.delete(f"/api/v1/support-grants/{grant['id']}").status_code == 204
        later = staff.get(f"{base}/{sid}", params={"activities_cursor": first["next_activities_cursor"]})
        assert later.status_code == 403 and "prompt" not in later.text
