"""Retention policies: bounded day counts (422 naming the field, the same on SQLite and PostgreSQL), and a
cleanup cycle that no stored value can stop."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from tests.support.payloads import llm, session, uid

from .test_deletion import ingest, run_cleanup

OLD = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("field", ["content_days", "aggregate_days"])
@pytest.mark.parametrize("days", [36_501, 3_000_000, 2**31, 9_223_372_036_854_775_807, 10**30, 0, -1])
def test_day_counts_out_of_bounds_are_422_naming_the_field_and_keep_the_policy(live_server, field, days):
    tenant = live_server.new_tenant("retention-bounds")
    admin = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin) as client:
        assert client.put("/api/v1/retention", json={"content_days": 30, "aggregate_days": 400}).status_code == 200
        answer = client.put("/api/v1/retention", json={field: days})
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in answer.json()["errors"]] == [field]
        assert "NUL" not in answer.text
        [policy] = client.get("/api/v1/retention").json()["items"]
        assert (policy["content_days"], policy["aggregate_days"]) == (30, 400)
        assert client.put("/api/v1/retention", json={field: 36_500}).status_code == 200


def test_one_accounts_odd_stored_days_never_stop_the_cleanup_cycle(fresh_server):
    """Values a PUT refuses may still be stored (written before the bound, or by hand): the cycle clamps
    them to the maximum, ignores days below one, and goes on to every other account."""
    server = fresh_server().start()
    odd, plain = server.first, server.new_tenant("retention-plain")
    odd_admin = server.accounts()._rt.keys.create(odd.account_id, "admin")
    plain_admin = server.accounts()._rt.keys.create(plain.account_id, "admin")
    kept, purged = uid("s-"), uid("s-")
    with server.client(odd_admin) as client:
        ingest(client, [session(kept, start_time=OLD.isoformat())], [llm(uid("a-"), kept, start=OLD)])
        assert client.put("/api/v1/retention", json={"content_days": 365, "aggregate_days": 365}).status_code == 200
    with server.client(plain_admin) as client:
        ingest(client, [session(purged, start_time=OLD.isoformat())])
        assert client.put("/api/v1/retention", json={"content_days": 365}).status_code == 200
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE retention_policies SET content_days = :huge, aggregate_days = -5 WHERE account_id = :id"),
            {"huge": 2**31 - 1, "id": odd.account_id},
        )
    engine.dispose()
    run_cleanup(server)
    with server.client(odd_admin) as client:
        assert client.get(f"/api/v1/sessions/{kept}").status_code == 200
        assert client.get("/api/v1/metrics/usage").json()["totals"]["calls"] == 1
    with server.client(plain_admin) as client:
        assert client.get(f"/api/v1/sessions/{purged}").status_code == 404
