"""Datasets: CRUD of datasets and items, roles (viewers read, members write), isolation between accounts,
deletion (P18), share links (P1), encryption at rest (P15), export and import (P2, P3), and a unit test that
runs over a dataset's items."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from urllib.parse import quote

import orjson
import pytest
from sqlalchemy import create_engine, text

from promptwatch.schema.datasets import DatasetCreate, DatasetItemCreate, DatasetItemUpdate, DatasetUpdate
from promptwatch.server.errors import Conflict
from promptwatch.server.services.datasets import DatasetService
from promptwatch.server.store import datasets as dataset_store
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


def _exported(client, name: str) -> list[dict]:
    answer = client.get(f"/api/v1/datasets/{quote(name)}/export")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-ndjson"
    return [orjson.loads(line) for line in answer.content.splitlines()]


def test_a_dataset_exports_as_json_lines_that_load_into_another_account(live_server):
    source, target = live_server.new_tenant("ds-export"), live_server.new_tenant("ds-export-to")
    viewer = live_server.accounts()._rt.keys.create(source.account_id, "read")
    with live_server.client(source.api_key) as member, live_server.client(viewer) as reader:
        name = new_dataset(member)
        stored = member.get(f"/api/v1/datasets/{quote(name)}/items").json()["items"]
        lines = _exported(reader, name)  # a viewer exports what a viewer reads
    assert [line["id"] for line in lines] == [item["id"] for item in stored]
    assert all(set(line) == set(DatasetItemCreate.model_fields) for line in lines)
    with live_server.client(target.api_key) as other:
        copy = new_dataset(other, items=lines)
        loaded = other.get(f"/api/v1/datasets/{quote(copy)}/items").json()["items"]
    fields = ("id", "input", "expected_output", "metadata", "label", "notes")
    assert [[item[f] for f in fields] for item in loaded] == [[item[f] for f in fields] for item in stored]


def test_a_dataset_larger_than_a_page_exports_whole_and_in_order(live_server):
    tenant = live_server.new_tenant("ds-export-pages")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client, items=[])
        path = f"/api/v1/datasets/{quote(name)}/items"
        for start in (0, 1000):
            batch = [{"id": f"n{n:05d}", "input": {"n": n}} for n in range(start, min(start + 1000, 1201))]
            assert client.post(path, json={"items": batch}).status_code == 201
        lines = _exported(client, name)
        assert [line["input"]["n"] for line in lines] == list(range(1201))
        missing = client.get(f"/api/v1/datasets/{quote(name + ' gone')}/export")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


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
    assert len(routes) == 10
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
        shared = anonymous.get(link.json()["api_url"])
        assert shared.status_code == 200
        body = shared.json()
        assert body["kind"] == "dataset" and body["dataset"]["name"] == name and not body["dataset"]["truncated"]
        assert [i["input"] for i in body["dataset"]["items"]] == [i["input"] for i in ITEMS]
        client.patch(f"/api/v1/datasets/{quote(name)}", json={"name": name + " renamed"})
        assert anonymous.get(link.json()["api_url"]).json()["dataset"]["name"] == name + " renamed"
        listed = {li["id"]: li for li in client.get("/api/v1/share-links").json()["items"]}
        assert listed[link.json()["id"]]["views"] == 2 and listed[link.json()["id"]]["kind"] == "dataset"
        assert client.delete(f"/api/v1/share-links/{link.json()['id']}").status_code == 204
        assert anonymous.get(link.json()["api_url"]).status_code == 410
        assert client.post("/api/v1/share-links", json={"kind": "dataset", "object_id": "nope"}).status_code == 404


def test_p18_dataset_deletion_is_unreadable_at_once_with_its_share_links(live_server):
    tenant = live_server.new_tenant("ds-del")
    with live_server.client(tenant.api_key) as client, live_server.client() as anonymous:
        name = new_dataset(client)
        url = client.post("/api/v1/share-links", json={"kind": "dataset", "object_id": name}).json()["api_url"]
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


# the review of the datasets feature ---------------------------------------------------------------------------


def test_p18_p3_a_tenants_erasure_and_export_take_the_items_copied_from_their_calls(live_server):
    tenant = live_server.new_tenant("ds-tenant")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    end_user, other_user = uid("erin-"), uid("otto-")
    sid, aid, other_sid, other_aid = uid("s-"), uid("a-"), uid("s-"), uid("a-")
    with live_server.client(tenant.api_key) as client, live_server.client(admin_key) as admin:
        body = {
            "sessions": [session(sid, tracking_tenant=end_user), session(other_sid, tracking_tenant=other_user)],
            "activities": [llm(aid, sid), llm(other_aid, other_sid)],
        }
        assert client.post("/api/v1/ingest", json=body).json()["rejected"] == 0
        name = new_dataset(client, items=[])
        path = f"/api/v1/datasets/{quote(name)}/items"
        copied = client.post(f"{path}/from-activity", json={"activity_id": aid}).json()["id"]
        by_hand = [
            {"id": uid("by-session-"), "input": 1, "source_session_id": sid},
            {"id": uid("by-activity-"), "input": 2, "source_activity_id": aid},
            {"id": uid("kept-"), "input": 3, "source_session_id": other_sid, "source_activity_id": other_aid},
        ]
        assert client.post(path, json={"items": by_hand}).status_code == 201
        theirs = {copied, by_hand[0]["id"], by_hand[1]["id"]}
        _, rows = archive_rows(admin.get("/api/v1/export", params={"tenant": end_user}).content)
        assert {r["id"] for r in rows["dataset_items"]} == theirs
        erased = admin.delete(f"/api/v1/tenants/{end_user}")
        assert erased.status_code == 200, erased.text
        assert erased.json()["counts"]["other_rows"] >= 3
        assert [i["id"] for i in client.get(path).json()["items"]] == [by_hand[2]["id"]]
        _, rows = archive_rows(admin.get("/api/v1/export", params={"tenant": other_user}).content)
        assert [r["id"] for r in rows["dataset_items"]] == [by_hand[2]["id"]]


def test_p1_dataset_content_passes_the_redaction_rules(live_server):
    tenant = live_server.new_tenant("ds-redact")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    secret = "sk-proj-" + "abcdefghijklmnopqrstuvwxyzabcd"
    with live_server.client(admin_key) as admin:
        name = new_dataset(admin, items=[], description=f"made with {secret}")
        item = {
            "id": "secretive",
            "input": {"q": f"my key is {secret}"},
            "expected_output": [secret],
            "metadata": {"api_key": "hunter2"},
            "notes": f"note {secret}",
        }
        added = admin.post(f"/api/v1/datasets/{quote(name)}/items", json={"items": [item]})
        assert added.status_code == 201, added.text
        patched = admin.patch(f"/api/v1/datasets/{quote(name)}/items/secretive", json={"notes": secret})
        assert patched.status_code == 200, patched.text
        stored = [
            admin.get(f"/api/v1/datasets/{quote(name)}").json(),
            admin.get(f"/api/v1/datasets/{quote(name)}/items/secretive").json(),
        ]
        assert secret not in str(stored) and "hunter2" not in str(stored)
        assert stored[1]["input"]["q"].startswith("my key is ") and stored[0]["description"].startswith("made with")
        assert admin.put("/api/v1/redaction", params={"project": "shop"}, json={"email": True}).status_code == 200
        in_shop = new_dataset(admin, items=[{"id": uid("mail-"), "input": "write to ann@example.com"}], project="shop")
        got = admin.get(f"/api/v1/datasets/{quote(in_shop)}/items").json()["items"][0]
        assert "ann@example.com" not in got["input"]


def test_p1_imported_dataset_content_passes_the_importing_accounts_rules(live_server):
    source, target = live_server.new_tenant("ds-import-from"), live_server.new_tenant("ds-import-to")
    keys = live_server.accounts()._rt.keys
    secret = "sk-proj-" + "zyxwvutsrqponmlkjihgfedcbazyxw"
    with live_server.client(keys.create(source.account_id, "admin")) as admin:
        assert admin.put("/api/v1/redaction", json={"secrets": False}).status_code == 200  # masks nothing
        item = {"id": uid("kept-"), "input": secret, "metadata": {"k": secret}, "notes": secret}
        name = new_dataset(admin, items=[item], description=secret)
        assert secret in admin.get(f"/api/v1/datasets/{quote(name)}/items").text
        exported = admin.get("/api/v1/export").content
    with live_server.client(keys.create(target.account_id, "admin")) as admin:
        imported = admin.post("/api/v1/import", content=exported, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        got = [
            admin.get(f"/api/v1/datasets/{quote(name)}").text,
            admin.get(f"/api/v1/datasets/{quote(name)}/items").text,
        ]
        assert name in got[0] and item["id"] in got[1] and secret not in "".join(got)


def test_p1_project_deletion_takes_its_datasets_share_links(live_server):
    tenant = live_server.new_tenant("ds-project-links")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(admin_key) as admin, live_server.client() as anonymous:
        name = new_dataset(admin, project="doomed")
        url = admin.post("/api/v1/share-links", json={"kind": "dataset", "object_id": name}).json()["api_url"]
        assert anonymous.get(url).status_code == 200
        receipt = admin.delete("/api/v1/projects/doomed")
        assert receipt.status_code == 200 and receipt.json()["counts"]["other_rows"] >= 2  # dataset and link
        assert anonymous.get(url).status_code == 404
        new_dataset(admin, name=name)
        assert anonymous.get(url).status_code == 404
        assert all(link["object_id"] != name for link in admin.get("/api/v1/share-links").json()["items"])


def test_p1_a_new_or_renamed_dataset_never_inherits_a_left_over_link(live_server):
    """Links left behind by a dataset deleted before links went with it (an older release)."""
    tenant = live_server.new_tenant("ds-stale-links")
    engine = create_engine(live_server.database_url)
    with live_server.client(tenant.api_key) as client, live_server.client() as anonymous:
        first, second = new_dataset(client, items=[]), new_dataset(client, items=[])
        urls = [
            client.post("/api/v1/share-links", json={"kind": "dataset", "object_id": n}).json()["api_url"]
            for n in (first, second)
        ]
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM datasets WHERE account_id = :a"), {"a": tenant.account_id})
        new_dataset(client, name=first)
        renamed = new_dataset(client, items=[])
        assert client.patch(f"/api/v1/datasets/{quote(renamed)}", json={"name": second}).status_code == 200
        assert [anonymous.get(url).status_code for url in urls] == [404, 404]
    engine.dispose()


@contextmanager
def writes_watched(runtime):
    """`runtime.engine.begin` marks `writing` while a write transaction is open."""
    writing, real_begin = [], runtime.engine.begin

    @contextmanager
    def begin():
        with real_begin() as conn:
            writing.append(True)
            try:
                yield conn
            finally:
                writing.pop()

    runtime.engine.begin = begin
    try:
        yield writing
    finally:
        runtime.engine.begin = real_begin
        runtime.engine.dispose()


def test_items_are_sealed_before_the_write_transaction(live_server):
    tenant = live_server.new_tenant("ds-seal")
    runtime = live_server.accounts()._rt
    caller = runtime.keys.authenticate(tenant.api_key)
    sealed_while_writing = []

    class Watched(DatasetService):
        def _seal(self, *args, **kwargs):
            sealed_while_writing.append(bool(writing))
            return super()._seal(*args, **kwargs)

    with writes_watched(runtime) as writing:
        service, name = Watched(runtime), uid("sealed-")
        service.create(caller, DatasetCreate(name=name))
        service.add_items(caller, name, [DatasetItemCreate(id=uid("i-"), input=i) for i in range(3)])
        item_id = service.items(caller, name, 10, None)["items"][0]["id"]
        assert service.update_item(caller, name, item_id, DatasetItemUpdate(input="new"))["input"] == "new"
    assert sealed_while_writing == [False] * 4


def nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_unstorable_items_are_422_and_lone_surrogates_are_cleaned(live_server):
    tenant = live_server.new_tenant("ds-unstorable")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client, items=[])
        path = f"/api/v1/datasets/{quote(name)}/items"
        deep = client.post(path, json={"items": [{"input": 1}, {"input": nested(300)}]})
        assert deep.status_code == 422, deep.text
        assert "items.1" in deep.text
        item_path = f"{path}/{client.post(path, json={'items': [{'input': 1}]}).json()['items'][0]['id']}"
        assert client.patch(item_path, json={"metadata": {"deep": nested(300)}}).status_code == 422
        raw = b'{"items": [{"id": "lone", "input": {"q": "a\\ud800b"}, "expected_output": ["\\udc00"]}]}'
        added = client.post(path, content=raw, headers={"content-type": "application/json"})
        assert added.status_code == 201, added.text
        got = client.get(f"{path}/lone").json()
        assert (got["input"], got["expected_output"]) == ({"q": "a\ufffdb"}, ["\ufffd"])
        lone_note = b'{"items": [{"input": 1, "notes": "n\\udc00"}]}'  # a typed field: the validation refuses it
        refused = client.post(path, content=lone_note, headers={"content-type": "application/json"})
        assert refused.status_code == 422 and "items.0.notes" in refused.text
        assert client.get(f"/api/v1/datasets/{quote(name)}").json()["item_count"] == 2


def test_a_name_or_item_id_taken_meanwhile_is_409(live_server, monkeypatch):
    """The check before the write passes for both of two concurrent requests: the later insert is a 409."""
    tenant = live_server.new_tenant("ds-race")
    runtime = live_server.accounts()._rt
    caller = runtime.keys.authenticate(tenant.api_key)
    service, name, other = DatasetService(runtime), uid("raced-"), uid("other-")
    for each in (name, other):
        service.create(caller, DatasetCreate(name=each))
    service.add_items(caller, name, [DatasetItemCreate(id="raced-item", input=1)])
    monkeypatch.setattr(dataset_store, "name_taken", lambda *_args: False)
    monkeypatch.setattr(dataset_store, "item_ids_taken", lambda *_args: [])
    with pytest.raises(Conflict):
        service.create(caller, DatasetCreate(name=name))
    with pytest.raises(Conflict):
        service.update(caller, other, DatasetUpdate(name=name))
    with pytest.raises(Conflict):
        service.add_items(caller, other, [DatasetItemCreate(id="raced-item", input=2)])
    assert service.get(caller, other)["item_count"] == 0
    runtime.engine.dispose()


def test_p16_item_and_dataset_queries_are_scoped_by_account(live_server):
    owner, intruder = live_server.new_tenant("ds-scope-owner"), live_server.new_tenant("ds-scope-intruder")
    with live_server.client(owner.api_key) as client:
        name = new_dataset(client)
    engine = create_engine(live_server.database_url)
    with engine.begin() as conn:
        dataset = dataset_store.get_dataset(conn, owner.account_id, name)
        item = dataset_store.get_item(conn, owner.account_id, dataset["pk"], "fixed-id")
        assert dataset_store.list_items(conn, intruder.account_id, dataset["pk"], 10) == []
        assert dataset_store.get_item(conn, intruder.account_id, dataset["pk"], "fixed-id") is None
        dataset_store.update_item(conn, intruder.account_id, item["pk"], notes="changed")
        dataset_store.update_dataset(conn, intruder.account_id, dataset["pk"], description="changed")
        assert dataset_store.get_item(conn, owner.account_id, dataset["pk"], "fixed-id")["notes"] is None
        assert dataset_store.get_dataset(conn, owner.account_id, name)["description"] is None
    engine.dispose()
