"""Datasets in a real Chromium: create one, add an item by hand and an LLM call from the session view, edit
and delete an item, share the dataset (the shared page reads it without signing in), delete the dataset."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.support.payloads import llm, session, uid

pytestmark = pytest.mark.e2e


def test_p18_dataset_made_shared_and_deleted_in_the_ui(ui, tenant):
    sid, aid, name = uid("s-"), uid("a-"), f"golden {uid()}"
    call = llm(aid, sid, prompt="Greet Ann", generated="<b>Hello Ann</b>", prompt_input_values={"person": "Ann"})
    with ui.server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [call]}).status_code == 200
    ui.sign_in(tenant)
    page = ui.page
    ui.go("Datasets", "form[aria-label='New dataset']")
    page.fill("form[aria-label='New dataset'] input[name=name]", name)
    page.click("form[aria-label='New dataset'] button[type=submit]")
    adding = page.locator("form[aria-label='Add an item']")
    adding.locator("textarea[name=input]").fill('{"person": "Bob"}')
    adding.locator("textarea[name=expected_output]").fill("Hello Bob")
    adding.locator("select[name=label]").select_option("1")
    adding.locator("button[type=submit]").click()
    expect(page.locator("table[aria-label=Items] tbody tr")).to_have_count(1)

    page.goto(f"{ui.origin}/ui/sessions/{sid}?activity={aid}")
    page.get_by_role("button", name="Add to dataset").click()
    picker = page.get_by_role("dialog", name="Add to dataset")
    picker.locator("select[name=dataset]").select_option(name)
    picker.locator("button[type=submit]").click()
    picker.get_by_role("link", name=name).click()
    rows = page.locator("table[aria-label=Items] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("<b>Hello Ann</b>")  # customer content is text, never markup
    expect(page.locator("table[aria-label=Items] b")).to_have_count(0)

    rows.nth(0).get_by_role("button", name="Edit").click()
    editing = page.locator("form[aria-label='Edit item']")
    editing.locator("input[name=notes]").fill("checked by hand")
    editing.locator("button[type=submit]").click()
    expect(rows.nth(0)).to_contain_text("checked by hand")
    rows.nth(0).get_by_role("button", name="Delete").click()
    rows.nth(0).get_by_role("button", name="Delete permanently").click()
    expect(rows).to_have_count(1)

    page.get_by_role("button", name="Share").click()
    page.click("form[aria-label='Create a share link'] button[type=submit]")
    address = page.locator("code.share-url").inner_text()
    shared = ui.context.new_page()
    shared.goto(address)
    expect(shared.locator("h1")).to_have_text(name)
    expect(shared.get_by_label("Items")).to_contain_text("Hello Ann")
    shared.close()

    page.get_by_role("button", name="Delete dataset").click()
    page.get_by_role("button", name="Delete permanently").click()
    page.wait_for_url(f"{ui.origin}/ui/datasets")
    expect(page.locator("table[aria-label=Datasets]")).to_have_count(0)
    with ui.server.client(tenant.api_key) as client:
        assert client.get("/api/v1/datasets").json()["items"] == []


def test_a_dataset_is_exported_and_its_file_loaded_into_another(ui, tenant, tmp_path):
    source, copy = f"source {uid()}", f"copy {uid()}"
    items = [{"id": f"x{n}-{uid()}", "input": {"n": n}, "expected_output": f"answer {n}"} for n in range(3)]
    with ui.server.client(tenant.api_key) as client:
        for name in (source, copy):
            assert client.post("/api/v1/datasets", json={"name": name}).status_code == 201
        added = client.post(f"/api/v1/datasets/{quote(source)}/items", json={"items": items})
        assert added.status_code == 201
    ui.sign_in(tenant, f"/ui/datasets/{quote(source)}")
    page = ui.page
    expect(page.locator("table[aria-label=Items] tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Save {source}.jsonl").click()
    saved = tmp_path / "items.jsonl"
    download.value.save_as(saved)
    lines = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [line["input"] for line in lines] == [item["input"] for item in items]

    # ids are unique in an account: a copy in the same account gets new ones, unless told to keep the file's
    page.goto(f"{ui.origin}/ui/datasets/{quote(copy)}")
    page.get_by_label("Keep the file's item ids").check()
    page.get_by_label("Load items from a JSON Lines file").set_input_files(str(saved))
    expect(page.get_by_role("alert")).to_contain_text("lines 1–3 were refused")
    page.get_by_label("Keep the file's item ids").uncheck()
    page.get_by_label("Load items from a JSON Lines file").set_input_files(str(saved))
    expect(page.get_by_role("status")).to_have_text("3 items loaded from items.jsonl")
    expect(page.locator("table[aria-label=Items] tbody tr")).to_have_count(3)

    saved.write_text(saved.read_text() + "not json\n")
    page.get_by_label("Load items from a JSON Lines file").set_input_files(str(saved))
    expect(page.get_by_role("alert")).to_contain_text("line 4 of items.jsonl is not JSON")
    expect(page.locator("table[aria-label=Items] tbody tr")).to_have_count(3)
