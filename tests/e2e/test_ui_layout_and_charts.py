"""How screens sit, in Chromium: a chart's legend names its lines and reads values only under the pointer, and
its latency axis reads in one unit; a session without activities says so in a note, with no empty pane; the
cells of a key's row stand on one baseline; on a phone the navigation is one short row that scrolls sideways,
and an activity's name has its row's width."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.support.payloads import iso, llm, session, uid

pytestmark = pytest.mark.e2e

# every text a canvas draws, by the caption of the chart it belongs to (uPlot draws its axes on the canvas)
RECORD_DRAWN_TEXT = """
window.__drawn = {};
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
  const caption = this.canvas.closest("figure")?.querySelector("figcaption")?.textContent ?? "";
  (window.__drawn[caption] ||= new Set()).add(String(text));
  return fillText.call(this, text, ...rest);
};
"""
DURATION_LABEL = re.compile(r"^[\d.,]+ (ms|s|min|h|d)$")

# the baseline of each cell's first line: an empty inline block sits on it
BASELINES = """row => [...row.cells].map((cell) => {
  const probe = document.createElement("span");
  probe.style.display = "inline-block";
  cell.prepend(probe);
  const baseline = probe.getBoundingClientRect().bottom;
  probe.remove();
  return baseline;
})"""


def open_latency_chart(ui, tenant):
    """The dashboard of the last 24 hours over calls of 0.2 s (hours ago) and 1.2 and 4.3 s; → the latency chart."""
    sid = uid("s-")
    start = datetime.now(timezone.utc) - timedelta(minutes=150)
    calls = [
        llm(
            uid("a-"),
            sid,
            start=start + timedelta(minutes=minutes),
            seconds=seconds,
            usage={"prompt_tokens": 10, "completion_tokens": 5},
        )
        for minutes, seconds in ((0, 0.2), (120, 1.2), (120, 4.3))
    ]
    with ui.server.client(tenant.api_key) as client:
        answer = client.post(
            "/api/v1/ingest", json={"sessions": [session(sid, start_time=iso(start))], "activities": calls}
        )
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    ui.page.add_init_script(RECORD_DRAWN_TEXT)
    ui.sign_in(tenant, "/ui/usage?range=24h")
    chart = ui.page.locator("figure.chart", has=ui.page.locator("figcaption", has_text="Latency"))
    expect(chart.locator(".u-legend .u-series")).to_have_count(3)  # the time, p50 and p95: drawn
    return chart


def test_a_chart_legend_names_its_lines_and_reads_values_only_under_the_pointer(ui, tenant):
    chart = open_latency_chart(ui, tenant)
    legend = chart.locator(".u-legend")
    expect(legend).to_have_text("p50p95", use_inner_text=True)  # a key to the lines: no "--" or "–" yet
    expect(legend.locator(".u-value").first).to_be_hidden()
    box = chart.locator(".u-over").bounding_box()
    ui.page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    expect(legend.locator(".u-value").first).to_be_visible()
    expect(legend).to_contain_text("Time")
    ui.page.mouse.move(0, 0)
    expect(legend.locator(".u-value").first).to_be_hidden()


def test_a_latency_axis_reads_in_one_unit(ui, tenant):
    open_latency_chart(ui, tenant)
    labels = {text for text in ui.page.evaluate("[...(window.__drawn.Latency || [])]") if DURATION_LABEL.match(text)}
    assert len(labels) >= 3, labels
    assert {DURATION_LABEL.match(text)[1] for text in labels} == {"s"}, labels


def test_a_session_without_activities_says_so_in_a_note_and_shows_no_empty_pane(ui, tenant):
    sid = uid("empty-")
    with ui.server.client(tenant.api_key) as client:
        answer = client.post(
            "/api/v1/ingest", json={"sessions": [session(sid, session_name="Nothing yet")], "activities": []}
        )
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    ui.sign_in(tenant, f"/ui/sessions/{sid}")
    page = ui.page
    note = page.locator(".note", has_text="This session has no activities yet.")
    expect(note).to_be_visible()
    assert float(note.evaluate("note => getComputedStyle(note).paddingLeft").removesuffix("px")) >= 8
    expect(page.locator(".detail")).to_have_count(0)
    expect(page.locator(".tree")).to_have_count(0)


def test_the_cells_of_a_key_s_row_stand_on_one_baseline(ui, tenant):
    ui.sign_in(tenant, "/ui/settings")
    row = ui.page.locator("table[aria-label='API keys'] tbody tr").first
    expect(row.get_by_role("button", name="Revoke")).to_be_visible()
    baselines = row.evaluate(BASELINES)
    assert max(baselines) - min(baselines) < 1, baselines


def test_on_a_phone_the_navigation_is_one_short_row_that_scrolls_to_the_current_screen(ui, tenant):
    page = ui.page
    page.set_viewport_size({"width": 390, "height": 844})
    ui.sign_in(tenant, "/ui/sessions")
    header = page.locator("header.top")
    assert header.bounding_box()["height"] <= 90  # a tenth of the first screen
    links = page.locator("nav[aria-label=Main] a")
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) == 1, tops
    page.goto(f"{ui.origin}/ui/settings")  # its link is off the row's first view
    page.get_by_role("table", name="API keys").wait_for()
    nav = page.locator("nav[aria-label=Main]").bounding_box()
    current = page.locator("nav[aria-label=Main] a[aria-current=page]").bounding_box()
    assert nav["x"] <= current["x"] and current["x"] + current["width"] <= nav["x"] + nav["width"] + 1


def test_on_a_phone_an_activity_s_name_has_the_row_s_width_and_its_duration_and_cost_sit_under_it(ui, tenant):
    sid, aid = uid("s-"), uid("a-")
    name = "Retrieve the customer's orders"
    parent = {
        "id": uid("c-"),
        "session_id": sid,
        "activity_type": "chain-sequence",
        "name": "Router chain",
        "start_time": iso(datetime(2026, 11, 1, tzinfo=timezone.utc)),
    }
    call = llm(
        aid, sid, name=name, parent_activity_id=parent["id"], usage={"prompt_tokens": 10, "completion_tokens": 5}
    )
    with ui.server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [parent, call]})
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    page = ui.page
    page.set_viewport_size({"width": 390, "height": 844})
    ui.sign_in(tenant, f"/ui/sessions/{sid}")
    row = page.locator(f".tree-row[data-id='{aid}']")
    expect(row.locator(".tree-name")).to_have_text(name)
    label, numbers = row.locator(".tree-label").bounding_box(), row.locator(".num").first.bounding_box()
    assert label["width"] >= 300, label  # not "Retr…"
    assert numbers["y"] >= label["y"] + label["height"] - 1, (label, numbers)  # on a line of its own
    assert row.locator(".tree-name").evaluate("e => e.scrollWidth <= e.clientWidth")  # the whole name shows
