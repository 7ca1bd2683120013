"""The calls list in Chromium (`/ui/calls`, GET /api/v1/activities): the LLM calls of every session, newest
first, with their model, template, tokens, cost, duration, feedback, project, tenant and error; each filter
narrows the list on the server and is kept in the address across a reload; "Load more" pages with the cursor;
a row opens its session with that activity selected, by a click or the keyboard, and the focus comes back to
it; a bad value in the address shows the API's 422, and a phone scrolls the table, not the page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.payloads import chain, iso, llm, session, uid

pytestmark = pytest.mark.e2e

NOW = datetime.now(timezone.utc).replace(microsecond=0)
LIMIT = "RateLimitError: 429 Too Many Requests — the organisation's tokens per minute are used up; retry later"


def ingest(ui, tenant, sessions: list[dict], activities: list[dict]) -> None:
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def seed(ui, tenant) -> dict[str, dict]:
    """Five LLM calls in four sessions of two projects, and a chain: {name: the activity}.

    - "draft" and "answer" (gpt-4o-mini, 2 h ago; "answer" of the template support-answer v3, marked thumbs
      down through an annotation) under the chain of a session of project "support", tenant "acme";
    - "failed" (gpt-4o, 1 h ago, a rate-limit error), project "support", tenant "globex";
    - "old" (claude-3-5-haiku-latest, 3 days ago, thumbs up from the client), project "website", tenant "acme";
    - "unpriced" (a fine-tune without a price, 30 min ago), project "website", tenant "initech".
    """
    ids = {name: uid("s-") for name in ("rag", "failed", "old", "unpriced")}
    places = {
        "rag": ("support", "acme", 2),
        "failed": ("support", "globex", 1),
        "old": ("website", "acme", 72),
        "unpriced": ("website", "initech", 0.5),
    }
    sessions = [
        session(ids[name], start_time=iso(NOW - timedelta(hours=hours)), tracking_project=project, tracking_tenant=who)
        for name, (project, who, hours) in places.items()
    ]
    start = NOW - timedelta(hours=2)
    begun = {"start_time": iso(start - timedelta(seconds=0.5)), "end_time": iso(start + timedelta(seconds=4))}
    made = {"chain": chain(uid("a-"), ids["rag"], closed=False, **begun)}
    made["draft"] = llm(
        uid("a-"), ids["rag"], start=start, parent_activity_id=made["chain"]["id"], usage={"prompt_tokens": 300}
    )
    made["answer"] = llm(
        uid("a-"),
        ids["rag"],
        start=start + timedelta(seconds=1.5),
        seconds=2.2,
        parent_activity_id=made["chain"]["id"],
        prompt_template={"template_name": "support-answer", "template_version": "3", "prompt_template": "Q: {q}"},
        usage={"prompt_tokens": 1200, "completion_tokens": 180},
    )
    made["failed"] = llm(
        uid("a-"), ids["failed"], start=NOW - timedelta(hours=1), model="gpt-4o", error=LIMIT, generated=None
    )
    made["old"] = llm(
        uid("a-"),
        ids["old"],
        start=NOW - timedelta(hours=72),
        model="claude-3-5-haiku-latest",
        feedback_label=1,
        usage={"prompt_tokens": 20, "completion_tokens": 5},
    )
    made["unpriced"] = llm(
        uid("a-"),
        ids["unpriced"],
        start=NOW - timedelta(minutes=30),
        model="acme-finetune-7",
        usage={"prompt_tokens": 50, "completion_tokens": 10},
    )
    ingest(ui, tenant, sessions, list(made.values()))
    with ui.server.client(tenant.api_key) as client:
        marked = client.put(f"/api/v1/activities/{made['answer']['id']}/annotation", json={"label": 0})
    assert marked.is_success, marked.text
    return made


def expect_rows(page, made: dict[str, dict], *names: str) -> None:
    """The list shows exactly these activities, in this order (newest first). Each row is awaited: the list of
    the filters before may still be drawn, with as many rows, when the count first matches."""
    rows = page.locator("tr.row")
    expect(rows).to_have_count(len(names))
    for place, name in enumerate(names):
        expect(rows.nth(place)).to_have_attribute("data-id", made[name]["id"])
    expect(rows).to_have_count(len(names))


def address(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def list_requests(ui) -> list[dict[str, list[str]]]:
    """The queries of the list requests sent so far."""
    return [parse_qs(urlsplit(r.url).query) for r in ui.responses if urlsplit(r.url).path == "/api/v1/activities"]


def apply(page, **fields: str) -> None:
    """Set the filters named (selects by value, text fields by text) and press Apply."""
    for name, value in fields.items():
        field = page.locator(f"form[aria-label='Filter calls'] [name={name}]")
        if field.evaluate("f => f.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.click("button:text('Apply')")


SHOWN = """cells => cells.map((cell) => {
  const copy = cell.cloneNode(true);
  copy.querySelectorAll(".sr-only").forEach((hidden) => hidden.remove());
  return copy.textContent.replace(/\\s+/g, " ").trim();
})"""
NEWEST_FIRST = ("unpriced", "failed", "answer", "draft", "old")


def test_the_calls_and_what_each_row_shows(ui, tenant):
    made = seed(ui, tenant)
    ui.sign_in(tenant, "/ui/sessions")
    page = ui.page
    links = page.locator("nav[aria-label=Main] a").all_inner_texts()
    assert links[:3] == ["Sessions", "Calls", "Costs & usage"]
    ui.go("Calls", "tr.row")
    assert urlsplit(page.url).path == "/ui/calls" and page.title() == "Calls · PromptWatch"
    expect_rows(page, made, *NEWEST_FIRST)  # the LLM calls: the chain is not one
    assert list_requests(ui)[-1] == {"activity_type": ["llm-prompt"], "limit": ["50"]}
    headers = page.locator("table[aria-label=Calls] th").all_inner_texts()
    assert [h.lower() for h in headers] == [
        "start", "model", "template", "tokens in → out", "cost", "duration", "feedback", "project", "tenant", "error",
    ]  # fmt: skip

    def cells(name: str) -> list[str]:
        """The row's cells as they read on the screen, without what only screen readers hear."""
        return page.locator(f"tr[data-id='{made[name]['id']}'] td").evaluate_all(SHOWN)

    answer = cells("answer")
    assert answer[1:4] == ["gpt-4o-mini", "support-answer v3", "1,200 → 180"]
    assert answer[4].startswith("$") and answer[5] == "2.20 s" and answer[7:9] == ["support", "acme"]
    assert answer[6] == "▼ Bad" and cells("old")[6] == "▲ Good"  # as the annotation shows a label
    row = page.locator(f"tr[data-id='{made['answer']['id']}']")
    assert row.locator(".badge").text_content() == "▼ Bad"
    assert row.locator(".badge [aria-hidden=true]").text_content() == "▼ "  # screen readers read "Bad"
    assert row.locator("td").nth(3).evaluate("td => td.textContent.replace(/\\s+/g, ' ').trim()") == (
        "1,200 in, → 180 out"
    )  # read out as "in" and "out"
    assert cells("unpriced")[3:5] == ["50 → 10", "–"]  # a model without a price: no cost, not $0
    unpriced = page.locator(f"tr[data-id='{made['unpriced']['id']}'] td").nth(4).locator("span")
    expect(unpriced).to_have_attribute("title", "unpriced: no price for this model")
    assert cells("draft")[3] == "300 → –"

    failed = page.locator(f"tr[data-id='{made['failed']['id']}']")
    expect(failed).to_have_class("row failed")
    error = failed.locator(".call-error")
    expect(error).to_have_attribute("title", LIMIT)  # the whole error on hover
    box = error.bounding_box()
    assert error.evaluate("e => e.scrollWidth > e.clientWidth"), "the error is cut short in its cell"
    assert box["width"] < 400


