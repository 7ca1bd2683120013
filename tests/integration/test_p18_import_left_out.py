"""Clause P18 on import: what the importing account deleted stays deleted, and leaves no trace in what is
imported. A session that comes in without some of its calls counts only the calls it kept, the archive's
hourly roll-ups count none of the calls left out, and dataset items copied from a deleted session or call
stay out (they hold a copy of its input and output)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.integration.test_cli import promptwatch
from tests.support.payloads import BASE_TIME, chain, llm, session, uid

ZIP = {"content-type": "application/zip"}
TOTALS = ("activity_count", "llm_calls", "prompt_tokens", "completion_tokens", "total_tokens", "cost")
MEASURES = ("calls", "errors", "prompt_tokens", "completion_tokens", "total_tokens", "cost", "unpriced_calls")
MEASURES += ("latency_p50_ms", "latency_p95_ms")


def admin_of(live_server, tenant) -> str:
    return live_server.accounts()._rt.keys.create(tenant.account_id, "admin")


def ingest(client, sessions: list[dict], activities: list[dict]) -> None:
    answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def import_archive(client, archive: bytes) -> dict:
    answer = client.post("/api/v1/import", content=archive, headers=ZIP)
    assert answer.status_code == 200, answer.text
    return answer.json()


def session_totals(client, sid: str) -> dict:
    stored = client.get(f"/api/v1/sessions/{sid}").json()
    return {name: stored[name] for name in TOTALS}


def usage(client, group_by: str | None = None) -> list[dict]:
    """The usage figures (totals, or each group's) with the measures an import could get wrong."""
    answer = client.get("/api/v1/metrics/usage", params={"group_by": group_by} if group_by else {}).json()
    rows = answer["groups"] if group_by else [answer["totals"]]
    return [{"group": row.get("group"), **{m: row[m] for m in MEASURES}} for row in rows]


def test_p18_an_imported_session_counts_only_the_calls_it_kept(live_server):
    """The importing account deleted two calls and a session that the archive holds, in sessions of its own:
    their ids are its tombstones, so the import leaves them out. The session that comes in without the two
    calls, and the usage figures, are what an account that never received them shows."""
    source, target, reference = (live_server.new_tenant(n) for n in ("lost-source", "lost-target", "lost-ref"))
    sid, kept_sid, gone_sid = uid("s-"), uid("s-"), uid("s-")
    root, failed, twin, kept = uid("c-"), uid("a-"), uid("a-"), uid("a-")
    later = BASE_TIME + timedelta(minutes=5)
    calls = {
        failed: llm(
            failed, sid, parent_activity_id=root, model="gpt-4o", seconds=9, error="boom", usage={"prompt_tokens": 900}
        ),
        twin: llm(twin, sid, parent_activity_id=root, start=later, usage={"prompt_tokens": 40, "completion_tokens": 4}),
        kept: llm(kept, sid, parent_activity_id=root, usage={"prompt_tokens": 10, "completion_tokens": 5}),
    }
    placed = [
        session(sid, tracking_project="shop", tracking_tenant="carol"),
        session(kept_sid, tracking_project="shop"),
    ]
    untouched = [chain(root, sid), llm(uid("a-"), kept_sid, usage={"prompt_tokens": 7, "completion_tokens": 1})]
    gone = [session(gone_sid, tracking_project="blog"), llm(uid("a-"), gone_sid, usage={"prompt_tokens": 3})]
    with live_server.client(admin_of(live_server, source)) as admin:
        ingest(admin, [*placed, gone[0]], [*untouched, *calls.values(), gone[1]])
        archive = admin.get("/api/v1/export").content
    with live_server.client(admin_of(live_server, reference)) as admin:  # never received what the target deleted
        ingest(admin, placed, [*untouched, calls[kept]])
        expected = {sid: session_totals(admin, sid), kept_sid: session_totals(admin, kept_sid)}
        expected_usage = {by: usage(admin, by) for by in (None, "project", "tenant", "model")}
    with live_server.client(admin_of(live_server, target)) as admin:
        own = uid("s-")
        ingest(admin, [session(own), session(gone_sid)], [llm(failed, own), llm(twin, own)])
        for deleted in (f"activities/{failed}", f"activities/{twin}", f"sessions/{gone_sid}"):
            assert admin.delete(f"/api/v1/{deleted}").is_success, deleted
        answer = import_archive(admin, archive)
        assert answer["left_out_deleted"] == {
            "sessions": 1,
            "activities": 3,
            "datasets": 0,
            "dataset_items": 0,
            "invitations": 0,
        }
        stored = admin.get(f"/api/v1/sessions/{sid}").json()
        assert {a["id"] for a in stored["activities"]} == {root, kept}
        for held, totals in expected.items():
            assert session_totals(admin, held) == pytest.approx(totals), held
        for by, figures in expected_usage.items():
            assert usage(admin, by) == [pytest.approx(row) for row in figures], by


def test_p18_calls_left_out_never_take_from_the_accounts_own_usage(live_server):
    """The archive's roll-up of an hour the account already counts is not imported (the account's row is kept):
    a call left out is then taken from neither."""
    source, target = live_server.new_tenant("own-usage-source"), live_server.new_tenant("own-usage-target")
    sid, call = uid("s-"), uid("a-")
    with live_server.client(admin_of(live_server, source)) as admin:
        ingest(admin, [session(sid)], [llm(call, sid)])
        archive = admin.get("/api/v1/export").content
    with live_server.client(admin_of(live_server, target)) as admin:
        own = uid("s-")
        ingest(admin, [session(own)], [llm(call, own), llm(uid("a-"), own)])  # the same hour, model, no project
        assert admin.delete(f"/api/v1/activities/{call}").is_success
        before = usage(admin)
        answer = import_archive(admin, archive)
        assert answer["left_out_deleted"]["activities"] == 1
        assert session_totals(admin, sid) == dict.fromkeys(TOTALS, 0)
        assert usage(admin) == before and before[0]["calls"] == 1


def copy_of(client, dataset: str, activity_id: str, **edits) -> str:
    """An item copied from an LLM call, edited afterwards when `edits` are given; returns its id."""
    item = client.post(f"/api/v1/datasets/{quote(dataset)}/items/from-activity", json={"activity_id": activity_id})
    assert item.status_code == 201, item.text
    item_id = item.json()["id"]
    if edits:
        edited = client.patch(f"/api/v1/datasets/{quote(dataset)}/items/{item_id}", json=edits)
        assert edited.status_code == 200, edited.text
    return item_id


def item_ids(client, dataset: str) -> set[str]:
    return {i["id"] for i in client.get(f"/api/v1/datasets/{quote(dataset)}/items").json()["items"]}


def test_p18_dataset_items_copied_from_deleted_calls_stay_deleted(live_server):
    """An archive is imported into an account that stored the calls some of its dataset's items were copied
    from, and deleted them: the items copied from a session or call the import leaves out stay out, edited or
    not, and are counted. An item whose source was deleted before the export comes in: the source account kept
    it after that deletion, as deleting a call keeps its copies. Imported into an account that deleted nothing,
    every item comes in as it was (P2)."""
    source, target = live_server.new_tenant("copies"), live_server.new_tenant("copies-target")
    sid, earlier_sid, hand_sid = uid("s-"), uid("s-"), uid("s-")
    first, second, earlier = uid("a-"), uid("a-"), uid("a-")
    dataset = f"golden {uid()}"
    shop = [session(sid, tracking_project="shop")]
    shop_calls = [llm(first, sid, generated="secret answer"), llm(second, sid)]
    with live_server.client(admin_of(live_server, source)) as admin:
        ingest(admin, [*shop, session(earlier_sid)], [*shop_calls, llm(earlier, earlier_sid)])
        assert admin.post("/api/v1/datasets", json={"name": dataset}).status_code == 201
        copies = {
            copy_of(admin, dataset, first),
            copy_of(admin, dataset, first, expected_output="rewritten by a person"),
            copy_of(admin, dataset, second, label=1),
        }
        before_export = copy_of(admin, dataset, earlier)  # its source is deleted before the export
        assert admin.delete(f"/api/v1/sessions/{earlier_sid}").status_code == 204
        by_hand = [
            {"id": uid("i-"), "input": "typed by hand"},
            {"id": uid("i-"), "input": "names a call only", "source_activity_id": second},
            {"id": uid("i-"), "input": "names a session never stored", "source_session_id": hand_sid},
        ]
        added = admin.post(f"/api/v1/datasets/{quote(dataset)}/items", json={"items": by_hand})
        assert added.status_code == 201, added.text
        archive = admin.get("/api/v1/export").content

    with live_server.client(admin_of(live_server, target)) as admin:
        ingest(admin, shop, shop_calls)
        assert admin.delete(f"/api/v1/activities/{first}").is_success
        assert admin.delete("/api/v1/projects/shop").is_success  # the session goes, with the second call
        answer = import_archive(admin, archive)
        assert answer["left_out_deleted"] == {
            "sessions": 1,
            "activities": 2,
            "datasets": 0,
            "dataset_items": 4,
            "invitations": 0,
        }
        assert item_ids(admin, dataset) == {before_export, by_hand[0]["id"], by_hand[2]["id"]}
        assert "secret answer" not in admin.get(f"/api/v1/datasets/{quote(dataset)}/items").text

    elsewhere = live_server.new_tenant("copies-elsewhere")
    with live_server.client(admin_of(live_server, elsewhere)) as admin:
        answer = import_archive(admin, archive)
        assert answer["left_out_deleted"] == {
            "sessions": 0,
            "activities": 0,
            "datasets": 0,
            "dataset_items": 0,
            "invitations": 0,
        }
        assert item_ids(admin, dataset) == copies | {before_export} | {item["id"] for item in by_hand}


def test_p18_the_command_line_import_counts_the_items_left_out(live_server, tmp_path):
    tenant = live_server.new_tenant("copies-cli")
    sid, call = uid("s-"), uid("a-")
    dataset = f"cli {uid()}"
    with live_server.client(admin_of(live_server, tenant)) as admin:
        ingest(admin, [session(sid, tracking_tenant="dana")], [llm(call, sid)])
        assert admin.post("/api/v1/datasets", json={"name": dataset}).status_code == 201
        copy_of(admin, dataset, call)
        out = tmp_path / "dana.zip"
        out.write_bytes(admin.get("/api/v1/export", params={"tenant": "dana"}).content)
        assert admin.delete("/api/v1/tenants/dana").status_code == 200
    imported = promptwatch(
        *("import", str(out), "--account", str(tenant.account_id), "--data-dir", str(live_server.data_dir)),
        home=tmp_path,
        database_url=live_server.database_url,
    )
    assert imported.returncode == 0, imported.stderr
    assert "left out, as this account deleted them: 1 sessions and 1 activities" in imported.stderr
    said = "left out, as this account deleted them or the calls they were copied from: 0 datasets and 1 dataset items"
    assert said in imported.stderr
