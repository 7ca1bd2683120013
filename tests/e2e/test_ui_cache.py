"""The semantic cache in a real Chromium: the Cache screen lists namespaces with entries, hits, misses, hit rate
and savings and clears one (only older entries, or all of it, its counts too) so that a lookup then misses; the
dashboard shows what the cache saved, and a call served from the cache carries its badge in the session view."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.support.payloads import llm, session, uid

pytestmark = pytest.mark.e2e

QUESTION = "What is the boiling point of water at sea level in Celsius?"


def store(client, namespace: str, text: str, answer: str) -> None:
    reply = client.post(f"/api/v1/cache/{namespace}/entries", json={"text": text, "result": answer})
    assert reply.status_code == 200, reply.text


def lookup(client, namespace: str, text: str) -> dict:
    return client.post(f"/api/v1/cache/{namespace}/lookup", json={"text": text}).json()


def test_p18_cache_namespace_cleared_from_the_ui_is_never_served_again(ui, tenant):
    doomed, kept = f"faq.{uid()}", f"docs.{uid()}"
    with ui.server.client(tenant.api_key) as client:
        store(client, doomed, QUESTION, "100 °C.")
        store(client, doomed, "Who wrote the novel Moby-Dick?", "Herman Melville.")
        store(client, kept, "How many legs does a spider have?", "Eight.")
        assert lookup(client, doomed, QUESTION)["hit"] is True
        assert lookup(client, doomed, "Who wrote the novel Dracula?")["hit"] is False
    ui.sign_in(tenant)
    ui.go("Cache", "table[aria-label='Cache namespaces']")
    page = ui.page
    row = page.locator(f"tr[data-namespace='{doomed}']")
    expect(row.locator("td").nth(1)).to_have_text("2")
    expect(row.locator("td").nth(2)).to_have_text("1")
    expect(row.locator("td").nth(3)).to_have_text("1")
    expect(row.locator("td").nth(4)).to_have_text("50 %")
    expect(row.locator("td").nth(4)).to_have_attribute("title", "of 2 lookups")
    expect(page.locator(f"tr[data-namespace='{kept}'] td").nth(4)).to_have_text("–")

    # only the entries created before today: none of them, so the namespace stays
    row.locator("input[name=before]").fill(date.today().isoformat())
    row.get_by_role("button", name="Clear namespace").click()
    dialog = row.get_by_role("alertdialog")
    expect(dialog).to_contain_text("created before")
    dialog.get_by_role("button", name="Delete permanently").click()
    expect(page.get_by_role("status")).to_have_text(f"0 entries of {doomed} deleted.")
    expect(row.locator("td").nth(1)).to_have_text("2")

    row.locator("input[name=before]").fill("")
    row.get_by_role("button", name="Clear namespace").click()
    expect(row.get_by_role("alertdialog")).to_contain_text(f"Delete every entry of {doomed}?")
    expect(row.get_by_role("alertdialog")).to_contain_text("its lookups are counted afresh")
    row.get_by_role("button", name="Delete permanently").click()
    expect(page.get_by_role("status")).to_have_text(f"2 entries of {doomed} deleted.")
    expect(row).to_have_count(0)
    expect(page.locator(f"tr[data-namespace='{kept}']")).to_have_count(1)

    with ui.server.client(tenant.api_key) as client:
        assert lookup(client, doomed, QUESTION)["hit"] is False
        assert lookup(client, kept, "How many legs does a spider have?")["hit"] is True


def test_the_dashboard_and_the_session_show_what_the_cache_saved(ui, tenant):
    sid, miss, hit = uid("s-"), uid("miss-"), uid("hit-")
    namespace = f"faq.{uid()}"
    mark = {"cache": {"hit": True, "similarity": 1.0, "namespace": namespace}}
    calls = [
        llm(miss, sid, prompt=QUESTION, generated="100 °C at sea level.", order=1),
        llm(
            hit,
            sid,
            prompt=QUESTION,
            generated="100 °C at sea level.",
            order=2,
            metadata=mark,
            usage={"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        ),
    ]
    with ui.server.client(tenant.api_key) as client:
        reply = client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": calls})
        assert reply.status_code == 200, reply.text
        store(client, namespace, QUESTION, "100 °C at sea level.")
        totals = client.get("/api/v1/metrics/usage").json()["totals"]
    assert totals["cache_hits"] == 1 and totals["saved_cost"] > 0

    ui.sign_in(tenant, "/ui/usage?range=all")
    page = ui.page
    saved = page.locator(".metric[data-metric=saved]")
    expect(saved).to_contain_text("Saved by the cache")
    expect(saved.locator("strong")).to_have_text(re.compile(r"^\$0\.\d+ \(1 hits\)$"))
    assert float(saved.get_attribute("data-value")) == pytest.approx(totals["saved_cost"], rel=1e-12)
    expect(page.locator(".plot").first).to_contain_text("saved by the cache")

    page.goto(f"{ui.origin}/ui/sessions/{sid}?activity={hit}")
    expect(page.locator(".cache-hit .badge")).to_have_text(re.compile(r"^served from cache · saved \$0\.\d+$"))
    expect(page.locator(".cache-hit .badge")).to_have_attribute("title", f"cache namespace {namespace}")
    page.goto(f"{ui.origin}/ui/sessions/{sid}?activity={miss}")
    expect(page.locator("article.activity h3")).to_be_visible()
    expect(page.locator(".cache-hit")).to_have_count(0)

    ui.go("Cache", "table[aria-label='Cache namespaces']")
    row = page.locator(f"tr[data-namespace='{namespace}']")
    expect(row.locator("td").nth(6)).to_have_text(re.compile(r"^\$0\.\d+$"))
