"""A cache lookup writes nothing, and neither does a read of the counts: they gather in the server's memory,
a read adds them to what the database holds, and they reach the database at a clean stop (the servers here
flush on their own only once an hour). A clear or a deletion takes them with it."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.prompt_cache import cache_entries, cache_lookups
from tests.support.mailbox import login
from tests.support.payloads import uid
from tests.support.server import server_with_env

FLUSHED_HOURLY = {"PROMPTWATCH_CACHE_COUNTS_FLUSH_SECONDS": "3600", "PROMPTWATCH_API_KEY_CACHE_SECONDS": "3600"}
FIGURES = ("entries", "lookups", "hits", "misses", "hit_rate")
QUESTION, OTHER = "How do I rotate an API key?", "How do I delete a project?"


@pytest.fixture(scope="module")
def server(backend, tmp_path_factory):
    with server_with_env(backend, tmp_path_factory.mktemp("cache-tally"), **FLUSHED_HOURLY) as running:
        yield running


def lookup(client, namespace: str, text: str, timeout: float = 30) -> bool:
    reply = client.post(f"/api/v1/cache/{namespace}/lookup", json={"text": text}, timeout=timeout)
    assert reply.status_code == 200, reply.text
    return reply.json()["hit"]


def add_entry(client, namespace: str) -> None:
    reply = client.post(f"/api/v1/cache/{namespace}/entries", json={"text": QUESTION, "result": "Settings."})
    assert reply.status_code == 200, reply.text


def listed(client, timeout: float = 30) -> dict[str, dict]:
    reply = client.get("/api/v1/cache", timeout=timeout)
    assert reply.status_code == 200, reply.text
    return {item["namespace"]: item for item in reply.json()["items"]}


def stored_counts(server, account_id: int, namespace: str) -> tuple[int, int]:
    """(lookups, hits) of the namespace as the database holds them, read beside the server."""
    engine = make_engine(server.database_url)
    counted = cache_lookups.c
    query = select(func.coalesce(func.sum(counted.lookups), 0), func.coalesce(func.sum(counted.hits), 0)).where(
        counted.account_id == account_id, counted.namespace == namespace
    )
    with engine.connect() as conn:
        lookups, hits = conn.execute(query).one()
    engine.dispose()
    return lookups, hits


@contextmanager
def counts_locked(server):
    """Another transaction holds what a write of counts needs: SQLite's write lock, or on PostgreSQL an
    EXCLUSIVE lock on the counts' tables (reads pass it, writes wait)."""
    engine = make_engine(server.database_url)
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"LOCK TABLE {cache_lookups.name}, {cache_entries.name} IN EXCLUSIVE MODE")
        yield
    engine.dispose()


def test_lookups_and_reads_of_their_counts_are_answered_while_another_transaction_holds_the_counts(server):
    namespace = f"faq.{uid()}"
    with server.client(server.first.api_key) as client:
        add_entry(client, namespace)
        with counts_locked(server):  # a request that wrote would wait here: 30 s on SQLite, for ever on PostgreSQL
            assert lookup(client, namespace, OTHER, timeout=5) is False
            assert lookup(client, namespace, QUESTION, timeout=5) is True
            figures = listed(client, timeout=5)[namespace]
        assert {k: figures[k] for k in FIGURES} == {
            "entries": 1, "lookups": 2, "hits": 1, "misses": 1, "hit_rate": 0.5,
        }  # fmt: skip
        assert figures["last_hit_at"] is not None
        assert listed(client)[namespace] == figures
    assert stored_counts(server, server.first.account_id, namespace) == (0, 0)  # in memory still


@pytest.mark.postgresql  # SQLite has one write lock: their own writes wait for it as any write does
def test_an_export_and_deletions_away_from_the_cache_do_not_wait_for_its_counts(server, backend):
    tenant = server.new_tenant("tally-others")
    namespace = f"faq.{uid()}"
    admin = server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with server.client(admin) as client:
        add_entry(client, namespace)
        assert lookup(client, namespace, QUESTION) is True
        assert client.post("/api/v1/datasets", json={"name": "golden"}).status_code == 201
        with counts_locked(server):
            assert client.get("/api/v1/export", timeout=5).status_code == 200
            assert client.delete("/api/v1/datasets/golden", timeout=5).status_code == 200
        assert listed(client)[namespace]["lookups"] == 1
    assert stored_counts(server, tenant.account_id, namespace) == (0, 0)