def test_each_filter_narrows_the_list_and_the_address_keeps_it_across_a_reload(ui, tenant):
    made = seed(ui, tenant)
    ui.sign_in(tenant, "/ui/calls")
    page = ui.page
    expect_rows(page, made, *NEWEST_FIRST)
    expect(page.locator("datalist#facet-model option")).to_have_count(4)  # suggested as in the sessions list

    apply(page, model="gpt-4o")
    expect_rows(page, made, "failed")
    assert address(page) == {"model": ["gpt-4o"]}
    assert list_requests(ui)[-1] == {"activity_type": ["llm-prompt"], "model": ["gpt-4o"], "limit": ["50"]}
    page.reload()
    expect_rows(page, made, "failed")
    expect(page.locator("input[name=model]")).to_have_value("gpt-4o")

    narrowed = [
        ({"model": "", "project": "website"}, ("unpriced", "old")),
        ({"project": "", "tenant": "acme"}, ("answer", "draft", "old")),
        ({"tenant": "", "template": "support-answer"}, ("answer",)),
        ({"template": "", "has_error": "true"}, ("failed",)),
        ({"has_error": "false"}, ("unpriced", "answer", "draft", "old")),
        ({"has_error": "", "feedback": "down"}, ("answer",)),
        ({"feedback": "up"}, ("old",)),
        ({"feedback": "", "range": "24h"}, ("unpriced", "failed", "answer", "draft")),
    ]
    for fields, names in narrowed:
        apply(page, **fields)
        expect_rows(page, made, *names)
    assert address(page) == {"range": ["24h"]}
    assert "since" in list_requests(ui)[-1]

    page.select_option("select[name=range]", "custom")  # its two times appear
    page.fill("input[name=since]", (NOW - timedelta(hours=80)).astimezone().strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=until]", (NOW - timedelta(hours=1, minutes=30)).astimezone().strftime("%Y-%m-%dT%H:%M"))
    apply(page, tenant="acme")
    expect_rows(page, made, "answer", "draft", "old")
    kept = address(page)
    assert kept["range"] == ["custom"] and set(kept) == {"range", "since", "until", "tenant"}
    page.reload()
    expect_rows(page, made, "answer", "draft", "old")
    expect(page.locator("select[name=range]")).to_have_value("custom")

    apply(page, activity_type="all")  # every type: the chain too, with a column of its own
    expect_rows(page, made, "answer", "draft", "chain", "old")
    assert address(page)["activity_type"] == ["all"] and "activity_type" not in list_requests(ui)[-1]
    expect(page.locator("table[aria-label=Calls] th", has_text="Activity")).to_be_visible()
    expect(page.locator(f"tr[data-id='{made['chain']['id']}'] .type")).to_have_text("Chain")

    ui.open("/ui/calls?model=gpt-4o&feedback=up&range=24h", ".note")  # nothing: the note says what was asked
    expect(page.locator(".note")).to_have_text(
        "No LLM calls of model “gpt-4o”, marked thumbs up, in the last 24 hours. Clear filters."
    )
    page.click(".note a:text('Clear filters')")
    expect_rows(page, made, *NEWEST_FIRST)
    assert address(page) == {}


