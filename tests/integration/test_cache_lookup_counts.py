"""Every cache lookup is counted, hit or miss, in one row per namespace and day: the namespace list shows
lookups, hits, misses and the hit rate. Clearing a namespace whole starts its counts afresh; the counts are
exported and imported with the account, and go with it, or with the account's aggregate retention."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from promptwatch.server.services.cleanup import run_cleanup_cycle
from promptwatch.server.services.clock import utc_now
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.prompt_cache import cache_lookups
from tests.support.payloads import uid

VEC = [0.1, 0.2, 0.3, 0.4]


def lookup(client, namespace: str, text: str) -> bool:
    reply = client.post(f"/api/v1/cache/{namespace}/lookup", json={"text": text})
    assert reply.status_code == 200, reply.text
    return reply.json()["hit"]


def namespaces(client) -> dict[str, dict]:
    reply = client.get("/api/v1/cache")
    assert reply.status_code == 200, reply.text
    return {item["namespace"]: item for item in reply.json()["items"]}


def counted_rows(server, account_id: int) -> int:
    engine = make_engine(server.database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).where(cache_lookups.c.account_id == account_id)).scalar_one()
    engine.dispose()
    return rows


def written(server, account_id: int, lookups: int) -> None:
    """Until the server's flush (every 5 s) has written the account's lookups held in its memory."""
    engine = make_engine(server.database_url)
    query = select(func.coalesce(func.sum(cache_lookups.c.lookups), 0)).where(cache_lookups.c.account_id == account_id)
    deadline = time.monotonic() + 30
    with engine.connect() as conn:
        while (stored := conn.execute(query).scalar_one()) != lookups and time.monotonic() < deadline:
            conn.rollback()
            time.sleep(0.1)
    engine.dispose()
    assert stored == lookups


def owner_token(server, tenant) -> str:
    with server.client() as anonymous:
        login = {"email": tenant.owner_email, "password": tenant.owner_password}
        return anonymous.post("/api/v1/auth/login", json=login).json()["token"]


def test_lookups_hits_misses_and_hit_rate_per_namespace(live_server):
    tenant = live_server.new_tenant("lookup-counts")
    faq, vectors = f"faq.{uid()}", f"vectors.{uid()}"
    with live_server.client(tenant.api_key) as client:
        client.post(f"/api/v1/cache/{faq}/entries", json={"text": "How do I rotate an API key?", "result": "Settings."})
        assert lookup(client, faq, "How do I rotate an API key?") is True
        assert lookup(client, faq, "How do I rotate an API key?") is True
        assert lookup(client, faq, "How do I delete a project?") is False
        assert client.post(f"/prompt-cache/{vectors}/get", json={"embedding": VEC}).json() == {}  # the published client
        assert client.post(f"/prompt-cache/{vectors}/get", json={"embedding": "junk"}).json() == {}  # no lookup
        listed = namespaces(client)
    assert {k: listed[faq][k] for k in ("entries", "lookups", "hits", "misses", "hit_rate")} == {
        "entries": 1, "lookups": 3, "hits": 2, "misses": 1, "hit_rate": 0.6667,
    }  # fmt: skip
    assert listed[faq]["last_hit_at"] is not None
    only_looked_up = listed[vectors]
    assert (only_looked_up["entries"], only_looked_up["lookups"], only_looked_up["misses"]) == (0, 1, 1)
    assert only_looked_up["hit_rate"] == 0.0 and only_looked_up["last_used_at"] is None
    written(live_server, tenant.account_id, 4)
    assert counted_rows(live_server, tenant.account_id) == 2  # one row per namespace and day, not per lookup


def test_clearing_older_entries_keeps_the_counts_and_clearing_whole_starts_them_afresh(live_server):
    tenant = live_server.new_tenant("lookup-clear")
    namespace = f"faq.{uid()}"
    with live_server.client(tenant.api_key) as client:
        client.post(f"/api/v1/cache/{namespace}/entries", json={"text": "Where is the invoice?", "result": "Billing."})
        assert lookup(client, namespace, "Where is the invoice?") is True
        assert client.delete(f"/api/v1/cache/{namespace}", params={"until": "2999-01-01T00:00:00Z"}).json() == {
            "deleted": 1
        }
        kept = namespaces(client)[namespace]
        assert (kept["entries"], kept["lookups"], kept["hits"]) == (0, 1, 1)
        assert client.delete(f"/api/v1/cache/{namespace}").json() == {"deleted": 0}
        assert namespace not in namespaces(client)


def test_the_counts_are_exported_imported_and_deleted_with_the_account(live_server):
    source, target = live_server.new_tenant("lookup-export"), live_server.new_tenant("lookup-import")
    namespace = f"faq.{uid()}"
    with live_server.client(source.api_key) as client:
        client.post(f"/api/v1/cache/{namespace}/entries", json={"text": "Is there a free plan?", "result": "Yes."})
        assert lookup(client, namespace, "Is there a free plan?") is True
        assert lookup(client, namespace, "Is there a student discount?") is False
        before = namespaces(client)[namespace]
    written(live_server, source.account_id, 2)  # an export holds the counts written
    with live_server.client(live_server.accounts()._rt.keys.create(source.account_id, "admin")) as admin:
        archive = admin.get("/api/v1/export").content
    with live_server.client(live_server.accounts()._rt.keys.create(target.account_id, "admin")) as admin:
        imported = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        after = namespaces(admin)[namespace]
    figures = ("entries", "lookups", "hits", "misses", "hit_rate")
    assert {k: after[k] for k in figures} == {k: before[k] for k in figures} == {
        "entries": 1, "lookups": 2, "hits": 1, "misses": 1, "hit_rate": 0.5,
    }  # fmt: skip
    with live_server.client(owner_token(live_server, source)) as owner:
        assert owner.delete("/api/v1/account").status_code == 200
    assert counted_rows(live_server, source.account_id) == 0
    assert counted_rows(live_server, target.account_id) == 1


def test_the_accounts_aggregate_retention_purges_old_counts(fresh_server):
    server = fresh_server().start()
    runtime = server.accounts()._rt
    admin = runtime.keys.create(server.first.account_id, "admin")
    with server.client(admin) as client:
        assert lookup(client, "faq", "Is there a free plan?") is False
        assert namespaces(client)["faq"]["lookups"] == 1
        assert client.put("/api/v1/retention", json={"aggregate_days": 2}).status_code == 200
    written(server, server.first.account_id, 1)  # the cycle below runs beside the server
    run_cleanup_cycle(runtime, now=utc_now() + timedelta(days=1))
    assert counted_rows(server, server.first.account_id) == 1  # a day old: kept
    run_cleanup_cycle(runtime, now=utc_now() + timedelta(days=3))
    assert counted_rows(server, server.first.account_id) == 0
