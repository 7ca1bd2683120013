"""What the sessions list tells at a glance, in Chromium: its filters suggest the account's projects, tenants,
templates and models; a step of a fraction of a millisecond reads "0.3 ms" (or "<0.1 ms"), not "0 ms"; a
session stored without a name reads as an unnamed session of its project and start time, its id beside it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.payloads import BASE_TIME, iso, llm, session, uid

pytestmark = pytest.mark.e2e


def store(ui, tenant, sessions: list[dict], activities: list[dict]) -> None:
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def suggestions(page, name: str) -> list[str]:
    """The values the datalist of filter `name` offers, read through the input's own `list`."""
    return page.evaluate(
        "name => [...document.querySelector(`input[name=${name}]`).list.options].map(o => o.value)", name
    )


def test_the_filters_suggest_the_account_s_values_and_a_suggestion_filters(ui, tenant, live_server):
    shop, blog = uid("s-"), uid("s-")
    template = {"template_name": "faq-answer", "template_version": "1"}
    store(
        ui,
        tenant,
        [
            session(shop, tracking_project="shop", tracking_tenant="acme"),
            session(blog, tracking_project="blog", tracking_tenant="globex"),
        ],
        [
            llm(uid("a-"), shop, model="gpt-4o", prompt_template=template),
            llm(uid("a-"), shop, model="gpt-4o", prompt_template=template),
            llm(uid("a-"), blog, model="claude-3-5-sonnet-latest"),
        ],
    )
    other = live_server.new_tenant("other")
    store(ui, other, [session(uid("s-"), tracking_project="not-mine", tracking_tenant="their-tenant")], [])
    ui.sign_in(tenant, "/ui/sessions")
    page = ui.page
    expect(page.locator("datalist#facet-tenant option")).to_have_count(2)
    assert suggestions(page, "project") == ["shop", "blog"]
    assert suggestions(page, "tenant") == ["acme", "globex"]
    assert suggestions(page, "model") == ["gpt-4o", "claude-3-5-sonnet-latest"]
    assert suggestions(page, "template") == ["faq-answer"]
    assert page.locator("input[name=tag]").get_attribute("list") is None

    page.fill("input[name=tenant]", suggestions(page, "tenant")[1])
    page.click("button:text('Apply')")
    expect(page.locator("tr.row")).to_have_count(1)
    expect(page.locator(f"tr[data-id='{blog}']")).to_be_visible()
    assert suggestions(page, "tenant") == ["acme", "globex"]  # a filtered view still suggests them all


def at(micros: int) -> str:
    return iso(BASE_TIME.replace(microsecond=micros))


def step(aid: str, sid: str, name: str, micros: int) -> dict:
    """A tool step of `micros` microseconds."""
    return {
        "id": aid,
        "session_id": sid,
        "activity_type": "action",
        "name": name,
        "start_time": at(0),
        "end_time": at(micros),
    }


def test_sub_millisecond_durations_read_in_tenths_in_the_list_the_tree_and_the_detail(ui, tenant):
    sid, parse = uid("fast-"), uid("a-")
    fast = session(sid, session_name="A fast chain", end_time=at(300))
    store(ui, tenant, [fast], [step(parse, sid, "output parser", 300), step(uid("a-"), sid, "prompt template", 20)])
    ui.sign_in(tenant, "/ui/sessions")
    page = ui.page
    expect(page.locator(f"tr[data-id='{sid}'] td").nth(4)).to_have_text("0.3 ms")

    page.goto(f"{ui.origin}/ui/sessions/{sid}?activity={parse}")
    tree = page.locator(".tree-row")
    expect(tree.filter(has_text="output parser").locator(".num").first).to_have_text("0.3 ms")
    expect(tree.filter(has_text="prompt template").locator(".num").first).to_have_text("<0.1 ms")
    duration = page.locator(".facts div", has=page.locator("dt", has_text=re.compile("^Duration$")))
    expect(duration.first.locator("dd")).to_have_text("0.3 ms")  # the session's
    expect(duration.last.locator("dd")).to_have_text("0.3 ms")  # the selected activity's


def test_a_session_without_a_name_reads_as_its_project_and_start_with_its_id(ui, tenant):
    named, unnamed = uid("named-"), uid("unnamed-")
    store(
        ui,
        tenant,
        [
            session(named, session_name="What is the refund policy?", tracking_project="support"),
            session(unnamed, tracking_project="support"),
        ],
        [],
    )
    ui.sign_in(tenant, "/ui/sessions")
    page = ui.page
    row = page.locator(f"tr[data-id='{unnamed}']")
    fallback = row.locator(".name a .unnamed")
    expect(fallback).to_have_text(re.compile(r"^Unnamed session · support · \w+ \d+, .+$"))
    expect(row.locator(".name .id")).to_have_text(unnamed)
    color = "e => getComputedStyle(e).color"
    assert fallback.evaluate(color) == row.locator(".name .id").evaluate(color)  # muted, as the id is
    expect(page.locator(f"tr[data-id='{named}'] .name a")).to_have_text("What is the refund policy?")
    expect(page.locator(f"tr[data-id='{named}'] .name .id")).to_have_text(named)

    row.click()
    heading = page.locator("h1").first
    expect(heading.locator(".unnamed")).to_have_text(re.compile(r"^Unnamed session · support · "))
    expect(page.locator(".facts .id").first).to_have_text(unnamed)
