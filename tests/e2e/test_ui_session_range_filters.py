"""The sessions list's "More filters" in Chromium: cost (dollars), duration (seconds, kept in milliseconds)
and token ranges and metadata key=value conditions narrow the list on the server, are kept in the address
under the API's names and restored from it on a reload; a bad bound or condition is shown under its field
and never sent."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.payloads import BASE_TIME, iso, llm, session, uid

pytestmark = pytest.mark.e2e


def seed(ui, tenant) -> dict[str, str]:
    """Four sessions of a gpt-4o-mini call each ($0.15 per million prompt tokens): {name: id}. Each ended one
    lasts `seconds`; "open" and its call have not ended, so it has no duration."""
    made = {  # name: (prompt tokens, seconds, metadata)
        "cheap quick": (1_000, 2, {"env": "prod", "team": "search"}),
        "dear slow": (1_000_000, 30, {"env": "prod", "team": "ads"}),
        "middling quick": (200_000, 3, {"env": "staging", "team": "search"}),
        "open": (100_000, None, {"env": "prod", "team": "search"}),
    }
    ids = {name: uid("s-") for name in made}
    sessions, activities = [], []
    for name, (tokens, seconds, metadata) in made.items():
        ended = {"end_time": iso(BASE_TIME + timedelta(seconds=seconds))} if seconds else {}
        sessions.append(session(ids[name], session_name=name, metadata=metadata, **ended))
        usage = {"prompt_tokens": tokens, "completion_tokens": 0}
        activities.append(llm(uid("a-"), ids[name], usage=usage, closed=seconds is not None))
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": sessions, "activities": activities})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    return ids


def expect_rows(page, ids: dict[str, str], *names: str) -> None:
    expect(page.locator("tr.row")).to_have_count(len(names))
    for name in names:
        expect(page.locator(f"tr[data-id='{ids[name]}']")).to_be_visible()


def address(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def list_requests(ui) -> list[dict[str, list[str]]]:
    """The queries of the list requests sent so far."""
    return [parse_qs(urlsplit(r.url).query) for r in ui.responses if urlsplit(r.url).path == "/api/v1/sessions"]


def test_ranges_and_metadata_filter_the_list_live_in_the_address_and_survive_a_reload(ui, tenant):
    ids = seed(ui, tenant)
    ui.sign_in(tenant, "/ui/sessions")
    page = ui.page
    expect_rows(page, ids, *ids)
    expect(page.get_by_label("Cost at least, in dollars")).to_be_hidden()  # under "More filters", closed

    page.click("summary:text('More filters')")
    page.get_by_label("Cost at least, in dollars").fill("0.01")
    page.get_by_label("Duration at least, in seconds").fill("10")
    page.click("button:text('Apply')")
    expect_rows(page, ids, "dear slow")
    assert address(page) == {"min_cost": ["0.01"], "min_duration_ms": ["10000"]}
    assert list_requests(ui)[-1] == {
        "min_cost": ["0.01"],
        "min_duration_ms": ["10000"],
        "limit": ["50"],
        "include_total": ["true"],
    }

    page.reload()
    expect_rows(page, ids, "dear slow")
    expect(page.get_by_label("Cost at least, in dollars")).to_have_value("0.01")  # shown, the panel open
    expect(page.get_by_label("Duration at least, in seconds")).to_have_value("10")

    page.click("a:text('Clear')")
    expect_rows(page, ids, *ids)
    assert address(page) == {}
    page.click("summary:text('More filters')")
    page.get_by_label("Metadata condition 1, key=value").fill("env=prod")
    page.click("button:text('Add another')")
    page.get_by_label("Metadata condition 2, key=value").fill(" team = search ")
    page.get_by_label("Tokens at most").fill("5000")
    page.get_by_label("Tokens at most").press("Enter")
    expect_rows(page, ids, "cheap quick")
    assert address(page) == {"max_tokens": ["5000"], "meta": ["env=prod", "team=search"]}
    assert page.url.endswith("?max_tokens=5000&meta=env=prod&meta=team=search")

    page.reload()
    expect_rows(page, ids, "cheap quick")
    expect(page.get_by_label("Metadata condition 2, key=value")).to_have_value("team=search")
    page.get_by_label("Tokens at most").fill("")  # emptied: the bound goes
    page.click("button:text('Apply')")
    expect_rows(page, ids, "cheap quick", "open")
    assert address(page) == {"meta": ["env=prod", "team=search"]}

    # an address typed or shared by hand, with an upper duration bound: an open session has no duration
    ui.open("/ui/sessions?max_duration_ms=5000&meta=env=prod", "tr.row")
    expect_rows(page, ids, "cheap quick")
    expect(page.get_by_label("Duration at most, in seconds")).to_have_value("5")


def test_a_bad_bound_or_condition_is_shown_under_its_field_and_never_sent(ui, tenant):
    ids = seed(ui, tenant)
    ui.sign_in(tenant, "/ui/sessions?min_cost=abc")
    page = ui.page
    expect_rows(page, ids, *ids)  # the address's bad bound is left out of the request
    cost = page.get_by_label("Cost at least, in dollars")
    expect(cost).to_have_accessible_description("not a number")
    assert "min_cost" not in list_requests(ui)[-1]

    cost.fill("-1")
    page.get_by_label("Duration at least, in seconds").fill("20")
    page.get_by_label("Duration at most, in seconds").fill("10")
    page.get_by_label("Tokens at least").fill("1.5")
    condition = [page.get_by_label(f"Metadata condition {n}, key=value") for n in (1, 2, 3)]
    condition[0].fill("prod")
    page.click("button:text('Add another')")
    page.click("button:text('Add another')")
    condition[1].fill("team=ads")
    condition[2].fill("team=search")  # the API would keep only one of them
    sent = len(list_requests(ui))
    page.click("button:text('Apply')")
    expect(cost).to_have_accessible_description("cannot be negative")
    expect(cost).to_be_focused()
    expect(page.get_by_label("Duration at most, in seconds")).to_have_accessible_description("below the minimum")
    expect(page.get_by_label("Tokens at least")).to_have_accessible_description("a whole number")
    expect(condition[0]).to_have_accessible_description("write it key=value")
    expect(condition[2]).to_have_accessible_description("team is set above")
    assert address(page) == {"min_cost": ["abc"]} and len(list_requests(ui)) == sent

    cost.fill("0.02")
    page.get_by_label("Duration at most, in seconds").fill("")
    page.get_by_label("Tokens at least").fill("")
    condition[0].fill("")
    condition[2].fill("")
    page.click("button:text('Apply')")
    expect_rows(page, ids, "dear slow")
    assert address(page) == {"min_cost": ["0.02"], "min_duration_ms": ["20000"], "meta": ["team=ads"]}
    expect(page.locator(".field-problem")).to_have_count(0)
