"""Clauses P2 and P3: everything an account owns (and everything about one tenant) can be exported in
open formats, and an export imported into a fresh instance reproduces it exactly."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import struct
import zipfile
from urllib.parse import quote

from promptwatch.server.services.archive import export_archive
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.store.archive_rows import exported_tables
from promptwatch.server.store.engine import make_engine
from tests.integration.test_cli import promptwatch
from tests.support.payloads import chain, llm, session, uid


def populate(client, admin) -> None:
    sid, root = uid("s-"), uid("c-")
    other = uid("s-")
    body = {
        "sessions": [
            session(
                sid,
                tracking_project="shop",
                tracking_tenant="alice",
                tags=["t1"],
                metadata={"env": "prod"},
                session_name="naïve café ✓",
            ),
            session(other, tracking_project="blog", tracking_tenant="bob"),
        ],
        "activities": [
            chain(root, sid),
            llm(
                uid("a-"),
                sid,
                parent_activity_id=root,
                model="gpt-4o",
                prompt=[{"role": "system", "text": "be brief"}, {"role": "user", "text": "hi"}],
                usage={"prompt_tokens": 12, "completion_tokens": 3},
                feedback_label=1,
            ),
            {
                "id": uid("d-"),
                "session_id": sid,
                "activity_type": "retrieved-docs",
                "start_time": "2026-11-01T12:00:00+00:00",
                "documents": [{"id": "kb-1", "text": "doc text", "source": "kb.md"}],
                "scores": [0.9],
            },
            llm(uid("a-"), other, error="boom"),
        ],
    }
    assert client.post("/api/v1/ingest", json=body).json()["rejected"] == 0
    doomed = uid("s-")
    client.post("/api/v1/ingest", json={"sessions": [session(doomed)]})
    assert client.delete(f"/api/v1/sessions/{doomed}").status_code == 204
    assert (
        admin.post(
            "/api/v1/prices/overrides", json={"model": "ft", "input_per_mtok": 1, "output_per_mtok": 2}
        ).status_code
        == 201
    )
    assert admin.put("/api/v1/retention", json={"project": "shop", "content_days": 90}).status_code == 200


def archive_rows(content: bytes) -> tuple[dict, dict[str, list[dict]]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        return manifest, {
            kind: [json.loads(line) for line in archive.read(f"{kind}.jsonl").splitlines()]
            for kind in manifest["files"]
        }


def comparable(kind: str, rows: list[dict]) -> list[str]:
    """Rows without the ids an import remaps (surrogate keys, references to them, the account, dates of
    the copy itself), as sorted JSON: what must be equal field by field after a round trip."""
    entry = next(e for e in exported_tables() if e.export_kind == kind)
    table = entry.table
    remapped = {"account_id"} | {c.name for c in table.c if c.foreign_keys} | {c for c, _ in entry.references}
    key = list(table.primary_key.columns)
    if len(key) == 1 and key[0].type.python_type is int:
        remapped.add(key[0].name)
    return sorted(json.dumps({k: v for k, v in row.items() if k not in remapped}, sort_keys=True) for row in rows)


def test_p2_export_then_import_into_a_fresh_instance_is_exact(fresh_server):
    source, target = fresh_server().start(), fresh_server().start()
    source_admin = source.accounts()._rt.keys.create(source.first.account_id, "admin")
    target_admin = target.accounts()._rt.keys.create(target.first.account_id, "admin")
    with source.client(source.first.api_key) as client, source.client(source_admin) as admin:
        populate(client, admin)
        exported = admin.get("/api/v1/export")
        assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    manifest, rows = archive_rows(exported.content)
    for kind, described in manifest["files"].items():
        assert described["rows"] == len(rows[kind]), kind
    assert manifest["files"]["sessions"]["rows"] == 2 and manifest["files"]["activities"]["rows"] == 4
    assert {"tombstones", "price_overrides", "retention_policies", "deletion_receipts", "usage_hourly"} <= set(rows)
    assert "api_keys" not in rows  # credentials mean nothing elsewhere
    bodies = {json.dumps(r["body"], sort_keys=True) for r in rows["activity_bodies"]}
    assert any("doc text" in b for b in bodies)  # payloads are plain JSON, not compressed blobs
    with target.client(target_admin) as admin:
        imported = admin.post("/api/v1/import", content=exported.content, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        again = admin.get("/api/v1/export")
        _, round_trip = archive_rows(again.content)
        for kind in rows:
            if kind in ("account", "members"):
                continue
            copied, original = comparable(kind, round_trip.get(kind, [])), comparable(kind, rows[kind])
            if kind == "audit_log":  # the import and the second export are audited in the target too
                extra = [json.loads(r)["action"] for r in copied if r not in original]
                assert set(original) <= set(copied) and sorted(extra) == ["export.create", "import.archive"]
                continue
            assert copied == original, kind
        sessions = admin.get("/api/v1/sessions", params={"project": "shop"}).json()["items"]
        assert len(sessions) == 1 and sessions[0]["session_name"] == "naïve café ✓"
        detail = admin.get(f"/api/v1/sessions/{sessions[0]['id']}").json()
        parents = {a["activity_type"]: a["parent_activity_id"] for a in detail["activities"]}
        root = next(a["id"] for a in detail["activities"] if a["activity_type"] == "chain-sequence")
        assert parents["llm-prompt"] == root
        assert admin.get("/api/v1/sessions", params={"q": "doc"}).json()["items"]  # search index rebuilt
        again_import = admin.post(
            "/api/v1/import", content=exported.content, headers={"content-type": "application/zip"}
        )
        assert again_import.status_code == 409


def test_p2_tenant_export_holds_only_that_tenant(live_server):
    tenant = live_server.new_tenant("dsar")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(tenant.api_key) as client, live_server.client(admin_key) as admin:
        populate(client, admin)
        manifest, rows = archive_rows(admin.get("/api/v1/export", params={"tenant": "alice"}).content)
    assert manifest["scope"] == "tenant"
    assert [s["tracking_tenant"] for s in rows["sessions"]] == ["alice"]
    assert len(rows["activities"]) == 3 and len(rows["activity_bodies"]) == 3
    assert "bob" not in json.dumps(rows)


def test_p2_tampered_or_foreign_archives_are_refused_and_change_nothing(live_server):
    tenant = live_server.new_tenant("tamper")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(tenant.api_key) as client, live_server.client(admin_key) as admin:
        populate(client, admin)
        content = admin.get("/api/v1/export").content
        with zipfile.ZipFile(io.BytesIO(content)) as original:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as tampered:
                for item in original.namelist():
                    data = original.read(item)
                    tampered.writestr(item, data.replace(b"doc text", b"DOC TEXT") if item != "manifest.json" else data)
        target = live_server.new_tenant("tamper-target")
        target_admin = live_server.accounts()._rt.keys.create(target.account_id, "admin")
        with live_server.client(target_admin) as other:
            no_manifest = io.BytesIO()
            with zipfile.ZipFile(no_manifest, "w") as foreign:
                foreign.writestr("notes.txt", "hello")
            at_fault = [  # the problem names the part at fault: a file of the archive, or none (the upload)
                (buffer.getvalue(), lambda name: name.endswith(".jsonl")),
                (no_manifest.getvalue(), lambda name: name == "manifest.json"),
                (content[: len(content) // 2], lambda name: name is None),  # truncated
                (b"not a zip", lambda name: name is None),
                (b"", lambda name: name is None),
            ]
            for bad, names_it in at_fault:
                answer = other.post("/api/v1/import", content=bad, headers={"content-type": "application/zip"})
                assert answer.status_code == 422, answer.text
                assert "file" in answer.json() and names_it(answer.json()["file"]), answer.text
                assert answer.json()["errors"][0]["message"] == answer.json()["detail"], answer.text
            assert other.get("/api/v1/sessions").json()["items"] == []


def test_p2_jsonl_upload_goes_through_validation(live_server):
    tenant = live_server.new_tenant("jsonl")
    sid = uid("s-")
    lines = [
        json.dumps({"kind": "session", **session(sid, tracking_project="upload")}),
        json.dumps({"kind": "activity", **llm(uid("a-"), sid)}),
        json.dumps({"kind": "activity", "id": "x"}),
        "not json",
        json.dumps({"kind": "alien"}),
    ]
    with live_server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/import/jsonl", content="\n".join(lines).encode()).json()
        assert answer["stored"] == 2 and answer["rejected"] == 3
        assert len(client.get(f"/api/v1/sessions/{sid}").json()["activities"]) == 1


def test_p1_import_is_redacted_by_the_target_accounts_rules(live_server):
    from .test_p1_redaction import API_KEY, EMAIL, stored_text

    source, target = live_server.new_tenant("clear-source"), live_server.new_tenant("masked-target")
    source_admin = live_server.accounts()._rt.keys.create(source.account_id, "admin")
    target_admin = live_server.accounts()._rt.keys.create(target.account_id, "admin")
    shop, blog = uid("s-"), uid("s-")
    text = f"write to {EMAIL} with key {API_KEY}"
    with live_server.client(source_admin) as admin:
        assert admin.put("/api/v1/redaction", json={"secrets": False}).status_code == 200  # source keeps all
        body = {
            "sessions": [
                session(
                    shop, tracking_project="shop", session_name=f"for {EMAIL}", metadata={"note": text}, tags=[EMAIL]
                ),
                session(blog, tracking_project="blog"),
            ],
            "activities": [
                llm(
                    uid("a-"),
                    shop,
                    prompt=[{"role": "user", "text": text}],
                    error=f"key {API_KEY} refused",
                    name=f"answer {EMAIL}",
                    tags=[f"for:{EMAIL}"],
                ),
                llm(uid("a-"), blog, prompt=[{"role": "user", "text": text}]),
            ],
        }
        assert admin.post("/api/v1/ingest", json=body).json()["stored"] == 4
        archive = admin.get("/api/v1/export").content
    assert API_KEY in stored_text(live_server, source.account_id)  # the archive carries the secret
    with live_server.client(target_admin) as admin:
        assert admin.put("/api/v1/redaction", json={"secrets": True}).status_code == 200
        assert admin.put("/api/v1/redaction", params={"project": "shop"}, json={"secrets": True, "email": True})
        imported = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        shop_session = admin.get(f"/api/v1/sessions/{shop}").json()
        assert shop_session["session_name"] == "for [EMAIL]" and shop_session["tags"] == ["[EMAIL]"]
        call = shop_session["activities"][0]
        assert (call["name"], call["tags"]) == ("answer [EMAIL]", ["for:[EMAIL]"])
        assert call["redactions"] == {"secret": 2, "email": 3}
        assert admin.get(f"/api/v1/sessions/{blog}").json()["activities"][0]["redactions"] == {"secret": 1}
        assert admin.get("/api/v1/sessions", params={"q": "Zx9Zx9"}).json()["items"] == []
    stored = stored_text(live_server, target.account_id)
    assert API_KEY not in stored and "[SECRET]" in stored and "[EMAIL]" in stored


def rewritten(content: bytes, kind: str, edit) -> bytes:
    """The archive with `kind`'s rows passed through `edit` (a list of dicts, or of raw lines when `edit`
    returns bytes) and the manifest's checksum and count made to match: it passes the checksum check."""
    manifest, rows = archive_rows(content)
    edited = edit(rows[kind])
    data = edited if isinstance(edited, bytes) else b"".join(json.dumps(r).encode() + b"\n" for r in edited)
    manifest["files"][kind].update(rows=data.count(b"\n"), sha256=hashlib.sha256(data).hexdigest())
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as original, zipfile.ZipFile(buffer, "w") as out:
        for item in original.namelist():
            if item == "manifest.json":
                out.writestr(item, json.dumps(manifest))
            else:
                out.writestr(item, data if item == f"{kind}.jsonl" else original.read(item))
    return buffer.getvalue()


