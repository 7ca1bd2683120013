"""P2: a tenant's export names a tenant the account holds something about. A misspelt name, or another
account's tenant, is a 404 naming `tenant` and writes nothing, never an empty archive that would read as
"we hold nothing about this person"; the CLI refuses it by the same rule (tests/integration/test_cli.py)."""

from __future__ import annotations

from tests.support.payloads import session, uid

from .test_export_import import archive_rows


def test_p2_exporting_a_tenant_the_account_holds_nothing_about_is_a_404_naming_tenant(live_server):
    tenant, other = live_server.new_tenant("dsar-named"), live_server.new_tenant("dsar-other")
    for owner, name in ((other, "bob"), (tenant, "alice")):
        with live_server.client(owner.api_key) as client:
            stored = client.post("/api/v1/ingest", json={"sessions": [session(uid("s-"), tracking_tenant=name)]})
            assert stored.json()["stored"] == 1
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin_key) as admin:
        for name in ("nobody", "Alice", "bob"):  # unknown, not the exact name, another account's tenant
            refused = admin.get("/api/v1/export", params={"tenant": name})
            assert refused.status_code == 404, (name, refused.status_code)
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert problem["field"] == "tenant" and repr(name) in problem["detail"], problem
        _, rows = archive_rows(admin.get("/api/v1/export", params={"tenant": "alice"}).content)
        assert [s["tracking_tenant"] for s in rows["sessions"]] == ["alice"]
        exports = admin.get("/api/v1/audit", params={"action": "export."}).json()["items"]
    assert [e["details"]["scope"] for e in exports] == ["tenant"]  # only the export that was written
