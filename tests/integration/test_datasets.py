"""Datasets: CRUD of datasets and items, roles (viewers read, members write), isolation between accounts,
deletion (P18), share links (P1), encryption at rest (P15), export and import (P2, P3), and a unit test that
runs over a dataset's items."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from promptwatch.unit_tests import UnitTest
from tests.integration.test_deletion import files_containing, run_cleanup
from tests.integration.test_export_import import archive_rows, comparable
from tests.support.payloads import chain, llm, session, uid

from .test_access_isolation import OBJECT_ROUTES, fill

ITEMS = [
    {"input": {"question": "capital of France?"}, "expected_output": "Paris", "label": 1, "notes": "easy"},
    {"input": "plain text input", "metadata": {"source": "hand"}},
    {"id": "fixed-id", "input": [1, 2, 3], "expected_output": {"sum": 6}, "label": 0},
]


def new_dataset(client, items=ITEMS, **fields) -> str:
    name = fields.pop("name", f"ds {uid()}")
    created = client.post("/api/v1/datasets", json={"name": name, **fields})
    assert created.status_code == 201, created.text
    if items:
        added = client.post(f"/api/v1/datasets/{quote(name)}/items", json={"items": items})
        assert added.status_code == 201, added.text
    return name


def test_dataset_and_item_crud(live_server):
    tenant = live_server.new_tenant("ds-crud")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client, items=[], description="examples", project="shop")
        path = f"/api/v1/datasets/{quote(name)}"
        assert client.post("/api/v1/datasets", json={"name": name}).status_code == 409
        added = client.post(f"{path}/items", json={"items": ITEMS}).json()["items"]
        assert [i["input"] for i in added] == [i["input"] for i in ITEMS] and added[2]["id"] == "fixed-id"
        got = client.get(path).json()
        assert (got["item_count"], got["project"], got["description"]) == (3, "shop", "examples")
        assert [d["name"] for d in client.get("/api/v1/datasets", params={"project": "shop"}).json()["items"]] == [name]
        assert client.get("/api/v1/datasets", params={"project": "blog"}).json()["items"] == []
        first = client.get(f"{path}/items", params={"limit": 2}).json()
        rest = client.get(f"{path}/items", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in added]
        assert rest["next_cursor"] is None
        item = client.get(f"{path}/items/fixed-id").json()
        assert (item["expected_output"], item["label"], item["metadata"]) == ({"sum": 6}, 0, None)
        changed = client.patch(f"{path}/items/fixed-id", json={"notes": "checked", "expected_output": {"sum": 7}})
        assert changed.status_code == 200, changed.text
        assert (changed.json()["input"], changed.json()["expected_output"]) == ([1, 2, 3], {"sum": 7})
        assert changed.json()["notes"] == "checked" and changed.json()["label"] == 0
        renamed = client.patch(path, json={"name": f"{name} v2"})
        assert renamed.json()["name"] == f"{name} v2" and client.get(path).status_code == 404
        path = f"/api/v1/datasets/{quote(name + ' v2')}"
        receipt = client.delete(f"{path}/items/fixed-id")
        assert receipt.status_code == 200 and receipt.json()["kind"] == "dataset_item"
        assert client.get(f"{path}/items/fixed-id").status_code == 404
        assert client.get(path).json()["item_count"] == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"items": []}, "items"),
        ({"items": [{"expected_output": "x"}]}, "input"),
        ({"items": [{"input": None}]}, "input"),
        ({"items": [{"input": 1, "label": 5}]}, "label"),
        ({"items": [{"input": 1, "id": "a/b"}]}, "id"),
        ({"items": [{"input": 1, "surprise": True}]}, "surprise"),
        ({"items": [{"input": i} for i in range(1001)]}, "items"),
        ({"items": [{"input": 1, "id": "same"}, {"input": 2, "id": "same"}]}, "items"),
    ],
)
def test_bad_items_are_422_naming_the_field(live_server, body, field):
    tenant = live_server.new_tenant("ds-bad")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client, items=[])
        answer = client.post(f"/api/v1/datasets/{quote(name)}/items", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in answer.text
        assert client.get(f"/api/v1/datasets/{quote(name)}").json()["item_count"] == 0
        for bad in ({"name": ""}, {"name": "a/b"}, {"name": "x" * 257}, {}):
            assert client.post("/api/v1/datasets", json=bad).status_code == 422
        assert client.get(f"/api/v1/datasets/{quote(name)}/items", params={"cursor": "junk"}).status_code == 422


def test_item_from_an_llm_call(live_server):
    tenant = live_server.new_tenant("ds-from")
    sid, aid, chain_id = uid("s-"), uid("a-"), uid("c-")
    call = llm(aid, sid, prompt="Hi Ann", generated="Hello Ann!", prompt_input_values={"name": "Ann"})
    with live_server.client(tenant.api_key) as client:
        body = {"sessions": [session(sid)], "activities": [call, chain(chain_id, sid)]}
        assert client.post("/api/v1/ingest", json=body).json()["rejected"] == 0
        name = new_dataset(client, items=[])
        path = f"/api/v1/datasets/{quote(name)}/items/from-activity"
        item = client.post(path, json={"activity_id": aid, "label": 1})
        assert item.status_code == 201, item.text
        got = item.json()
        assert (got["input"], got["expected_output"], got["label"]) == ({"name": "Ann"}, "Hello Ann!", 1)
        assert (got["source_session_id"], got["source_activity_id"]) == (sid, aid)
        assert got["metadata"]["model"] == "gpt-4o-mini"
        assert client.post(path, json={"activity_id": "nope"}).status_code == 404
        assert client.post(path, json={"activity_id": chain_id}).status_code == 422


def test_p16_viewers_read_members_write(live_server):
    tenant = live_server.new_tenant("ds-roles")
    keys = live_server.accounts()._rt.keys
    viewer = keys.create(tenant.account_id, "read")
    with live_server.client(tenant.api_key) as member, live_server.client(viewer) as reader:
        name = new_dataset(member)
        path = f"/api/v1/datasets/{quote(name)}"
        assert reader.get(path).status_code == 200 and len(reader.get(f"{path}/items").json()["items"]) == 3
        assert reader.get(f"{path}/items/fixed-id").status_code == 200
        for method, url, body in [
            ("POST", "/api/v1/datasets", {"name": "viewer's"}),
            ("PATCH", path, {"description": "no"}),
            ("POST", f"{path}/items", {"items": [{"input": 1}]}),
            ("PATCH", f"{path}/items/fixed-id", {"notes": "no"}),
            ("DELETE", f"{path}/items/fixed-id", None),
            ("DELETE", path, None),
            ("POST", "/api/v1/share-links", {"kind": "dataset", "object_id": name}),
        ]:
            assert reader.request(method, url, json=body).status_code == 403, (method, url)
        assert member.get(path).json()["item_count"] == 3


def test_p16_project_limited_key_sees_only_its_projects_datasets(live_server):
    tenant = live_server.new_tenant("ds-limited")
    limited = live_server.accounts()._rt.keys.create(tenant.account_id, "ingest", project="alpha")
    with live_server.client(tenant.api_key) as full, live_server.client(limited) as client:
        other = new_dataset(full, project="beta")
        mine = new_dataset(client, items=ITEMS[:2])
        assert client.get(f"/api/v1/datasets/{quote(mine)}").json()["project"] == "alpha"
        assert [d["name"] for d in client.get("/api/v1/datasets").json()["items"]] == [mine]
        assert client.get(f"/api/v1/datasets/{quote(other)}/items").status_code == 404
        assert client.post("/api/v1/datasets", json={"name": uid(), "project": "beta"}).status_code == 403
        assert {d["name"] for d in full.get("/api/v1/datasets").json()["items"]} == {mine, other}


def test_p16_another_accounts_datasets_answer_404_on_every_route(live_server):
    owner, intruder = live_server.new_tenant("ds-owner"), live_server.new_tenant("ds-intruder")
    with live_server.client(owner.api_key) as mine:
        name = new_dataset(mine)
    intruder_admin = live_server.accounts()._rt.keys.create(intruder.account_id, "admin")
    routes = [(m, p) for m, p in OBJECT_ROUTES if p.startswith("/api/v1/datasets/")]
    assert len(routes) == 9
    with live_server.client(intruder_admin) as theirs:
        for method, path in routes:
            body = {"items": [{"input": 1}]} if path.endswith("/items") else {"activity_id": "x", "notes": "x"}
            response = theirs.request(method, fill(path, name=quote(name), item_id="fixed-id"), json=body)
            assert response.status_code == 404, (method, path, response.status_code)
        assert theirs.get("/api/v1/datasets").json()["items"] == []
        shared = theirs.post("/api/v1/share-links", json={"kind": "dataset", "object_id": name})
        assert shared.status_code == 404
    with live_server.client(owner.api_key) as mine:
        got = mine.get(f"/api/v1/datasets/{quote(name)}").json()
        assert got["item_count"] == 3 and got["description"] is None


def test_p1_dataset_share_link_is_read_only_counted_revocable_and_follows_a_rename(live_server):
    tenant = live_server.new_tenant("ds-share")
    with live_server.client(tenant.api_key) as client, live_server.client() as anonymous:
        name = new_dataset(client)
        link = client.post("/api/v1/share-links", json={"kind": "dataset", "object_id": name, "expires_in_hours": 2})
        assert link.status_code == 201, link.text
        shared = anonymous.get(link.json()["url"])
        assert shared.status_code == 200
        body = shared.json()
        assert body["kind"] == "dataset" and body["dataset"]["name"] == name and not body["dataset"]["truncated"]
        assert [i["input"] for i in body["dataset"]["items"]] == [i["input"] for i in ITEMS]
        client.patch(f"/api/v1/datasets/{quote(name)}", json={"name": name + " renamed"})
        assert anonymous.get(link.json()["url"]).json()["dataset"]["name"] == name + " renamed"
        listed = {li["id"]: li for li in client.get("/api/v1/share-links").json()["items"]}
        assert listed[link.json()["id"]]["views"] == 2 and listed[link.json()["id"]]["kind"] == "dataset"
        assert client.delete(f"/api/v1/share-links/{link.json()['id']}").status_code == 204
        assert anonymous.get(link.json()["url"]).status_code == 410
        assert client.post("/api/v1/share-links", json={"kind": "dataset", "object_id": "nope"}).status_code == 404


def test_p18_dataset_deletion_is_unreadable_at_once_with_its_share_links(live_server):
    tenant = live_server.new_tenant("ds-del")
    with live_server.client(tenant.api_key) as client, live_server.client() as anonymous:
        name = new_dataset(client)
        url = client.post("/api/v1/share-links", json={"kind": "dataset", "object_id": name}).json()["url"]
        receipt = client.delete(f"/api/v1/datasets/{quote(name)}")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["kind"] == "dataset" and name not in str(receipt.json())
        assert receipt.json()["counts"] == {"datasets": 1, "dataset_items": 3, "share_links": 1}
        for path in ("", "/items", "/items/fixed-id"):
            assert client.get(f"/api/v1/datasets/{quote(name)}{path}").status_code == 404, path
        assert client.get("/api/v1/datasets").json()["items"] == []
        assert anonymous.get(url).status_code == 404
        new_dataset(client, name=name)  # a new dataset of the same name is not reachable through the old link
        assert anonymous.get(url).status_code == 404
        assert client.get(f"/api/v1/deletions/{receipt.json()['id']}").json()["kind"] == "dataset"


def test_p18_dataset_cleanup_cycle_leaves_no_row_and_no_text(fresh_server, backend):
    server = fresh_server().start()
    canary = f"canary{uuid.uuid4().hex}"
    with server.client(server.first.api_key) as client:
        name = new_dataset(client, items=[{"input": canary, "notes": f"note {canary}"}], description=canary)
        if backend == "sqlite":  # the positive control: the canary is on disk
            assert files_containing(server.data_dir, canary.encode())
        receipt = client.delete(f"/api/v1/datasets/{quote(name)}").json()
        run_cleanup(server)
        assert client.get(f"/api/v1/deletions/{receipt['id']}").json()["purged_at"] is not None
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        for table in ("datasets", "dataset_items"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    engine.dispose()
    if backend == "sqlite":
        assert files_containing(server.data_dir, canary.encode()) == []


def test_p15_item_payloads_are_encrypted_at_rest(fresh_server, backend):
    server = fresh_server().start()
    admin_key = server.accounts()._rt.keys.create(server.first.account_id, "admin")
    canary = f"canary{uuid.uuid4().hex}"
    with server.client(admin_key) as admin:
        assert admin.put("/api/v1/account/encryption", json={"enabled": True}).status_code == 200
        name = new_dataset(admin, items=[{"input": {"q": canary}, "expected_output": canary}])
        assert admin.get(f"/api/v1/datasets/{quote(name)}/items").json()["items"][0]["input"] == {"q": canary}
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT payload FROM dataset_items")).scalar()
    engine.dispose()
    assert bytes(stored)[:1] == b"\x01" and canary.encode() not in bytes(stored)


def test_p2_datasets_survive_export_and_import(fresh_server):
    source, target = fresh_server().start(), fresh_server().start()
    source_admin = source.accounts()._rt.keys.create(source.first.account_id, "admin")
    target_admin = target.accounts()._rt.keys.create(target.first.account_id, "admin")
    with source.client(source_admin) as admin:
        assert admin.put("/api/v1/account/encryption", json={"enabled": True}).status_code == 200
        name = new_dataset(admin, project="shop", description="round trip")
        exported = admin.get("/api/v1/export").content
    _, rows = archive_rows(exported)
    assert len(rows["datasets"]) == 1 and len(rows["dataset_items"]) == 3
    assert {r["payload"]["expected_output"] for r in rows["dataset_items"] if r["label"] == 1} == {"Paris"}
    with target.client(target_admin) as admin:
        imported = admin.post("/api/v1/import", content=exported, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        _, again = archive_rows(admin.get("/api/v1/export").content)
        for kind in ("datasets", "dataset_items"):
            assert comparable(kind, again[kind]) == comparable(kind, rows[kind]), kind
        got = admin.get(f"/api/v1/datasets/{quote(name)}").json()
        assert (got["project"], got["item_count"]) == ("shop", 3)
        item = admin.get(f"/api/v1/datasets/{quote(name)}/items/fixed-id").json()
        assert item["expected_output"] == {"sum": 6}


def test_unit_test_runs_over_a_dataset(live_server, sdk_to):
    tenant = live_server.new_tenant("ds-unit")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client)
    sdk_to(live_server, tenant.api_key)
    test = UnitTest(f"unit {uid()}", api_key=tenant.api_key, verbose=False).for_dataset(name)
    cases = test.get_all_test_cases()
    assert [c.inputs for c in cases] == [
        {"question": "capital of France?"},
        {"input": "plain text input"},
        {"input": [1, 2, 3]},
    ]
    assert [[(o.label, o.value) for o in c.outputs] for c in cases] == [[(1, "Paris")], [], [(0, {"sum": 6})]]
    with test as run:
        for case in run.test_cases():
            case.evaluate(lambda inputs: "Paris" if "question" in inputs else "something")
    assert run.run.results.total_processed == 3
    with live_server.client(tenant.api_key) as client:
        runs = client.get("/api/v1/tests/runs", params={"test_name": test.test_name}).json()
        assert runs["items"][0]["conditions"]["for_dataset"] == name
    with pytest.raises(Exception, match="no dataset"):
        UnitTest("missing", api_key=tenant.api_key).for_dataset("no such dataset").get_all_test_cases()