def test_a_row_opens_its_session_at_that_call_and_the_focus_comes_back_to_it(ui, tenant):
    made = seed(ui, tenant)
    ui.sign_in(tenant, "/ui/calls")
    page = ui.page
    expect_rows(page, made, *NEWEST_FIRST)
    page.click(f"tr[data-id='{made['answer']['id']}'] td:nth-child(2)")
    selected = page.locator(".tree-row[aria-selected=true]")
    expect(selected).to_have_attribute("data-id", made["answer"]["id"])  # not the session's first LLM call
    assert page.url.endswith(f"/ui/sessions/{made['answer']['session_id']}?activity={made['answer']['id']}")

    page.go_back()
    expect_rows(page, made, *NEWEST_FIRST)
    page.locator("tr.row").first.focus()
    page.keyboard.press("End")
    expect(page.locator(f"tr[data-id='{made['old']['id']}']")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(selected).to_have_attribute("data-id", made["failed"]["id"])
    expect(selected).to_be_focused()
    page.go_back()
    expect(page.locator(f"tr[data-id='{made['failed']['id']}']")).to_be_focused()
    expect(page.locator("tr.row[tabindex='0']")).to_have_count(1)  # still one stop in the Tab order


def test_the_session_opened_from_the_calls_leads_back_to_them_with_their_filters(ui, tenant):
    made = seed(ui, tenant)
    ui.sign_in(tenant, "/ui/calls?has_error=true")
    page = ui.page
    page.click(f"tr[data-id='{made['failed']['id']}'] td:nth-child(2)")
    back = page.get_by_role("link", name="← Calls")
    expect(back).to_be_visible()
    back.click()
    expect(page).to_have_url(re.compile(r"/ui/calls\?has_error=true$"))
    page.goto(ui.origin + "/ui/sessions")
    page.locator("tr.row").first.click()
    expect(page.get_by_role("link", name="← Sessions")).to_be_visible()


def test_load_more_pages_through_every_call(ui, tenant):
    sid = uid("s-")
    calls = [
        llm(uid("a-"), sid, start=NOW - timedelta(minutes=n), model="gpt-4o-mini", usage={"prompt_tokens": n})
        for n in range(57)
    ]
    ingest(ui, tenant, [session(sid, start_time=iso(NOW - timedelta(hours=1)))], calls)
    ui.sign_in(tenant, "/ui/calls")
    page = ui.page
    expect(page.locator("tr.row")).to_have_count(50)
    page.click("button:text('Load more')")
    expect(page.locator("tr.row")).to_have_count(57)
    expect(page.locator("button:text('Load more')")).to_have_count(0)
    shown = page.locator("tr.row").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert shown == [call["id"] for call in calls]  # newest first, each once
    assert "cursor" in list_requests(ui)[-1]


def test_a_bad_value_in_the_address_shows_the_api_s_422(ui, tenant):
    seed(ui, tenant)
    ui.sign_in(tenant, "/ui/calls?has_error=maybe")
    page = ui.page
    for query in ("has_error=maybe", "feedback=sideways", "activity_type=poem"):
        ui.open(f"/ui/calls?{query}", ".note.error")
        expect(page.locator(".note.error")).to_contain_text(query.split("=")[0])
        expect(page.get_by_role("search", name="Filter calls")).to_be_visible()  # the filters stay to fix it
        expect(page.locator("tr.row")).to_have_count(0)


def test_on_a_phone_the_table_scrolls_sideways_and_the_page_does_not(ui, tenant):
    made = seed(ui, tenant)
    page = ui.page
    page.set_viewport_size({"width": 390, "height": 844})
    ui.sign_in(tenant, "/ui/calls")
    expect_rows(page, made, *NEWEST_FIRST)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    scroller = page.locator(".scroll")
    assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")
    form = page.get_by_role("search", name="Filter calls").bounding_box()
    assert form["x"] >= 0 and form["x"] + form["width"] <= 390


def test_an_address_with_the_api_s_since_alone_is_a_custom_range(ui, tenant):
    """A link written with the API's names (`since`, no `range`) filters as it says, and shows as "Between…"."""
    made = seed(ui, tenant)
    since = (NOW - timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    ui.sign_in(tenant, f"/ui/calls?model=claude-3-5-haiku-latest&since={since}")
    page = ui.page
    expect(page.get_by_text("No LLM calls")).to_be_visible()
    assert list_requests(ui)[-1]["since"] == [since]
    expect(page.locator("select[name=range]")).to_have_value("custom")
    expect(page.locator("input[name=since]")).not_to_have_value("")
    page.goto(ui.origin + "/ui/calls?model=claude-3-5-haiku-latest")
    expect_rows(page, made, "old")
