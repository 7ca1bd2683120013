"""Clause P18 for the prompt loop: a template, a template version, a unit-test run and a whole unit test can
be deleted by a member (not a viewer); each is unreadable at once from every endpoint that showed it, the
LLM calls that used a template stay (unlinked), and after the cleanup cycle no row and no text is left."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from sqlalchemy import create_engine, text

from tests.integration.test_deletion import files_containing, run_cleanup
from tests.integration.test_prompt_cache_and_tests import result, run
from tests.integration.test_prompt_templates import call
from tests.support.payloads import session, uid


def member_and_viewer(live_server, name: str):
    tenant = live_server.new_tenant(name)
    viewer = live_server.accounts()._rt.keys.create(tenant.account_id, "read")
    return tenant, viewer


def test_p18_deleting_a_template_makes_it_unreadable_everywhere_and_keeps_its_calls(live_server):
    tenant, viewer = member_and_viewer(live_server, "tmpl-del")
    name, sid = f"t_{uid()}", uid("s-")
    first, second = call(sid, name, "Hello {x}", "1.0"), call(sid, name, "Hi {x}", "1.0")
    with live_server.client(tenant.api_key) as client:
        body = {"sessions": [session(sid)], "activities": [first, second]}
        assert client.post("/api/v1/ingest", json=body).status_code == 200
        assert client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.1"}).status_code == 200
        client.put(f"/api/v1/activities/{first['id']}/annotation", json={"label": 1})
        assert client.get("/test-cases", params={"for_template_name": name}).json()  # the positive control
        assert client.get("/api/v1/sessions", params={"template": name}).json()["items"]
        def by_template():
            series = client.get("/api/v1/metrics/usage", params={"group_by": "template"}).json()["series"]
            return {row["group"]: row["calls"] for row in series}

        assert by_template()[name] == 2  # the positive control
        with live_server.client(viewer) as reader:
            assert reader.delete(f"/api/v1/templates/{name}").status_code == 403
        receipt = client.delete(f"/api/v1/templates/{name}")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["kind"] == "template" and name not in str(receipt.json())
        assert receipt.json()["counts"] == {"templates": 1, "versions": 2, "label_moves": 1, "executions_unlinked": 2}
        for path in ("", "/versions/1.0.0", "/versions/1.0.0/executions", "/labels/production"):
            assert client.get(f"/api/v1/templates/{name}{path}").status_code == 404, path
        assert name not in [t["name"] for t in client.get("/api/v1/templates").json()["items"]]
        assert client.get("/test-cases", params={"for_template_name": name}).json() == []
        assert client.get("/api/v1/sessions", params={"template": name}).json()["items"] == []
        calls = by_template()
        assert name not in calls and calls["(deleted template)"] >= 2  # the usage stays, under no name
        kept = client.get(f"/api/v1/sessions/{sid}").json()["activities"]
        assert sorted(a["id"] for a in kept) == sorted([first["id"], second["id"]])  # the traces stay
        assert {a["template_version"] for a in kept} == {None}
        assert client.delete(f"/api/v1/templates/{name}").status_code == 404
        assert (
            client.get(receipt.headers.get("location") or f"/api/v1/deletions/{receipt.json()['id']}").json()["kind"]
            == "template"
        )


def test_p18_a_labelled_version_needs_force_which_deletes_its_labels(live_server):
    tenant, viewer = member_and_viewer(live_server, "version-del")
    name = f"t_{uid()}"
    with live_server.client(tenant.api_key) as client:
        for text_ in ("One {x}", "Two {x}", "Three {x}"):
            client.post(f"/api/v1/templates/{name}/versions", json={"template": text_, "version": "1.0"})
        client.put(f"/api/v1/templates/{name}/labels/staging", json={"version": "1.0.1"})
        client.put(f"/api/v1/templates/{name}/labels/staging", json={"version": "1.0.2"})
        client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.1"})
        with live_server.client(viewer) as reader:
            assert reader.delete(f"/api/v1/templates/{name}/versions/1.0.0").status_code == 403
        refused = client.delete(f"/api/v1/templates/{name}/versions/1.0.1")
        assert refused.status_code == 409 and "production" in refused.json()["detail"]
        assert client.get(f"/api/v1/templates/{name}/versions/1.0.1").status_code == 200  # nothing changed
        forced = client.delete(f"/api/v1/templates/{name}/versions/1.0.1", params={"force": "true"})
        assert forced.status_code == 200, forced.text
        assert forced.json()["counts"] == {"versions": 1, "labels": 1, "label_moves": 2, "executions_unlinked": 0}
        assert client.get(f"/api/v1/templates/{name}/versions/1.0.1").status_code == 404
        assert client.get(f"/api/v1/templates/{name}/versions/1.0.1/executions").status_code == 404
        assert client.get(f"/api/v1/templates/{name}/versions/1.0.2", params={"diff_to": "1.0.1"}).status_code == 404
        assert client.get(f"/api/v1/templates/{name}/labels/production").status_code == 404
        got = client.get(f"/api/v1/templates/{name}").json()
        assert [v["version"] for v in got["versions"]] == ["1.0.0", "1.0.2"]
        assert got["labels"] == {"staging": "1.0.2"}
        assert "1.0.1" not in [move["version"] for move in got["label_history"]]
        # staging forgot its move to the deleted version: there is nothing earlier to roll back to
        assert client.post(f"/api/v1/templates/{name}/labels/staging/rollback").status_code == 404
        assert client.delete(f"/api/v1/templates/{name}/versions/1.0.0").json()["counts"]["versions"] == 1
        assert client.delete(f"/api/v1/templates/{name}/versions/9.9.9").status_code == 404


def test_p18_deleting_a_test_run_and_a_whole_test(live_server):
    tenant, viewer = member_and_viewer(live_server, "tests-del")
    name, other_name = f"unit {uid()}", f"unit {uid()}"
    first, second, third, kept = uid(), uid(), uid(), uid()
    with live_server.client(tenant.api_key) as client:
        for run_id, test_name in ((first, name), (second, name), (third, name), (kept, other_name)):
            client.post(f"/tests/{quote(test_name)}/runs", json=run(run_id, test_name))
            client.post(f"/tests/{quote(test_name)}/runs/{run_id}/result-details", json=[result(1, True, 0.9)])
        with live_server.client(viewer) as reader:
            assert reader.delete(f"/api/v1/tests/runs/{first}").status_code == 403
            assert reader.delete(f"/api/v1/tests/{quote(name)}").status_code == 403
        receipt = client.delete(f"/api/v1/tests/runs/{first}")
        assert receipt.status_code == 200 and receipt.json()["counts"] == {"test_runs": 1, "test_results": 1}
        assert client.get(f"/api/v1/tests/runs/{first}").status_code == 404
        assert client.get(f"/api/v1/tests/runs/{second}/compare/{first}").status_code == 404
        listed = [r["run_id"] for r in client.get("/api/v1/tests/runs", params={"test_name": name}).json()["items"]]
        assert listed == [third, second]
        whole = client.delete(f"/api/v1/tests/{quote(name)}")
        assert whole.status_code == 200 and whole.json()["counts"] == {"test_runs": 2, "test_results": 2}
        assert name not in str(whole.json())
        assert client.get("/api/v1/tests/runs", params={"test_name": name}).json()["items"] == []
        assert client.get(f"/api/v1/tests/runs/{second}").status_code == 404
        assert client.get(f"/api/v1/tests/runs/{kept}").status_code == 200  # another test is untouched
        assert client.delete(f"/api/v1/tests/{quote(name)}").status_code == 404
        assert client.delete(f"/api/v1/tests/runs/{first}").status_code == 404


def test_p18_the_cleanup_cycle_leaves_no_row_and_no_text(fresh_server, backend):
    server = fresh_server().start()
    canary = f"canary{uuid.uuid4().hex}"
    name, test_name, run_id = f"t_{uid()}", f"unit {uid()}", uid()
    with server.client(server.first.api_key) as client:
        client.post(f"/api/v1/templates/{name}/versions", json={"template": f"Say {canary} to {{x}}"})
        client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.0"})
        client.post(f"/tests/{quote(test_name)}/runs", json=run(run_id, test_name))
        case = {**result(1, False, 0.1), "generated_result": f"{canary} generated"}
        client.post(f"/tests/{quote(test_name)}/runs/{run_id}/result-details", json=[case])
        if backend == "sqlite":  # the positive control: the canary is on disk
            assert files_containing(server.data_dir, canary.encode())
        receipts = [
            client.delete(f"/api/v1/templates/{name}").json(),
            client.delete(f"/api/v1/tests/{quote(test_name)}").json(),
        ]
        run_cleanup(server)
        for receipt in receipts:
            assert client.get(f"/api/v1/deletions/{receipt['id']}").json()["purged_at"] is not None
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        for table in (
            "prompt_templates",
            "prompt_template_versions",
            "prompt_label_moves",
            "test_runs",
            "test_results",
        ):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    engine.dispose()
    if backend == "sqlite":
        assert files_containing(server.data_dir, canary.encode()) == []