def test_a_run_of_misses_and_hits_reads_exactly_right_after(server):
    tenant = server.new_tenant("tally-run")
    faq, vectors = f"faq.{uid()}", f"vectors.{uid()}"
    with server.client(tenant.api_key) as client:
        add_entry(client, faq)
        answers = [lookup(client, faq, QUESTION if n % 3 else OTHER) for n in range(30)]
        for _ in range(4):  # the published client's lookups count too
            assert client.post(f"/prompt-cache/{vectors}/get", json={"embedding": [0.1, 0.2, 0.3]}).json() == {}
        first = listed(client)
        assert lookup(client, faq, QUESTION) is True
        second = listed(client)
    assert answers.count(True) == 20
    assert {k: first[faq][k] for k in FIGURES} == {
        "entries": 1, "lookups": 30, "hits": 20, "misses": 10, "hit_rate": 0.6667,
    }  # fmt: skip
    assert first[faq]["last_hit_at"] is not None
    assert (first[vectors]["lookups"], first[vectors]["misses"], first[vectors]["entries"]) == (4, 4, 0)
    assert (second[faq]["lookups"], second[faq]["hits"]) == (31, 21)
    assert second[faq]["last_hit_at"] > first[faq]["last_hit_at"]


def test_counts_cleared_right_after_their_lookups_do_not_come_back(server):
    tenant = server.new_tenant("tally-clear")
    cleared, kept = f"faq.{uid()}", f"faq.{uid()}"
    with server.client(tenant.api_key) as client:
        add_entry(client, cleared)
        add_entry(client, kept)
        for namespace in (cleared, kept):
            assert lookup(client, namespace, QUESTION) is True
            assert lookup(client, namespace, OTHER) is False
        assert client.delete(f"/api/v1/cache/{cleared}").json() == {"deleted": 1}
        assert lookup(client, kept, QUESTION) is True  # more counts to flush after the clear
        after = listed(client)
        assert cleared not in after
        assert (after[kept]["lookups"], after[kept]["hits"]) == (3, 2)
        assert lookup(client, cleared, OTHER) is False  # a lookup after the clear starts its counts afresh
        again = listed(client)[cleared]
    assert (again["entries"], again["lookups"], again["hits"]) == (0, 1, 0)


def test_p18_counts_of_a_deleted_account_and_a_cleared_namespace_do_not_come_back(backend, tmp_path):
    with server_with_env(backend, tmp_path, **FLUSHED_HOURLY) as stopped:
        tenant, other = stopped.new_tenant("tally-deleted"), stopped.new_tenant("tally-other")
        namespace, cleared = f"faq.{uid()}", f"faq.{uid()}"
        with stopped.client(tenant.api_key) as client:
            add_entry(client, namespace)
            assert lookup(client, namespace, QUESTION) is True
            assert lookup(client, namespace, OTHER) is False
        with stopped.client(login(stopped, tenant.owner_email, tenant.owner_password)) as owner:
            assert owner.delete("/api/v1/account").status_code == 200
        with stopped.client(other.api_key) as client:
            add_entry(client, cleared)
            assert lookup(client, cleared, QUESTION) is True
            assert client.delete(f"/api/v1/cache/{cleared}").json() == {"deleted": 1}
            assert lookup(client, namespace, OTHER) is False
        stopped.stop()  # writes every count held
        assert stored_counts(stopped, tenant.account_id, namespace) == (0, 0)
        assert stored_counts(stopped, other.account_id, cleared) == (0, 0)
        assert stored_counts(stopped, other.account_id, namespace) == (1, 0)


def test_counts_survive_a_clean_stop(backend, tmp_path):
    namespace = f"faq.{uid()}"
    with server_with_env(backend, tmp_path, **FLUSHED_HOURLY) as stopped:
        with stopped.client(stopped.first.api_key) as client:
            add_entry(client, namespace)
            assert lookup(client, namespace, QUESTION) is True
            assert lookup(client, namespace, OTHER) is False
            assert lookup(client, namespace, OTHER) is False
        stopped.stop()
        assert stored_counts(stopped, stopped.first.account_id, namespace) == (3, 1)
        stopped.start()
        with stopped.client(stopped.first.api_key) as client:
            served = listed(client)[namespace]
    assert {k: served[k] for k in FIGURES} == {
        "entries": 1, "lookups": 3, "hits": 1, "misses": 2, "hit_rate": 0.3333,
    }  # fmt: skip
    assert served["last_hit_at"] is not None