def with_first(column: str, value):
    return lambda rows: [{**rows[0], column: value}, *rows[1:]]


DEEP = functools.reduce(lambda inner, _: [inner], range(300), "leaf")
BAD_ARCHIVES = [  # (kind, edit, the field the answer names)
    ("price_overrides", with_first("input_per_mtok", None), "input_per_mtok"),  # an infinite price exported
    ("price_overrides", with_first("output_per_mtok", "cheap"), "output_per_mtok"),
    ("price_overrides", with_first("input_per_mtok", 1e300), "input_per_mtok"),
    ("retention_policies", with_first("content_days", 3_000_000), "content_days"),
    ("sessions", with_first("start_time", 12), "start_time"),
    ("sessions", with_first("start_time", "yesterday"), "start_time"),
    ("sessions", with_first("session_id", ["not", "text"]), "session_id"),
    ("sessions", with_first("total_tokens", 2**70), "total_tokens"),
    ("sessions", with_first("alien", 1), "alien"),
    ("activities", lambda rows: [{k: v for k, v in rows[0].items() if k != "pk"}, *rows[1:]], "pk"),
    ("cache_entries", with_first("embedding", {"$base64": "!!"}), "embedding"),
    ("activity_bodies", with_first("body", 5), "body"),
    ("activities", with_first("tags", DEEP), "tags"),  # JSON nested deeper than ingest takes
    ("activity_bodies", with_first("body", {"metadata": DEEP}), "body"),
    ("activities", lambda rows: b'["not", "an object"]\n', None),
    ("activities", lambda rows: b"{not json\n", None),
]


