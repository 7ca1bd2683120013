"""Durations and costs as the UI reads them, in Chromium: one duration formatter for the sessions list, the session
header, the tree and the waterfall's scale, which rounds a duration before it splits it into units (119.6 s is
"2 min 0 s", never "1 min 60 s"), and one cost rule (cents from a dollar, two significant digits below), whose
longest reading fits the tree's cost column."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support.payloads import BASE_TIME, iso, llm, session, uid

pytestmark = pytest.mark.e2e

READ = """async ([name, values]) => {
  const format = await import("/static/ui/format.js");
  return values.map((value) => format[name](...[value].flat()));
}"""

# (ms, text) on both sides of every unit boundary, and just under each where rounding carries into the next unit
MILLIS = [
    (0, "0 ms"),
    (0.04, "<0.1 ms"),
    (0.3, "0.3 ms"),
    (0.94, "0.9 ms"),
    (0.96, "1 ms"),
    (999.4, "999 ms"),
    (999.6, "1.00 s"),
    (1000, "1.00 s"),
    (9994, "9.99 s"),
    (9996, "10.0 s"),
    (59_949, "59.9 s"),
    (59_999, "1 min 0 s"),
    (60_000, "1 min 0 s"),
    (119_499, "1 min 59 s"),
    (119_600, "2 min 0 s"),
    (3_599_400, "59 min 59 s"),
    (3_599_600, "1 h 0 min"),
    (3_600_000, "1 h 0 min"),
    (5_369_000, "1 h 29 min"),
    (5_371_000, "1 h 30 min"),
    (3_599_940_000, "999 h 59 min"),
    (3_599_990_000, "41 d 16 h"),
    (3_600_000_000, "41 d 16 h"),
    (90_000_000_000, "1,041 d 16 h"),
]
# the trial's sessions: (start, end) as the API gives them, with microseconds
START = "2026-11-01T12:00:00.000000+00:00"
SUB_MILLISECOND_END = "2026-11-01T12:00:00.999600+00:00"
TRIAL = [
    ("2026-11-01T12:01:59.600000+00:00", "2 min 0 s"),
    ("2026-11-01T12:59:59.600000+00:00", "1 h 0 min"),
    ("2026-11-01T12:00:59.999000+00:00", "1 min 0 s"),
    (SUB_MILLISECOND_END, "1.00 s"),
    ("2026-11-01T12:59:59.999999+00:00", "1 h 0 min"),
]
MONEY = [
    (None, "–"),
    (0, "$0"),
    (1.5e-5, "$0.000015"),
    (1.35e-5, "$0.000014"),
    (0.0075, "$0.0075"),
    (0.005, "$0.0050"),
    (0.01234, "$0.012"),
    (0.1, "$0.10"),
    (0.994, "$0.99"),
    (0.996, "$1.00"),
    (1, "$1.00"),
    (1234.567, "$1,234.57"),
    (9.96e-7, "$0.0000010"),
    (9.4e-7, "<$0.000001"),
]


def test_a_duration_is_rounded_before_it_is_split_into_units(ui):
    ui.page.goto(ui.origin + "/ui/")
    assert ui.page.evaluate(READ, ["millis", [ms for ms, _ in MILLIS]]) == [text for _, text in MILLIS]
    assert ui.page.evaluate(READ, ["duration", [[START, end] for end, _ in TRIAL]]) == [text for _, text in TRIAL]


def test_a_cost_reads_cents_from_a_dollar_and_two_significant_digits_below(ui):
    ui.page.goto(ui.origin + "/ui/")
    assert ui.page.evaluate(READ, ["money", [cost for cost, _ in MONEY]]) == [text for _, text in MONEY]


def test_the_trial_s_durations_read_rounded_in_the_list_the_header_and_the_waterfall(ui, tenant):
    project = uid("p-")
    sessions = [(uid("s-"), end, text) for end, text in TRIAL]
    with ui.server.client(tenant.api_key) as client:
        answer = client.post(
            "/api/v1/ingest",
            json={
                "sessions": [
                    {"id": sid, "start_time": START, "end_time": end, "tracking_project": project}
                    for sid, end, _ in sessions
                ],
                "activities": [
                    {
                        "id": uid("a-"),
                        "session_id": sid,
                        "activity_type": "log",
                        "text": "step",
                        "start_time": START,
                        "end_time": end,
                    }
                    for sid, end, _ in sessions
                ],
            },
        )
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    ui.sign_in(tenant, f"/ui/sessions?project={project}")
    page = ui.page
    for sid, _, text in sessions:
        expect(page.locator(f"tr[data-id='{sid}'] td").nth(4)).to_have_text(text)
    for sid, _, text in sessions:
        page.goto(f"{ui.origin}/ui/sessions/{sid}")
        header = page.locator("header dl.facts > div", has=page.locator("dt", has_text="Duration"))
        expect(header.locator("dd")).to_have_text(text)
        expect(page.locator(".tree-row .num").first).to_have_text(text)
        expect(page.locator(".lane-scale span").last).to_have_text(text)


def test_a_call_s_cost_fits_the_tree_s_cost_column(ui, tenant):
    sid = uid("s-")
    calls = [  # gpt-4o-mini: $0.0075 and $0.0000135
        llm(uid("a-"), sid, usage={"prompt_tokens": 20_000, "completion_tokens": 7_500}),
        llm(
            uid("a-"), sid, start=BASE_TIME + timedelta(seconds=1), usage={"prompt_tokens": 50, "completion_tokens": 10}
        ),
    ]
    with ui.server.client(tenant.api_key) as client:
        answer = client.post(
            "/api/v1/ingest",
            json={"sessions": [session(sid, end_time=iso(BASE_TIME + timedelta(seconds=3)))], "activities": calls},
        )
    assert answer.status_code == 200 and answer.json()["rejected"] == 0, answer.text
    ui.sign_in(tenant, f"/ui/sessions/{sid}")
    costs = ui.page.locator(".tree-row .num:last-child")
    expect(costs).to_have_text(["$0.0075", "$0.000014"])
    # the widest costs the rule gives have room in the column
    for widest in ("$0.0000099", "<$0.000001"):
        room = costs.last.evaluate(
            "(cell, text) => { cell.textContent = text; return cell.clientWidth - cell.scrollWidth; }", widest
        )
        assert room >= 0, f"{widest} overflows the cost column by {-room}px"
