"""The web UI in a real Chromium: sign in, find a session by filter (the URL carries it), open its tree,
read an LLM prompt, match the dashboard to the API, create and revoke a key, switch accounts, sign out.
(The keyboard alone: test_ui_keyboard.py.)"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import ANSWER, SYSTEM_PROMPT, ingest, plain_session, seed
from tests.support.payloads import uid

pytestmark = pytest.mark.e2e


def test_find_a_session_by_filter_open_its_tree_and_read_the_prompt(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        stored = seed(client)
    page = ui.page
    ui.sign_in(tenant)
    page.wait_for_selector("tr.row")
    assert page.locator("tr.row").count() == 8

    page.fill("input[name=tenant]", "acme")
    page.select_option("select[name=has_error]", "false")
    page.click("text=Apply")
    expect(page).to_have_url(re.compile(r"/ui/sessions\?.*tenant=acme"))
    assert "has_error=false" in page.url
    expect(page.locator("tr.row")).to_have_count(1)
    shared_url = page.url

    page.click("tr.row")
    expect(page).to_have_url(re.compile(re.escape(f"/ui/sessions/{stored['rag']['id']}")))
    tree = page.locator("[role=tree]")
    tree.locator("text=RetrievalQA").wait_for()
    assert tree.locator("[role=treeitem]").count() == 6
    # the LLM call is selected first: its chat messages, output, template and input values
    detail = page.locator(".detail")
    detail.locator(f"text={SYSTEM_PROMPT}").wait_for()
    assert detail.locator(".messages .role").all_inner_texts() == ["SYSTEM", "USER"]
    assert ANSWER in detail.inner_text()
    assert "support-answer v3" in detail.inner_text()
    assert "1,380" in detail.inner_text() and "gpt-4o-mini" in detail.inner_text()

    page.click("[role=treeitem]:has-text('2 documents')")
    detail.locator("text=score 0.912").wait_for()
    assert "Deploy the new key before revoking the old one." in detail.inner_text()
    assert "activity=" in page.url

    chain = page.locator("[role=treeitem]:has-text('RetrievalQA')")
    chain.click()
    chain.press("ArrowLeft")
    assert chain.get_attribute("aria-expanded") == "false"
    assert tree.locator("[role=treeitem]").count() == 2  # the chain and the answer beside it
    chain.press("ArrowRight")
    assert tree.locator("[role=treeitem]").count() == 6

    # the filtered view is a link a teammate can open: after signing in, the same filter applies
    teammate = ui.context.new_page()
    teammate.goto(shared_url)
    teammate.fill("input[name=email]", tenant.owner_email)
    teammate.fill("input[name=password]", tenant.owner_password)
    teammate.click("button[type=submit]")
    expect(teammate.locator("tr.row")).to_have_count(1)
    assert teammate.input_value("input[name=tenant]") == "acme"
    assert "Support answer: key rotation" in teammate.locator("tr.row").inner_text()
    teammate.close()


def test_text_search_finds_words_of_a_prompt(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
    ui.sign_in(tenant)
    ui.page.fill("input[name=q]", "downtime rotate")
    ui.page.press("input[name=q]", "Enter")
    expect(ui.page).to_have_url(re.compile(r"q=downtime"))
    expect(ui.page.locator("tr.row")).to_have_count(1)
    assert "Support answer" in ui.page.locator("tr.row").inner_text()


def test_dashboard_numbers_equal_the_api(ui, tenant):
    with ui.server.client(tenant.api_key) as client:
        seed(client)
        totals = client.get("/api/v1/metrics/usage").json()["totals"]
        by_template_body = client.get("/api/v1/metrics/usage", params={"group_by": "template"}).json()
        by_template = by_template_body["series"]
    ui.sign_in(tenant, "/ui/usage?range=all")
    page = ui.page
    page.wait_for_selector(".metric")

    def card(name: str):
        return page.locator(f".metric[data-metric={name}]")

    assert totals["calls"] == 8 and totals["errors"] == 1
    assert card("calls").locator("strong").inner_text() == f"{totals['calls']:,}"
    assert card("tokens").locator("strong").inner_text() == f"{totals['total_tokens']:,}"
    assert card("errors").locator("strong").inner_text().startswith(f"{totals['errors']:,} ")
    assert float(card("cost").get_attribute("data-value")) == pytest.approx(totals["cost"], rel=1e-12)
    for name, field in (("p50", "latency_p50_ms"), ("p95", "latency_p95_ms")):
        assert float(card(name).get_attribute("data-value")) == pytest.approx(totals[field])
    expect(page.locator(".plot canvas")).to_have_count(5)

    costliest = max((row for row in by_template if row["group"]), key=lambda row: row["cost"])
    templates = page.locator("table[aria-label='Most expensive templates'] tbody tr")
    assert templates.first.locator("td").first.inner_text() == costliest["group"] == "support-answer"
    latency = next(g for g in by_template_body["groups"] if g["group"] == "support-answer")  # over the whole range
    cells = templates.first.locator("td[data-value]")
    assert [float(cells.nth(i).get_attribute("data-value")) for i in (0, 1)] == pytest.approx(
        [latency["latency_p50_ms"], latency["latency_p95_ms"]]
    )

    page.select_option("select >> nth=2", "project")
    expect(page).to_have_url(re.compile(r"group_by=project"))
    table = page.locator("table[aria-label='By project']")
    table.wait_for()
    assert sorted(table.locator("tbody tr td:first-child").all_inner_texts()) == ["support", "website"]

    # a group's sessions are those of the range shown
    page.select_option("select >> nth=0", "24h")
    table.locator("a:text-is('support')").click()
    expect(page).to_have_url(re.compile(r"/ui/sessions\?project=support&range=24h$"))
    expect(page.locator("tr.row")).to_have_count(2)


def test_create_a_key_that_is_shown_once_then_revoke_it(ui, tenant):
    ui.sign_in(tenant)
    ui.go("Settings", "table[aria-label='API keys']")
    page = ui.page
    page.fill("input[name=name]", "e2e reader")
    page.select_option("select[name=scope]", "read")
    page.click("text=Create key")
    secret = page.locator("code.new-key").inner_text()
    with ui.server.client(secret) as client:
        me = client.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["scope"] == "read"
    key_id = me.json()["key_id"]
    row = page.locator(f"tr[data-key='{key_id}']")
    row.wait_for()
    assert "e2e reader" in row.inner_text() and secret not in row.inner_text()

    page.click("text=I have copied it")
    assert secret not in page.content()
    page.reload()
    page.wait_for_selector(f"tr[data-key='{key_id}']")
    assert secret not in page.content()

    row.locator("text=Revoke").click()
    row.locator("text=Confirm revoke").click()
    row.locator("text=revoked").wait_for()
    # the focus stays in the keys table, not lost to the page's start
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "API keys"
    with ui.server.client(secret) as client:
        assert client.get("/api/v1/me").status_code == 401


def test_sign_out_ends_the_token_and_forgets_it(ui, tenant):
    ui.sign_in(tenant)
    token = ui.page.evaluate("JSON.parse(sessionStorage.getItem('promptwatch.auth')).credential")
    with ui.server.client(token) as client:
        assert client.get("/api/v1/me").status_code == 200
    ui.page.get_by_role("button", name="Sign out").click()
    ui.page.wait_for_selector("text=You are signed out.")
    assert ui.page.evaluate("sessionStorage.getItem('promptwatch.auth')") is None
    ui.assert_no_cookies()
    with ui.server.client(token) as client:
        assert client.get("/api/v1/me").status_code == 401
    ui.page.reload()
    ui.page.wait_for_selector("input[name=email]")


def test_api_key_sign_in_and_account_switcher(ui, tenant, live_server):
    accounts = live_server.accounts()
    second = accounts.create_account("second", tenant.owner_email, "unused")
    second_key = accounts._rt.keys.create(second, "ingest")
    now = datetime.now(timezone.utc)
    with ui.server.client(second_key) as client:
        ingest(client, plain_session("elsewhere", "t", now, 99))
    with ui.server.client(tenant.api_key) as client:
        ingest(client, plain_session("here", "t", now, 1))

    ui.sign_in(tenant)
    page = ui.page
    page.wait_for_selector("tr.row:has-text('here')")
    switcher = page.locator("header select")
    assert switcher.locator("option").count() == 2
    page.click("tr.row:has-text('here')")
    page.wait_for_selector("[role=treeitem]")
    # the session open belongs to the first account: switching leads to the other account's list
    switcher.select_option(str(second))
    expect(page).to_have_url(re.compile(r"/ui/sessions$"))
    page.wait_for_selector("tr.row:has-text('elsewhere')")
    assert page.locator("tr.row").count() == 1
    ui.page.get_by_role("button", name="Sign out").click()

    ui.sign_in_with_key(tenant.api_key)
    page.wait_for_selector("tr.row:has-text('here')")
    ui.go("Settings", "text=Managing API keys needs an owner or admin role")


def test_a_link_to_a_session_of_another_of_my_accounts_offers_to_open_it_there(ui, tenant, live_server):
    accounts = live_server.accounts()
    second = accounts.create_account("staging", tenant.owner_email, "unused")
    with ui.server.client(accounts._rt.keys.create(second, "ingest")) as client:
        built = plain_session("elsewhere", "t", datetime.now(timezone.utc), 7)
        ingest(client, built)
    session = built[0]
    ui.sign_in(tenant, f"/ui/sessions/{session['id']}")  # signed in, the first account is chosen
    page = ui.page
    page.wait_for_selector("[role=alert]:has-text('no session')")
    page.locator(".not-here").get_by_role("button", name="staging").click()
    page.wait_for_selector("[role=treeitem]")
    assert page.locator("h1").first.inner_text() == session["session_name"]
    assert page.locator("header select").input_value() == str(second)


def test_an_unknown_session_shows_a_plain_message(ui, tenant):
    ui.sign_in(tenant, f"/ui/sessions/{uid('missing-')}")
    ui.page.wait_for_selector("[role=alert]:has-text('no session')")
