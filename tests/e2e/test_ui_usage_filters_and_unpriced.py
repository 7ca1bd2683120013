"""Costs & usage: a project and a tenant filter kept in the address (and carried into the sessions a group
links to), and costs that never read calls without a price as free, there and on the templates screen."""

from __future__ import annotations

import re

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
