"""Data at the edges, in a real Chromium: a 5 MB prompt draws its first 20,000 characters at once and the rest
on demand (its copy button copies all of it; the replay form shows its start too, and edits all of it on
demand); a session of year 1 names its year, and its ten-millennia waterfall reads in days."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.support.payloads import uid

pytestmark = pytest.mark.e2e

PROMPT_END = "THE END OF THE LONG PROMPT"


def store(ui, tenant, session: dict, activities: list[dict]) -> None:
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": [session], "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def test_a_five_megabyte_prompt_shows_its_start_at_once_and_the_rest_on_demand(ui, tenant):
    page = ui.page
    prompt = "Summarise the following log.\n" + "0123456789abcdef\n" * 300_000 + PROMPT_END
    start = datetime.now(timezone.utc).isoformat()
    sid, aid = uid("long-"), uid("a-")
    call = {"id": aid, "session_id": sid, "activity_type": "llm-prompt", "start_time": start, "end_time": start,
            "prompt": prompt, "generated": "ok", "model": "gpt-4o-mini"}
    store(ui, tenant, {"id": sid, "start_time": start, "end_time": start}, [call])
    ui.sign_in(tenant)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui.origin)

    page.goto(f"{ui.origin}/ui/sessions/{sid}?activity={aid}")
    prompt_block = page.locator("section.block", has=page.get_by_role("heading", name="Prompt", exact=True))
    expect(prompt_block.locator(".truncated")).to_contain_text("The first 20,000 of 5,100,055 characters")
    assert drawn_characters(page) < 100_000, "the page drew the whole prompt somewhere (the replay form, a textarea)"
    shown = prompt_block.locator("pre.text")
    assert PROMPT_END not in shown.inner_text()

    prompt_block.get_by_role("button", name="Copy prompt").click()
    assert page.evaluate("navigator.clipboard.readText()") == prompt

    prompt_block.get_by_role("button", name="Show all (4.9 MB)").click()
    expect(prompt_block.locator(".truncated")).to_have_count(0)
    assert shown.evaluate("(pre, end) => pre.textContent.endsWith(end)", PROMPT_END)

    page.get_by_text("Replay", exact=True).click()  # its form shows the start of the message, as the block does
    field = page.get_by_role("group", name="user")
    expect(field.locator(".truncated")).to_contain_text("The first 20,000 of 5,100,055 characters, sent as recorded")
    assert drawn_characters(page, "form[aria-label='Replay with edits']") < 100_000
    field.get_by_role("button", name="Edit all").click(timeout=60_000)  # all of it, on demand
    expect(page.locator("textarea[name='message:0']")).to_have_value(prompt, timeout=60_000)


def drawn_characters(page, within: str = "body") -> int:
    """The characters of the text and of the form fields' values `within` the page: what the browser lays out."""
    return page.evaluate(
        "(within) => { const part = document.querySelector(within); return part.textContent.length"
        " + [...part.querySelectorAll('textarea, input')].reduce((n, f) => n + f.value.length, 0); }",
        within,
    )


def test_a_session_of_year_one_names_its_year_and_its_span_reads_in_days(ui, tenant):
    page = ui.page
    sid = uid("old-")
    first, last = "0001-01-01T12:00:00+00:00", "9999-12-30T12:00:00+00:00"
    activities = [
        {"id": uid("a-"), "session_id": sid, "activity_type": "log", "name": name, "text": name,
         "start_time": at, "end_time": at}
        for name, at in (("first step", first), ("last step", last))
    ]
    store(ui, tenant, {"id": sid, "session_name": "Ancient", "start_time": first, "end_time": last}, activities)
    ui.sign_in(tenant, "/ui/sessions")
    row = page.locator("tr", has_text="Ancient")
    expect(row.locator("td").first).to_have_text(r"Jan 1, 1, 12:00 PM")
    row.get_by_role("link", name="Ancient").click()
    expect(page.locator(".lane-scale span").last).to_have_text("3,652,057 d 0 h")
    expect(page.locator(".tree-row", has_text="last step").locator(".bar")).to_have_attribute(
        "style", "left: 100%; width: 0.4%;"
    )
