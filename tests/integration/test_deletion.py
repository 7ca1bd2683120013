"""Clause P18: every object can be deleted; it is unreadable at once, from every endpoint, search and
metric; the cleanup cycle purges it physically; the customer gets a receipt."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, text

from promptwatch.server.services.deletion import DeletionService
from promptwatch.server.services.ledger import DeletionLedger
from promptwatch.server.services.runtime import Runtime, instance_secret
from promptwatch.server.store.tables.sessions import tombstones
from tests.support.payloads import chain, llm, session, uid
from tests.support.server import TEST_ENV


def ingest(client, sessions=(), activities=()):
    response = client.post("/api/v1/ingest", json={"sessions": list(sessions), "activities": list(activities)})
    assert response.status_code == 200 and response.json()["rejected"] == 0, response.text


def run_cleanup(server) -> subprocess.CompletedProcess:
    env = {**TEST_ENV, "PROMPTWATCH_DATABASE_URL": server.database_url, "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "promptwatch.cli", "cleanup", "--data-dir", str(server.data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def files_containing(directory: Path, needle: bytes) -> list[str]:
    return [str(p) for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_p18_canary_is_gone_from_every_data_file_after_the_cycle(fresh_server, backend):
    server = fresh_server().start()
    canary = f"canary{uuid.uuid4().hex}"
    sid = uid("s-")
    with server.client(server.first.api_key) as client:
        ingest(
            client,
            [session(sid, session_name=f"name {canary}", tracking_project="canaries")],
            [
                llm(uid("a-"), sid, prompt=f"the secret is {canary}", generated=f"{canary} echoed"),
                {**chain(uid("c-"), sid), "inputs": {"q": canary}},
            ],
        )
        assert client.get("/api/v1/sessions", params={"q": canary}).json()["items"]
        engine = create_engine(server.database_url)
        with engine.connect() as conn:
            blobs = [bytes(r[0]) for r in conn.execute(text("SELECT body FROM activity_bodies"))]
        engine.dispose()
        if backend == "sqlite":  # the positive control: the canary and the stored bodies are on disk
            assert files_containing(server.data_dir, canary.encode())
            assert all(files_containing(server.data_dir, blob[-40:]) for blob in blobs)
        deleted = client.delete(f"/api/v1/sessions/{sid}")
        assert deleted.status_code == 204
        receipt_url = deleted.headers["location"]
        assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
        assert client.get("/api/v1/sessions", params={"q": canary}).json()["items"] == []
        assert client.get(receipt_url).json()["purged_at"] is None
        run_cleanup(server)
        receipt = client.get(receipt_url).json()
        assert receipt["counts"] == {"sessions": 1, "activities": 2}
        assert receipt["unreadable_at"] <= receipt["purged_at"]
    if backend == "sqlite":
        assert files_containing(server.data_dir, canary.encode()) == []
        assert [b for b in blobs if files_containing(server.data_dir, b[-40:])] == []
    else:
        engine = create_engine(server.database_url)
        with engine.connect() as conn:
            for table in ("sessions", "activities", "activity_bodies", "activity_search"):
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
            for _ in range(50):  # statistics reach pg_stat_user_tables a moment after the VACUUM
                conn.execute(text("SELECT pg_stat_clear_snapshot()"))
                vacuumed = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'activity_bodies' "
                        "AND last_vacuum IS NOT NULL"
                    )
                ).scalar()
                if vacuumed:
                    break
                time.sleep(0.1)
        engine.dispose()
        assert vacuumed == 1


def test_p18_deleting_an_activity_removes_its_subtree_from_totals_search_and_metrics(live_server):
    tenant = live_server.new_tenant("subtree")
    with live_server.client(tenant.api_key) as client:
        sid, root, child, other = uid("s-"), uid("c-"), uid("a-"), uid("a-")
        word = uid("kiwi")
        ingest(
            client,
            [session(sid)],
            [
                chain(root, sid),
                llm(
                    child,
                    sid,
                    parent_activity_id=root,
                    prompt=f"about {word}",
                    model="gpt-4o",
                    usage={"prompt_tokens": 100, "completion_tokens": 10},
                ),
                llm(other, sid, model="gpt-4o", usage={"prompt_tokens": 5, "completion_tokens": 1}),
            ],
        )
        receipt = client.delete(f"/api/v1/activities/{root}")
        assert receipt.status_code == 200 and receipt.json()["counts"] == {"activities": 2}
        stored = client.get(f"/api/v1/sessions/{sid}").json()
        assert [a["id"] for a in stored["activities"]] == [other]
        assert stored["total_tokens"] == 6 and stored["activity_count"] == 1 and stored["llm_calls"] == 1
        assert client.get("/api/v1/sessions", params={"q": word}).json()["items"] == []
        assert client.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 1
        client.post(f"/sessions/{sid}/activities", json=[llm(child, sid)])  # a late re-send stays out
        assert [a["id"] for a in client.get(f"/api/v1/sessions/{sid}").json()["activities"]] == [other]
        assert client.delete(f"/api/v1/activities/{root}").status_code == 404


def test_p18_usage_follows_a_session_that_moves_and_leaves_with_it(live_server):
    """Calls sent before their session named its project, or before it moved to another project or tenant,
    count under the one it is in: deleting it then takes them out of the roll-ups."""
    tenant = live_server.new_tenant("moves")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")

    def calls_by(client, group: str) -> dict:
        series = client.get("/api/v1/metrics/usage", params={"group_by": group}).json()["series"]
        counts: dict = {}
        for row in series:
            counts[row["group"]] = counts.get(row["group"], 0) + row["calls"]
        return {group: calls for group, calls in counts.items() if calls}  # a roll-up emptied stays, at 0

    with live_server.client(admin) as client:
        early, moved = uid("s-"), uid("s-")
        ingest(client, [], [llm(uid("a-"), early)])  # a call before its session says where it belongs
        ingest(client, [session(early, tracking_project="first")])
        ingest(client, [session(moved, tracking_project="first", tracking_tenant="t1")], [llm(uid("a-"), moved)])
        ingest(client, [session(moved, tracking_project="second", tracking_tenant="t2")])
        assert calls_by(client, "project") == {"first": 1, "second": 1}
        assert calls_by(client, "tenant") == {None: 1, "t2": 1}
        assert client.delete(f"/api/v1/sessions/{moved}").status_code == 204
        assert client.delete(f"/api/v1/sessions/{early}").status_code == 204
        assert calls_by(client, "project") == {} and client.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 0


def test_p18_project_tenant_and_time_range_deletions(live_server):
    tenant = live_server.new_tenant("bulk")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin) as client:
        a, b, c, d = (uid("s-") for _ in range(4))
        ingest(
            client,
            [
                session(a, tracking_project="doomed"),
                session(b, tracking_project="kept", tracking_tenant="alice"),
                session(c, tracking_project="kept", tracking_tenant="bob"),
                session(d, tracking_project="kept", start_time="2020-01-01T00:00:00+00:00"),
            ],
            [llm(uid("a-"), s, usage={"prompt_tokens": 10, "completion_tokens": 1}) for s in (a, b, c)],
        )
        assert client.delete("/api/v1/projects/doomed").json()["counts"]["sessions"] == 1
        assert client.get(f"/api/v1/sessions/{a}").status_code == 404
        assert "doomed" not in [p["name"] for p in client.get("/api/v1/projects").json()["items"]]
        erased = client.delete("/api/v1/tenants/alice").json()
        assert erased["target"] == live_server.accounts()._rt.ledger.hash("alice")  # keyed: no dictionary reverses it
        assert "alice" not in str(erased)
        assert client.get(f"/api/v1/sessions/{b}").status_code == 404
        by_tenant = client.get("/api/v1/metrics/usage", params={"group_by": "tenant"}).json()
        groups = {row["group"]: row["calls"] for row in by_tenant["series"]}
        assert "alice" not in groups and groups.get("(erased)") == 1 and groups.get("bob") == 1
        ranged = client.post("/api/v1/deletions/time-range", json={"until": "2021-01-01T00:00:00+00:00"})
        assert ranged.json()["counts"]["sessions"] == 1
        assert client.get(f"/api/v1/sessions/{d}").status_code == 404
        assert client.get(f"/api/v1/sessions/{c}").status_code == 200
        kinds = [r["kind"] for r in client.get("/api/v1/deletions").json()["items"]]
        assert kinds == ["time_range", "tenant", "project"]


def test_p18_whole_account_deletion_needs_the_owner_and_leaves_nothing(live_server):
    tenant = live_server.new_tenant("goner")
    with live_server.client(tenant.api_key) as client:
        sid = uid("s-")
        ingest(client, [session(sid, tracking_project="p")], [llm(uid("a-"), sid)])
        assert client.delete("/api/v1/account").status_code == 403
    with live_server.client() as anonymous:
        token = anonymous.post(
            "/api/v1/auth/login", json={"email": tenant.owner_email, "password": tenant.owner_password}
        ).json()["token"]
    with live_server.client(token) as owner:
        receipt = owner.delete("/api/v1/account")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["counts"]["sessions"] == 1
    with live_server.client(tenant.api_key) as client:
        assert client.get("/api/v1/sessions").status_code == 401
    engine = create_engine(live_server.database_url)
    with engine.connect() as conn:
        for table in ("sessions", "activities", "projects", "api_keys", "memberships", "usage_hourly"):
            count = conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE account_id = :a"), {"a": tenant.account_id}
            ).scalar()
            assert count == 0, table
    engine.dispose()


def test_p18_retention_purges_old_sessions_but_keeps_aggregates(fresh_server):
    server = fresh_server().start()
    admin = server.accounts()._rt.keys.create(server.first.account_id, "admin")
    with server.client(admin) as client:
        old, new = uid("s-"), uid("s-")
        ingest(
            client,
            [session(old, start_time="2020-01-01T00:00:00+00:00"), session(new)],
            [llm(uid("a-"), old, start=datetime(2020, 1, 1, tzinfo=timezone.utc)), llm(uid("a-"), new)],
        )
        assert client.put("/api/v1/retention", json={"content_days": 365}).status_code == 200
        run_cleanup(server)
        assert client.get(f"/api/v1/sessions/{old}").status_code == 404
        assert client.get(f"/api/v1/sessions/{new}").status_code == 200
        assert client.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 2


def test_p18_bulk_deletion_goes_in_bounded_transactions(fresh_server):
    server = fresh_server().start()
    admin = server.accounts()._rt.keys.create(server.first.account_id, "admin")
    word = uid("quince")
    big, small, single, kept = (uid("s-") for _ in range(4))
    with server.client(admin) as client:
        ingest(
            client,
            [session(s, tracking_project="chunked") for s in (big, small, single)] + [session(kept)],
            [llm(uid("a-"), big, prompt=f"about {word}") for _ in range(7)]
            + [llm(uid("a-"), small) for _ in range(2)]
            + [llm(uid("a-"), s) for s in (single, kept)],
        )
        engine = create_engine(server.database_url)
        deleted_per_transaction, running = [], [0]

        @event.listens_for(engine, "after_cursor_execute")
        def count(_conn, cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("DELETE FROM ACTIVITIES "):
                running[0] += cursor.rowcount

        @event.listens_for(engine, "commit")
        def close(_conn) -> None:
            deleted_per_transaction.append(running[0])
            running[0] = 0

        settings = server.settings().model_copy(update={"deletion_chunk_activities": 3})
        service = DeletionService(Runtime.build(settings, engine))
        caller = server.accounts()._rt.keys.authenticate(admin)
        receipt = service.delete_project(caller, "chunked")
        engine.dispose()
        assert receipt["counts"] == {"sessions": 3, "activities": 10, "other_rows": 0}
        assert max(deleted_per_transaction) == 3 and sum(deleted_per_transaction) == 10
        for sid in (big, small, single):
            assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
        assert client.get("/api/v1/sessions", params={"q": word}).json()["items"] == []
        assert client.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 1
        assert client.get(f"/api/v1/sessions/{kept}").status_code == 200


def test_p18_the_cycle_finishes_an_interrupted_bulk_deletion(fresh_server):
    server = fresh_server().start()
    sid, word = uid("s-"), uid("medlar")
    with server.client(server.first.api_key) as client:
        ingest(client, [session(sid)], [llm(uid("a-"), sid, prompt=f"about {word}")])
        engine = create_engine(server.database_url)
        with engine.begin() as conn:  # what a deletion interrupted after its first transaction leaves
            conn.execute(
                tombstones.insert().values(
                    account_id=server.first.account_id,
                    kind="session",
                    object_id=sid,
                    deleted_at=datetime(2020, 1, 1, tzinfo=timezone.utc),
                )
            )
        engine.dispose()
        assert client.get(f"/api/v1/sessions/{sid}").status_code == 200
        output = run_cleanup(server).stderr
        assert "interrupted deletions finished: sessions: 1" in output
        assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
        assert client.get("/api/v1/sessions", params={"q": word}).json()["items"] == []


def test_p18_the_cycle_carries_out_a_ledgered_deletion_that_never_got_its_receipt(fresh_server):
    """The ledger entry is written before the work: when the server stops before the receipt, the cycle
    carries the whole deletion out again (sessions, labels, receipt), not only the tombstoned sessions."""
    server = fresh_server().start()
    tenant, kept = uid("erased-"), uid("s-")
    doomed = [uid("s-") for _ in range(3)]
    with server.client(server.first.api_key) as client:
        ingest(client, [session(s, tracking_tenant=tenant) for s in doomed] + [session(kept)], [])
        receipt_id = str(uuid.uuid4())
        ledger = DeletionLedger(server.settings().deletion_ledger_path(), instance_secret(server.settings()))
        ledger.append(
            {
                "at": datetime.now(timezone.utc) - timedelta(hours=2),
                "account_id": server.first.account_id,
                "kind": "tenant",
                "tenant_hash": ledger.hash(tenant),
                "receipt": receipt_id,
                "target": ledger.hash(tenant),
            }
        )
        assert client.get(f"/api/v1/sessions/{doomed[0]}").status_code == 200  # the work never ran
        output = run_cleanup(server).stderr
        assert "interrupted deletions carried out again: 1" in output
        for sid in doomed:
            assert client.get(f"/api/v1/sessions/{sid}").status_code == 404
        assert client.get(f"/api/v1/sessions/{kept}").status_code == 200
        receipt = client.get(f"/api/v1/deletions/{receipt_id}").json()
        assert receipt["kind"] == "tenant" and receipt["counts"]["sessions"] == 3
        assert "interrupted deletions carried out again: 0" in run_cleanup(server).stderr  # once only
