"""A session whose activities' parents make cycles (sent across two batches, as ingestion cannot refuse them
cheaply) opens in the web UI with each activity once: a cycle is cut at its earliest member, shown as a root,
and an activity hanging off the cycle stays under its parent even when it started first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import ingest
from tests.support.payloads import iso, uid

pytestmark = pytest.mark.e2e

ROWS = "[role=tree] [role=treeitem]"
ROWS_AND_LEVELS = "rows => rows.map(row => [row.dataset.id, row.getAttribute('aria-level')])"


def test_a_session_with_parent_cycles_shows_each_activity_once_cut_at_the_earliest_member(ui, tenant):
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    sid = uid("cycles-")
    ids = {name: uid(f"{name}-") for name in ("tail", "c0", "c1", "c2", "d0", "d1")}
    parents = {"tail": "c1", "c0": "c2", "c1": "c0", "c2": "c1", "d0": "d1", "d1": "d0"}

    def activity(name: str, second: int) -> dict:
        at = start + timedelta(seconds=second)
        return {
            "id": ids[name],
            "session_id": sid,
            "activity_type": "log",
            "name": name,
            "text": f"the text of {name}",
            "parent_activity_id": ids[parents[name]],
            "start_time": iso(at),
            "end_time": iso(at + timedelta(milliseconds=20)),
        }

    steps = {name: activity(name, second) for second, name in enumerate(ids)}
    with ui.server.client(tenant.api_key) as client:
        ingest(client, ({"id": sid, "start_time": iso(start)}, [steps[n] for n in ("tail", "c1", "c2", "d1")]))
        ingest(client, ({"id": sid}, [steps["c0"], steps["d0"]]))  # these close the cycles
    ui.sign_in(tenant, f"/ui/sessions/{sid}")
    page = ui.page
    expect(page.locator(ROWS)).to_have_count(len(ids))
    shown = page.eval_on_selector_all(ROWS, ROWS_AND_LEVELS)
    expected = [("c0", "1"), ("c1", "2"), ("tail", "3"), ("c2", "3"), ("d0", "1"), ("d1", "2")]
    assert shown == [[ids[name], level] for name, level in expected]

    tail = page.locator(f"{ROWS}[data-id='{ids['tail']}']")
    tail.click()
    page.keyboard.press("ArrowLeft")  # to its parent, the cycle's member it hangs off
    expect(page.locator(f"{ROWS}[data-id='{ids['c1']}']")).to_be_focused()