def test_rows_that_older_stores_kept_are_imported_mended(live_server):
    """An end before the start and an activity that is its own parent, which the native API now refuses and
    older stores kept, come in as the published client's endpoints mend them."""
    source = live_server.new_tenant("mend-source")
    source_admin = live_server.accounts()._rt.keys.create(source.account_id, "admin")
    sid, aid = uid("s-"), uid("a-")
    with live_server.client(source_admin) as admin:
        assert admin.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [llm(aid, sid)]}).is_success
        content = admin.get("/api/v1/export").content
    backwards = "2001-01-01T00:00:00+00:00"
    content = rewritten(content, "sessions", lambda rows: [{**row, "end_time": backwards} for row in rows])
    content = rewritten(content, "activities", lambda rows: [{**row, "parent_activity_id": row["id"]} for row in rows])
    target = live_server.new_tenant("mend-target")
    target_admin = live_server.accounts()._rt.keys.create(target.account_id, "admin")
    with live_server.client(target_admin) as admin:
        imported = admin.post("/api/v1/import", content=content, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        stored = admin.get(f"/api/v1/sessions/{sid}").json()
    assert stored["end_time"] == stored["start_time"]
    assert [a["parent_activity_id"] for a in stored["activities"]] == [None]


def test_an_archive_with_a_bad_row_is_422_naming_file_line_and_column_and_imports_nothing(live_server):
    source = live_server.new_tenant("bad-rows")
    source_admin = live_server.accounts()._rt.keys.create(source.account_id, "admin")
    with live_server.client(source.api_key) as client, live_server.client(source_admin) as admin:
        populate(client, admin)
        admin.post("/api/v1/cache/ns/entries", json={"text": "hi", "result": "hello", "embedding": [0.1, 0.2]})
        content = admin.get("/api/v1/export").content
    target = live_server.new_tenant("bad-rows-target")
    target_admin = live_server.accounts()._rt.keys.create(target.account_id, "admin")
    with live_server.client(target_admin) as other:
        for kind, edit, field in BAD_ARCHIVES:
            answer = other.post(
                "/api/v1/import", content=rewritten(content, kind, edit), headers={"content-type": "application/zip"}
            )
            assert answer.status_code == 422, (kind, field, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"] == "application/problem+json"
            assert (problem["file"], problem["line"], problem.get("field")) == (f"{kind}.jsonl", 1, field), problem
        # every kind before the bad one was imported and rolled back: the account holds nothing of the archive
        assert other.get("/api/v1/sessions").json()["items"] == []
        assert other.get("/api/v1/projects").json()["items"] == []
        assert other.get("/api/v1/prices/overrides").json()["items"] == []
        assert other.get("/api/v1/retention").json()["items"] == []
        assert other.get("/api/v1/templates").json()["items"] == []
        imported = other.post("/api/v1/import", content=content, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text


def test_a_truncated_or_corrupted_zip_is_422_and_imports_nothing(live_server):
    source = live_server.new_tenant("damaged")
    source_admin = live_server.accounts()._rt.keys.create(source.account_id, "admin")
    with live_server.client(source.api_key) as client, live_server.client(source_admin) as admin:
        populate(client, admin)
        content = admin.get("/api/v1/export").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        offset = archive.getinfo("activity_bodies.jsonl").header_offset
    name_length, extra_length = struct.unpack("<HH", content[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length  # the member's compressed data
    corrupted = content[:start] + bytes(b ^ 0xFF for b in content[start : start + 40]) + content[start + 40 :]
    manifest_gone = content.replace(b"manifest.json", b"manifest.jsox")
    target = live_server.new_tenant("damaged-target")
    target_admin = live_server.accounts()._rt.keys.create(target.account_id, "admin")
    with live_server.client(target_admin) as other:
        for bad in (content[: len(content) // 2], content[:-30], corrupted, manifest_gone):
            answer = other.post("/api/v1/import", content=bad, headers={"content-type": "application/zip"})
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
        assert other.get("/api/v1/sessions").json()["items"] == []
        assert other.get("/api/v1/projects").json()["items"] == []


def test_p18_an_import_never_brings_back_what_the_account_deleted(live_server):
    """An export taken before an erasure, imported after it, leaves the erased sessions out with their
    activities, bodies and annotations: they stay deleted, as re-sent data does."""
    tenant = live_server.new_tenant("erased-then-imported")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    with live_server.client(tenant.api_key) as client, live_server.client(admin_key) as admin:
        populate(client, admin)
        loose = uid("s-")  # a session of no project: its roll-ups import with the project they name (none)
        body = {"sessions": [session(loose, tracking_tenant="alice")], "activities": [llm(uid("a-"), loose)]}
        assert client.post("/api/v1/ingest", json=body).json()["rejected"] == 0
        alice_call = next(
            item["id"] for item in client.get("/api/v1/activities", params={"tenant": "alice"}).json()["items"]
        )
        assert client.put(f"/api/v1/activities/{alice_call}/annotation", json={"label": 0}).is_success
        archive = admin.get("/api/v1/export", params={"tenant": "alice"}).content
        erased = admin.delete("/api/v1/tenants/alice")
        assert erased.status_code == 200, erased.text
        usage_before = client.get("/api/v1/metrics/usage").json()["totals"]
        imported = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        answer = imported.json()
        assert answer["left_out_deleted"] == {
            "sessions": 2,
            "activities": 4,
            "datasets": 0,
            "dataset_items": 0,
            "invitations": 0,
        }
        assert answer["imported"]["sessions"] == answer["imported"]["activities"] == 0
        assert answer["imported"]["activity_bodies"] == answer["imported"]["annotations"] == 0
        assert client.get("/api/v1/sessions", params={"tenant": "alice"}).json()["items"] == []
        assert client.get("/api/v1/sessions", params={"q": "doc"}).json()["items"] == []
        assert client.get(f"/api/v1/activities/{alice_call}").status_code == 404
        groups = client.get("/api/v1/metrics/usage", params={"group_by": "tenant"}).json()["groups"]
        assert groups and "alice" not in json.dumps(groups)
        assert client.get("/api/v1/metrics/usage").json()["totals"] == usage_before  # counted once, as erased
        survivors = client.get("/api/v1/sessions").json()["items"]
        assert [s["tracking_tenant"] for s in survivors] == ["bob"]


def test_p2_an_export_is_one_moment_while_calls_are_deleted(live_server):
    """An archive's files agree with each other (a session's totals count the calls its activities file holds)
    even when a call is deleted while it is written: on PostgreSQL each statement would otherwise see a moment
    of its own."""
    sid, kept, doomed = uid("s-"), uid("a-"), uid("a-")
    with live_server.client(live_server.first.api_key) as client:
        client.post(
            "/api/v1/ingest",
            json={"sessions": [session(sid)], "activities": [llm(kept, sid), llm(doomed, sid)]},
        )
    settings = live_server.settings()
    runtime = Runtime.build(settings, make_engine(settings.database_url))
    admin = runtime.keys.create(live_server.first.account_id, "admin")

    def delete_a_call_once_sessions_are_written(kind: str, _rows: int) -> None:
        if kind == "sessions" and not deleted:
            with live_server.client(admin) as client:
                deleted.append(client.delete(f"/api/v1/activities/{doomed}").status_code)

    deleted: list[int] = []
    out = live_server.data_dir / f"moment-{uid('x-')}.zip"
    try:
        export_archive(runtime, live_server.first.account_id, out, progress=delete_a_call_once_sessions_are_written)
        _manifest, rows = archive_rows(out.read_bytes())
    finally:
        out.unlink(missing_ok=True)
        runtime.engine.dispose()
    assert deleted == [200]
    exported = next(s for s in rows["sessions"] if s["id"] == sid)
    calls = [a["id"] for a in rows["activities"] if a["id"] in (kept, doomed)]
    assert exported["activity_count"] == len(calls) == 2


def stored_item_ids(client) -> set[str]:
    """The ids of every dataset item the account holds, in whichever dataset."""
    names = [d["name"] for d in client.get("/api/v1/datasets").json()["items"]]
    return {
        item["id"] for name in names for item in client.get(f"/api/v1/datasets/{quote(name)}/items").json()["items"]
    }


def test_p18_an_import_never_brings_back_a_deleted_dataset(live_server):
    """An export taken before a dataset was deleted, imported after it, leaves the dataset out with its items
    and share links (the archive's link would open it again): it stays deleted, and is counted. Another
    account's dataset of the same name, made before the deletion, is another dataset: it comes in."""
    tenant, other = live_server.new_tenant("dataset-deleted-then-imported"), live_server.new_tenant("same-name")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    name = f"golden {uid()}"
    items = [{"id": uid("i-"), "input": "first"}, {"id": uid("i-"), "input": "second"}]
    theirs = [{"id": uid("i-"), "input": "another account's"}]
    zipped = {"content-type": "application/zip"}
    with live_server.client(live_server.accounts()._rt.keys.create(other.account_id, "admin")) as them:
        assert them.post("/api/v1/datasets", json={"name": name}).status_code == 201
        assert them.post(f"/api/v1/datasets/{quote(name)}/items", json={"items": theirs}).status_code == 201
        their_archive = them.get("/api/v1/export").content
    with live_server.client(admin_key) as admin, live_server.client() as anonymous:
        assert admin.post("/api/v1/datasets", json={"name": name}).status_code == 201
        assert admin.post(f"/api/v1/datasets/{quote(name)}/items", json={"items": items}).status_code == 201
        link = admin.post("/api/v1/share-links", json={"kind": "dataset", "object_id": name}).json()
        assert anonymous.get(link["api_url"]).status_code == 200
        archive = admin.get("/api/v1/export").content
        assert admin.delete(f"/api/v1/datasets/{quote(name)}").is_success
        imported = admin.post("/api/v1/import", content=archive, headers=zipped)
        assert imported.status_code == 200, imported.text
        answer = imported.json()
        assert answer["left_out_deleted"] == {
            "sessions": 0,
            "activities": 0,
            "datasets": 1,
            "dataset_items": 2,
            "invitations": 0,
        }
        assert [answer["imported"][kind] for kind in ("datasets", "dataset_items", "share_links")] == [0, 0, 0]
        assert admin.get(f"/api/v1/datasets/{quote(name)}").status_code == 404
        assert admin.get("/api/v1/share-links").json()["items"] == []
        assert anonymous.get(link["api_url"]).status_code == 404

        imported = admin.post("/api/v1/import", content=their_archive, headers=zipped)
        assert imported.status_code == 200, imported.text
        answer = imported.json()
        assert answer["left_out_deleted"] == {
            "sessions": 0,
            "activities": 0,
            "datasets": 0,
            "dataset_items": 0,
            "invitations": 0,
        }
        assert stored_item_ids(admin) == {theirs[0]["id"]}


def test_p18_an_import_never_brings_back_a_deleted_project(live_server):
    """An export taken before a project was deleted, imported after it: the project stays deleted, with its
    sessions, its datasets, their share links and its retention policy; the rest of the archive comes in."""
    tenant = live_server.new_tenant("project-deleted-then-imported")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    shop, kept = uid("s-"), uid("s-")
    with live_server.client(admin_key) as admin:
        sessions = [session(shop, tracking_project="shop"), session(kept)]  # a project of the account's would clash
        assert admin.post("/api/v1/ingest", json={"sessions": sessions}).json()["stored"] == 2
        assert admin.post("/api/v1/datasets", json={"name": "shop set", "project": "shop"}).status_code == 201
        assert admin.put("/api/v1/retention", json={"project": "shop", "content_days": 9}).status_code == 200
        links = [
            admin.post("/api/v1/share-links", json={"kind": kind, "object_id": name}).json()
            for kind, name in (("dataset", "shop set"), ("session", shop), ("session", kept))
        ]
        archive = admin.get("/api/v1/export").content
        assert admin.delete("/api/v1/projects/shop").is_success
        assert admin.delete(f"/api/v1/sessions/{kept}").status_code == 204
        assert admin.get("/api/v1/retention").json()["items"] == []  # the project's policy went with it
        assert admin.get("/api/v1/share-links").json()["items"] == []  # and the links of its sessions and datasets
        imported = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        assert imported.json()["left_out_deleted"] == {
            "sessions": 2,
            "activities": 0,
            "datasets": 1,
            "dataset_items": 0,
            "invitations": 0,
        }
        assert "shop" not in {p["name"] for p in admin.get("/api/v1/projects").json()["items"]}
        assert admin.get("/api/v1/datasets").json()["items"] == []
        assert admin.get("/api/v1/retention").json()["items"] == []
        assert admin.get("/api/v1/share-links").json()["items"] == []
        with live_server.client() as anonymous:  # a dataset made again under the name is not reachable by them
            assert admin.post("/api/v1/datasets", json={"name": "shop set"}).status_code == 201
            assert [anonymous.get(link["api_url"]).status_code for link in links] == [404, 404, 404]


def test_p18_an_import_never_brings_back_a_deleted_dataset_item(live_server):
    """An item deleted on its own, then its dataset with the project it belonged to: an export taken before
    both, imported after, leaves the item out, and counts it."""
    tenant = live_server.new_tenant("item-deleted-then-imported")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    name, doomed = f"golden {uid()}", uid("i-")
    with live_server.client(admin_key) as admin:
        assert admin.post("/api/v1/datasets", json={"name": name, "project": "shop"}).status_code == 201
        added = admin.post(f"/api/v1/datasets/{quote(name)}/items", json={"items": [{"id": doomed, "input": "x"}]})
        assert added.status_code == 201, added.text
        archive = admin.get("/api/v1/export").content
        assert admin.delete(f"/api/v1/datasets/{quote(name)}/items/{doomed}").is_success
        assert admin.delete("/api/v1/projects/shop").is_success
        imported = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert imported.status_code == 200, imported.text
        assert imported.json()["left_out_deleted"]["dataset_items"] == 1
        assert doomed not in stored_item_ids(admin)


def test_p2_a_tenant_export_holds_the_annotations_of_its_calls_and_its_erasure_takes_them(live_server):
    """An annotation names its call or its session (two foreign keys): both kinds are the tenant's, in its
    export and in its erasure; another tenant's stay."""
    tenant = live_server.new_tenant("annotated-tenant")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    carol, dave, carol_call, dave_call = uid("s-"), uid("s-"), uid("a-"), uid("a-")
    body = {
        "sessions": [session(carol, tracking_tenant="carol"), session(dave, tracking_tenant="dave")],
        "activities": [llm(carol_call, carol), llm(dave_call, dave)],
    }
    with live_server.client(admin_key) as admin:
        assert admin.post("/api/v1/ingest", json=body).json()["rejected"] == 0
        for path, notes in (
            (f"activities/{carol_call}", "carol's call"),
            (f"sessions/{carol}", "carol's session"),
            (f"activities/{dave_call}", "dave's call"),
        ):
            assert admin.put(f"/api/v1/{path}/annotation", json={"label": 1, "notes": notes}).is_success, path
        _, rows = archive_rows(admin.get("/api/v1/export", params={"tenant": "carol"}).content)
        assert sorted(a["notes"] for a in rows["annotations"]) == ["carol's call", "carol's session"]
        assert admin.delete("/api/v1/tenants/carol").status_code == 200
        _, rows = archive_rows(admin.get("/api/v1/export").content)
        assert [a["notes"] for a in rows["annotations"]] == ["dave's call"]


def test_an_archive_whose_objects_the_account_holds_is_a_409_naming_them(live_server, tmp_path):
    """An account's own export, imported back while the account still holds some of its objects (others were
    deleted): refused, naming the tables and the first ids held, and saying what to do; nothing is stored."""
    tenant = live_server.new_tenant("import-held")
    admin_key = live_server.accounts()._rt.keys.create(tenant.account_id, "admin")
    kept, deleted = sorted(uid("s-") for _ in range(7)), uid("s-")
    dataset = f"golden {uid()}"
    with live_server.client(admin_key) as admin:
        body = {"sessions": [session(sid, tracking_project="shop") for sid in [*kept, deleted]]}
        assert admin.post("/api/v1/ingest", json=body).json()["stored"] == 8
        assert admin.post("/api/v1/datasets", json={"name": dataset}).status_code == 201
        archive = admin.get("/api/v1/export").content
        assert admin.delete(f"/api/v1/sessions/{deleted}").status_code == 204
        assert admin.delete(f"/api/v1/datasets/{quote(dataset)}").is_success
        before = admin.get("/api/v1/sessions", params={"limit": 100}).json()["items"]
        answer = admin.post("/api/v1/import", content=archive, headers={"content-type": "application/zip"})
        assert answer.status_code == 409, answer.text
        problem = answer.json()
        assert problem["held"]["sessions"] == kept[:5] and problem["held"]["projects"] == ["shop"]
        assert deleted not in answer.text and dataset not in answer.text
        assert f"sessions {', '.join(kept[:5])} and 2 more" in problem["detail"]
        assert "projects shop" in problem["detail"] and "an account that holds none of them" in problem["detail"]
        assert admin.get("/api/v1/sessions", params={"limit": 100}).json()["items"] == before
    out = tmp_path / "held.zip"
    out.write_bytes(archive)
    by_cli = promptwatch(
        *("import", str(out), "--account", str(tenant.account_id), "--data-dir", str(live_server.data_dir)),
        home=tmp_path,
        database_url=live_server.database_url,
    )
    assert by_cli.returncode == 1 and f"sessions {', '.join(kept[:5])} and 2 more" in by_cli.stderr
