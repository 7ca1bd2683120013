"""Data lifecycle and annotations in a real Chromium: delete a session (with a confirmation) and read its
receipt, annotate an activity, and Settings → Data: export the account as a download of a fetched blob,
set a retention policy, switch on encryption at rest, list deletion receipts. (What a credential without
the needed scope is offered: test_ui_permissions.py.)"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import seed
from tests.support.payloads import llm, uid

pytestmark = pytest.mark.e2e


def test_delete_a_session_shows_its_receipt_and_it_leaves_the_list(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    rag = stored["rag"]["id"]
    page = ui.page
    ui.sign_in(tenant)
    expect(page.locator("tr.row")).to_have_count(8)
    page.click("tr.row:has-text('Support answer')")
    page.wait_for_selector("[role=treeitem]")

    page.click("text=Delete session")
    page.click("[role=alertdialog] >> text=Cancel")
    expect(page.locator("[role=alertdialog]")).to_have_count(0)
    with ui.server.client(tenant.api_key) as client:
        assert client.get(f"/api/v1/sessions/{rag}").status_code == 200

    page.click("text=Delete session")
    page.click("text=Delete permanently")
    page.wait_for_selector("h1:text-is('Session deleted')")
    with ui.server.client(tenant.api_key) as client:
        assert client.get(f"/api/v1/sessions/{rag}").status_code == 404
        receipts = client.get("/api/v1/deletions").json()["items"]
    assert [r["target"] for r in receipts] == [rag]
    receipt = page.locator("[aria-label='Deletion receipt']")
    assert receipt.locator(".receipt-id").inner_text() == receipts[0]["id"]
    assert "sessions: 1, activities: 6" in receipt.inner_text()
    assert any(r.url.endswith(f"/api/v1/deletions/{receipts[0]['id']}") for r in ui.responses)

    page.click("text=Back to the sessions")
    expect(page).to_have_url(re.compile(r"/ui/sessions$"))
    expect(page.locator("tr.row")).to_have_count(7)
    assert page.locator("tr.row:has-text('Support answer')").count() == 0


def open_seeded_rag_session(ui, tenant) -> str:
    """Store the scenario and open its RAG session signed in as the owner; returns the session id."""
    with ui.server.client(tenant.api_key) as client:
        rag = seed(client)["rag"]["id"]
    ui.sign_in(tenant, f"/ui/sessions/{rag}")
    return rag


def test_annotate_an_activity_with_a_thumb_and_a_note(ui, tenant):
    open_seeded_rag_session(ui, tenant)
    page = ui.page
    form = page.locator("form[aria-label=Annotation]")
    form.wait_for()  # the LLM call is selected first
    activity = page.locator("[role=treeitem][aria-selected=true]").get_attribute("data-id")
    form.get_by_role("button", name="Thumbs down").click()
    form.locator("textarea").fill("Cites the wrong <b>document</b>")
    form.locator("text=Save annotation").click()
    form.locator("[role=status]:has-text('Saved')").wait_for()
    with ui.server.client(tenant.api_key) as client:
        saved = client.get(f"/api/v1/activities/{activity}/annotation").json()
        stats = client.get("/api/v1/templates/support-answer").json()["versions"][0]["stats"]
    assert saved["label"] == 0 and saved["notes"] == "Cites the wrong <b>document</b>"
    assert stats["annotated"] == 1 and stats["annotation_score"] == 0.0

    page.reload()
    form.wait_for()
    expect(form.get_by_role("button", name="Thumbs down")).to_have_attribute("aria-pressed", "true")
    expect(form.locator("textarea")).to_have_value("Cites the wrong <b>document</b>")
    form.get_by_role("button", name="Thumbs up").click()
    form.locator("text=Save annotation").click()
    form.locator("[role=status]:has-text('Saved')").wait_for()
    with ui.server.client(tenant.api_key) as client:
        assert client.get(f"/api/v1/activities/{activity}/annotation").json()["label"] == 1


def test_settings_data_export_retention_encryption_and_receipts(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
        deleted = stored["plain"][0]["id"]
        assert client.delete(f"/api/v1/sessions/{deleted}").status_code == 204
    page = ui.page
    ui.sign_in(tenant)
    ui.go("Settings", "table[aria-label='API keys']")
    page.click(".subnav >> text=Data")
    expect(page).to_have_url(re.compile(r"/ui/settings\?tab=data$"))

    # the receipt of the deletion made above
    page.locator("table[aria-label='Deletion receipts'] tbody tr").filter(has_text=deleted).wait_for()

    # export: fetched with the bearer header, offered through an object URL
    page.click("text=Prepare export")
    link = page.locator("a.download")
    link.wait_for()
    assert link.get_attribute("href").startswith("blob:")
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == f"promptwatch-export-account-{tenant.account_id}.zip"
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "promptwatch-export" and manifest["scope"] == "account"
    assert manifest["files"]["sessions"]["rows"] == 7
    exports = [r for r in ui.responses if "/api/v1/export" in r.url]
    assert len(exports) == 1 and "authorization" in exports[0].request.all_headers()
    token = page.evaluate("JSON.parse(sessionStorage.getItem('promptwatch.auth')).credential")
    assert not [r.url for r in ui.responses if token in r.url]

    # retention: the account's default, then a project's own policy
    form = page.locator("form[aria-label='Retention policy']")
    form.locator("input[name=content_days]").fill("30")
    form.locator("input[name=aggregate_days]").fill("400")
    form.locator("text=Save policy").click()
    page.locator("text=Saved for the account.").wait_for()
    form.locator("input[name=project]").fill("website")
    form.locator("input[name=content_days]").fill("7")
    form.locator("input[name=aggregate_days]").fill("")
    form.locator("text=Save policy").click()
    expect(page.locator("table[aria-label='Retention policies'] tbody tr")).to_have_count(2)
    with ui.server.client(tenant.api_key) as client:
        policies = {p["project"]: p for p in client.get("/api/v1/retention").json()["items"]}
    assert (policies[None]["content_days"], policies[None]["aggregate_days"]) == (30, 400)
    assert (policies["website"]["content_days"], policies["website"]["aggregate_days"]) == (7, None)
    # aggregates kept shorter than content: the API's 422 message is shown
    form.locator("input[name=project]").fill("")
    form.locator("input[name=content_days]").fill("30")
    form.locator("input[name=aggregate_days]").fill("10")
    form.locator("text=Save policy").click()
    page.locator("[role=alert]:has-text('aggregates cannot be kept shorter')").wait_for()

    # encryption at rest: warned, confirmed, on
    panel = page.locator("section[aria-labelledby=encryption-title]")
    panel.locator(".badge:text-is('off')").wait_for()
    assert "cannot be turned off" in panel.inner_text() and "Text search stops" in panel.inner_text()
    panel.locator("text=Turn on encryption at rest").click()
    panel.locator("text=Yes, encrypt from now on").click()
    panel.locator(".badge:text-is('on')").wait_for()
    with ui.server.client(tenant.api_key) as client:
        assert client.get("/api/v1/account/encryption").json() == {"enabled": True}
        assert client.get("/api/v1/sessions", params={"q": "rotate"}).status_code == 422


def test_p18_ui_bulk_deletion_erases_a_tenant_from_the_list_and_the_api(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    doomed = [s["id"] for s in stored["plain"] if s["tracking_tenant"] == "tenant-1"]
    assert len(doomed) == 2
    page = ui.page
    ui.sign_in(tenant)
    expect(page.locator("tr.row")).to_have_count(8)
    page.goto(ui.origin + "/ui/settings?tab=data")
    form = page.locator("form[aria-label='Erase tenant']")
    button = form.get_by_role("button", name="Erase tenant")
    expect(button).to_be_disabled()
    form.locator("input").fill("tenant-1")
    button.click()
    dialog = form.locator("[role=alertdialog]")
    assert "Erase tracking tenant tenant-1" in dialog.inner_text() and "cannot be undone" in dialog.inner_text()
    dialog.locator("text=Cancel").click()
    with ui.server.client(tenant.api_key) as client:
        assert all(client.get(f"/api/v1/sessions/{sid}").status_code == 200 for sid in doomed)
    button.click()
    dialog.locator("text=Delete permanently").click()
    done = page.locator("[role=status]:has-text('Deleted (sessions: 2')")
    done.wait_for()
    receipt_id = done.locator(".receipt-id").inner_text()
    assert done.locator("a:text('see all receipts')").get_attribute("href").startswith("/ui/settings?tab=data")
    page.locator("table[aria-label='Deletion receipts'] tbody tr").filter(has_text=receipt_id).wait_for()
    with ui.server.client(tenant.api_key) as client:
        assert [client.get(f"/api/v1/sessions/{sid}").status_code for sid in doomed] == [404, 404]
        assert client.get(f"/api/v1/deletions/{receipt_id}").json()["kind"] == "tenant"
    ui.go("Sessions", "tr.row")
    expect(page.locator("tr.row")).to_have_count(6)
    for sid in doomed:
        expect(page.locator(f"tr.row:has-text('{sid[:8]}')")).to_have_count(0)


def test_p18_ui_deletes_one_activity_after_a_confirmation(ui, tenant):
    rag = open_seeded_rag_session(ui, tenant)
    page = ui.page
    page.wait_for_selector("[role=treeitem]")
    page.locator("[role=treeitem]").last.click()
    expect(page).to_have_url(re.compile(r"\?activity="))
    activity = page.evaluate("new URLSearchParams(location.search).get('activity')")
    panel = page.locator("[aria-label='Activity detail']")
    panel.get_by_role("button", name="Delete activity").click()
    assert "cannot be undone" in panel.locator("[role=alertdialog]").inner_text()
    panel.locator("text=Delete permanently").click()
    panel.locator("[aria-label='Deletion receipt']:has-text('Activity deleted')").wait_for()
    with ui.server.client(tenant.api_key) as client:
        remaining = [a["id"] for a in client.get(f"/api/v1/sessions/{rag}").json()["activities"]]
        assert client.get("/api/v1/deletions").json()["items"][0]["kind"] == "activity"
    assert activity not in remaining and len(remaining) == 5


def test_p3_an_export_and_a_jsonl_file_import_from_the_settings(ui, tenant, live_server, tmp_path):
    source = live_server.new_tenant("import-source")
    with ui.server.client(source.api_key) as client:
        stored = seed(client)
    admin = live_server.accounts()._rt.keys.create(source.account_id, "admin")
    with ui.server.client(admin) as client:
        exported = client.get("/api/v1/export")
        assert exported.status_code == 200
    archive = tmp_path / "source.zip"
    archive.write_bytes(exported.content)
    page = ui.page
    ui.sign_in(tenant, "/ui/settings?tab=data")
    form = page.locator("form[aria-label='Import data']")
    form.locator("input[type=file]").set_input_files(str(archive))
    form.locator("text=Import").click()
    expect(page.locator("[role=status]:has-text('Imported:')")).to_contain_text("sessions: 8")
    with ui.server.client(tenant.api_key) as client:
        ids = {s["id"] for s in client.get("/api/v1/sessions", params={"limit": 50}).json()["items"]}
    assert stored["rag"]["id"] in ids and len(ids) == 8

    sid = uid("s-")
    lines = tmp_path / "upload.jsonl"
    lines.write_text(
        json.dumps({"kind": "session", "id": sid, "start_time": "2026-11-01T10:00:00+00:00"})
        + "\nnot json\n"
        + json.dumps(
            {
                "kind": "activity",
                "id": uid("a-"),
                "session_id": sid,
                "activity_type": "log",
                "start_time": "2026-11-01T10:00:01+00:00",
                "text": "uploaded as a file",
            }
        )
        + "\n"
    )
    form.locator("input[type=file]").set_input_files(str(lines))
    form.locator("text=Import").click()
    expect(page.locator("[role=status]:has-text('Imported:')")).to_contain_text("stored: 2, rejected: 1")
    with ui.server.client(tenant.api_key) as client:
        assert client.get(f"/api/v1/sessions/{sid}").status_code == 200


def test_p18_an_import_says_what_it_left_out_because_the_account_deleted_it(ui, tenant, tmp_path):
    admin = ui.server.accounts()._rt.keys.create(tenant.account_id, "admin")
    sid, call = uid("s-"), uid("a-")
    with ui.server.client(tenant.api_key) as client, ui.server.client(admin) as owner:
        body = {
            "sessions": [{"id": sid, "tracking_tenant": "erin", "start_time": "2026-11-01T10:00:00+00:00"}],
            "activities": [llm(call, sid)],
        }
        assert client.post("/api/v1/ingest", json=body).json()["stored"] == 2
        dataset = f"erin-{uid()}"
        assert owner.post("/api/v1/datasets", json={"name": dataset}).status_code == 201
        copied = owner.post(f"/api/v1/datasets/{dataset}/items/from-activity", json={"activity_id": call})
        assert copied.status_code == 201, copied.text
        archive = tmp_path / "erin.zip"
        archive.write_bytes(owner.get("/api/v1/export", params={"tenant": "erin"}).content)
        assert owner.delete("/api/v1/tenants/erin").status_code == 200
    ui.sign_in(tenant, "/ui/settings?tab=data")
    form = ui.page.locator("form[aria-label='Import data']")
    form.locator("input[type=file]").set_input_files(str(archive))
    form.locator("text=Import").click()
    status = ui.page.locator("[role=status]:has-text('Imported:')")
    expect(status).to_contain_text(
        "nothing new. Left out, as this account deleted them: 1 sessions and 1 activities. "
        "Left out, as this account deleted them or the calls they were copied from: 0 datasets and 1 dataset items."
    )
