"""A tenant's erasure names the tenant exactly, as its export does: a tenant the account holds nothing about
(misspelt, only another account's, or erased already) is a 404 naming it, with no receipt and no ledger entry."""

from __future__ import annotations

from tests.support.payloads import llm, session, uid


def ingest_tenant(client, tenant: str) -> None:
    sid = uid("s-")
    sent = client.post(
        "/api/v1/ingest", json={"sessions": [session(sid, tracking_tenant=tenant)], "activities": [llm(uid("a-"), sid)]}
    )
    assert sent.status_code in (200, 202), sent.text


def test_erasing_a_tenant_the_account_holds_nothing_about_is_a_404_naming_it(live_server):
    mine, other = live_server.new_tenant("eraser"), live_server.new_tenant("bystander")
    admin_key = live_server.accounts()._rt.keys.create(mine.account_id, "admin")
    tenant, theirs = uid("end-user-"), uid("their-user-")
    with live_server.client(admin_key) as admin, live_server.client(other.api_key) as bystander:
        ingest_tenant(admin, tenant)
        ingest_tenant(bystander, theirs)
        for name in (tenant.upper(), theirs, uid("nobody-")):
            missing = admin.delete(f"/api/v1/tenants/{name}")
            assert missing.status_code == 404, missing.text
            assert missing.headers["content-type"].startswith("application/problem+json")
            assert repr(name) in missing.json()["detail"] and "names are exact" in missing.json()["detail"]
        assert admin.get("/api/v1/deletions").json()["items"] == []

        erased = admin.delete(f"/api/v1/tenants/{tenant}")
        assert erased.status_code == 200, erased.text
        assert erased.json()["counts"]["sessions"] == 1
        again = admin.delete(f"/api/v1/tenants/{tenant}")
        assert again.status_code == 404 and repr(tenant) in again.json()["detail"], again.text
        receipts = admin.get("/api/v1/deletions").json()["items"]
        assert [(r["id"], r["kind"]) for r in receipts] == [(erased.json()["id"], "tenant")]
        assert bystander.get("/api/v1/sessions", params={"tenant": theirs}).json()["items"]
