"""Costs & usage: a project and a tenant filter kept in the address (and carried into the sessions a group
links to), costs that never read calls without a price as free, there and on the templates screen, and weeks
and months cut in the browser's time zone."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.support.payloads import llm, session, uid

pytestmark = pytest.mark.e2e

UNKNOWN_MODEL = "in-house-model-7b"
USAGE = {"prompt_tokens": 1000, "completion_tokens": 200}
SOME_DOLLARS = r"\$0\.\d+"


def seed(client) -> None:
    shop, blog = uid("shop-"), uid("blog-")
    template = {"template_name": "house-answer", "prompt_template": "Answer {q}", "prompt_input_params": ["q"]}
    answer = client.post(
        "/api/v1/ingest",
        json={
            "sessions": [
                session(shop, tracking_project="shop", tracking_tenant="acme"),
                session(blog, tracking_project="blog", tracking_tenant="umbrella"),
            ],
            "activities": [
                llm(uid("a-"), shop, usage=USAGE),
                llm(uid("a-"), shop, model=UNKNOWN_MODEL, usage=USAGE, prompt_template=template),
                llm(uid("a-"), blog, usage=USAGE),
                llm(uid("a-"), blog, usage=USAGE),
            ],
        },
    )
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text


def test_usage_filters_by_project_and_tenant_in_the_address(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
    ui.sign_in(tenant, "/ui/usage?range=all")
    page = ui.page
    calls = page.locator(".metric[data-metric=calls] strong")
    cost = page.locator(".metric[data-metric=cost] strong")
    expect(calls).to_have_text("4")
    expect(cost).to_have_text(re.compile(rf"^{SOME_DOLLARS} \+ 1 unpriced$"))

    page.fill("input[name=project]", "shop")
    page.press("input[name=project]", "Enter")
    expect(page).to_have_url(re.compile(r"/ui/usage\?.*project=shop"))
    expect(calls).to_have_text("2")
    by_model = page.locator("table[aria-label='By model'] tbody tr")
    expect(by_model).to_have_count(2)
    unpriced_row = by_model.filter(has_text=UNKNOWN_MODEL)
    expect(unpriced_row.locator("td").nth(4)).to_have_text("–")  # its cost: none known, not $0
    expect(unpriced_row.locator("td").nth(5)).to_have_text("–")  # per call
    templates = page.locator("table[aria-label='Most expensive templates'] tbody tr")
    expect(templates.locator("td").nth(4)).to_have_text("–")

    # the filters survive a reload, narrow further, and go along to the sessions a group links to
    page.goto(f"{ui.origin}/ui/usage?range=all&project=shop&tenant=umbrella")
    expect(calls).to_have_text("0")
    assert page.input_value("input[name=project]") == "shop" and page.input_value("input[name=tenant]") == "umbrella"
    page.fill("input[name=tenant]", "acme")
    page.press("input[name=tenant]", "Enter")
    expect(calls).to_have_text("2")
    unpriced_row.locator("a").click()
    expect(page).to_have_url(re.compile(r"/ui/sessions\?project=shop&tenant=acme&model=in-house-model-7b"))
    expect(page.locator("tr.row")).to_have_count(1)

    page.goto(f"{ui.origin}/ui/usage?range=all&project=shop&tenant=acme")
    page.fill("input[name=tenant]", "")
    page.press("input[name=tenant]", "Enter")
    expect(page).to_have_url(re.compile(r"/ui/usage\?[^#]*project=shop(?!.*tenant=)"))
    expect(calls).to_have_text("2")


def test_templates_screen_shows_unpriced_calls_apart_from_the_cost(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
    ui.sign_in(tenant, "/ui/templates")
    page = ui.page
    row = page.locator("table[aria-label='Prompt templates'] tbody tr", has_text="house-answer")
    expect(row.locator("td").nth(6)).to_have_text("–")
    expect(page.locator("p.muted", has_text="used no named template")).to_contain_text(
        re.compile(rf"3 calls \({SOME_DOLLARS}\)")
    )
    row.locator("a").first.click()
    version = page.locator("tr[data-version='1.0.0']")
    expect(version.locator("td").nth(6)).to_have_text("–")


def test_weeks_and_months_are_those_of_the_browsers_time_zone(ui, tenant):
    """In New York, Monday 2 November 03:00 UTC is still Sunday (so in the week from Monday 26 October) and
    Sunday 1 November 03:00 UTC is still October; the interval chosen is kept in the address."""
    monday, sunday = "gpt-4.1-mini", "gpt-4o-mini"  # the model of the call on each day (UTC)
    with ui.server.client(tenant.api_key) as client:
        sid = uid("s-")
        answer = client.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(sid)],
                "activities": [
                    llm(uid("a-"), sid, model=monday, start=datetime(2026, 11, 2, 3, tzinfo=timezone.utc)),
                    llm(uid("a-"), sid, model=sunday, start=datetime(2026, 11, 1, 3, tzinfo=timezone.utc)),
                ],
            },
        )
        assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    page = ui.page
    ui.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": "America/New_York"})
    ui.sign_in(tenant, "/ui/usage?range=all&interval=week")
    by_model = page.locator("table[aria-label='By model'] tbody tr")
    last_used = {model: by_model.filter(has_text=model).locator("td").nth(8) for model in (monday, sunday)}
    expect(last_used[monday]).to_have_text("Week of Oct 26, 2026")  # in UTC: Nov 2
    expect(last_used[sunday]).to_have_text("Week of Oct 26, 2026")
    asked = [r.url for r in ui.responses if "/api/v1/metrics/usage" in r.url]
    assert asked and all("tz=America%2FNew_York" in url and "interval=week" in url for url in asked), asked

    page.get_by_label("Interval").select_option("month")
    expect(page).to_have_url(re.compile(r"/ui/usage\?.*interval=month"))
    expect(last_used[monday]).to_have_text("November 2026")
    expect(last_used[sunday]).to_have_text("October 2026")  # in UTC: November
    page.reload()
    expect(page.get_by_label("Interval")).to_have_value("month")
    expect(last_used[sunday]).to_have_text("October 2026")


def test_calls_stored_without_a_price_are_listed_and_priced_from_the_prices_tab(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
    ui.sign_in(tenant, "/ui/settings?tab=prices")
    page = ui.page
    unpriced = page.locator("table[aria-label='Unpriced calls by model'] tbody tr")
    expect(unpriced).to_have_count(1)
    expect(unpriced.locator("td")).to_have_text([UNKNOWN_MODEL, "1"])
    page.fill("input[name=model]", UNKNOWN_MODEL)
    page.fill("input[name=input]", "2")
    page.fill("input[name=output]", "10")
    page.fill("input[name=from]", "2020-01-01T00:00")
    page.click("button:has-text('Add price')")
    expect(page.locator("table[aria-label='Price overrides'] tbody tr")).to_have_count(1)
    page.click("button:has-text('Price these calls now')")
    expect(page.get_by_role("status")).to_contain_text("Priced 1 call ($0.0040); 0 still without a price.")
    expect(page.locator("table[aria-label='Unpriced calls by model']")).to_have_count(0)
    page.goto(f"{ui.origin}/ui/usage?range=all")
    expect(page.locator(".metric[data-metric=cost] strong")).to_have_text(re.compile(rf"^{SOME_DOLLARS}$"))
    ui.check_clean()


def test_a_call_dated_ahead_is_not_counted_and_a_model_that_only_failed_has_no_cost(ui, tenant):
    sid, now = uid("s-"), datetime.now(timezone.utc)
    refused = llm(uid("a-"), sid, start=now, model="gpt-broken", generated=None, error="404 model not found")
    ahead = llm(uid("a-"), sid, start=now.replace(year=now.year + 1), usage=USAGE)  # a client's wrong clock
    with ui.server.client(tenant.api_key) as client:
        calls = [llm(uid("a-"), sid, start=now, usage=USAGE), refused, ahead]
        answer = client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": calls})
        assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
        groups = client.get("/api/v1/metrics/usage", params={"group_by": "model"}).json()["groups"]
        assert {g["group"]: g["total_tokens"] for g in groups}["gpt-broken"] == 0  # the provider refused it
    ui.sign_in(tenant, "/ui/usage?range=30d&group_by=model")
    page = ui.page
    expect(page.locator(".metric[data-metric=calls] strong")).to_have_text("2")
    by_model = page.locator("table[aria-label='By model'] tbody tr")
    expect(by_model).to_have_count(2)
    expect(by_model.filter(has_text="gpt-broken").locator("td").nth(4)).to_have_text("–")  # not $0
    expect(by_model.filter(has_text="gpt-4o-mini").locator("td").nth(4)).to_have_text(re.compile(SOME_DOLLARS))
