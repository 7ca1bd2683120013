"""Time to a usable first screen in a real browser on a filled store: sign in, then the sessions list with
and without filters, and a session's detail.

Run from the repository root, on a store filled by the query benchmark (its data directory is used as is;
a read key is created in it with `promptwatch keys create` while the server is stopped):

    .venv/bin/python bench/query_latency.py --db sqlite --sizes 1000000 --store /tmp/pw-query-store
    .venv/bin/python bench/ui_first_screen.py --store /tmp/pw-query-store

Debian's Chromium through the Python playwright package (never a downloaded browser). Each measure is the
median of `--runs`: from the click on "Sign in" (a fresh browser context each run: empty cache, no
storage) or from the navigation, until the list's first row or the detail's activity tree is on the screen.
Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _harness import PROMPTWATCH, REPO, ServerProcess, median, print_table, write_results
from _workload import COMMON_MODEL, PROJECTS
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(REPO))
from tests.support.browser import launch  # noqa: E402

FIRST_ROW = "tr.row"
TREE = "[role=treeitem]"


def read_key(store: Path) -> str:
    out = subprocess.run(
        [str(PROMPTWATCH), "keys", "create", "--data-dir", str(store), "--scope", "read", "--name", "ui bench"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1].strip()  # the key is printed last, after its id


def timed(page, ready: str, action, *args) -> float:
    """Milliseconds from `action(*args)` until `ready` (a selector) is on the page."""
    started = time.perf_counter()
    action(*args)
    page.wait_for_selector(ready)
    return (time.perf_counter() - started) * 1000


def run(args: argparse.Namespace) -> dict:
    store = Path(args.store)
    key = read_key(store)
    server = ServerProcess(store)
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}) as client:
            newest = client.get("/api/v1/sessions", params={"limit": 1}).json()["items"][0]["id"]
            activities = client.get(f"/api/v1/sessions/{newest}").json()["activity_count"]
        views = {
            "sessions, latest 50": "/ui/sessions",
            f"sessions, project={PROJECTS[0]}": f"/ui/sessions?project={PROJECTS[0]}",
            f"sessions, model={COMMON_MODEL}": f"/ui/sessions?model={COMMON_MODEL}",
            "sessions, errors only": "/ui/sessions?has_error=true",
            "sessions, text search refund warranty": "/ui/sessions?q=refund+warranty",
        }
        times: dict[str, list[float]] = {"sign in to the first rows (cold)": []}
        times.update({name: [] for name in views})
        times[f"session detail ({activities} activities)"] = []
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                page.goto(server.base_url + "/ui/")
                page.click("role=tab[name='API key']")
                page.fill("input[name=key]", key)
                times["sign in to the first rows (cold)"].append(
                    timed(page, FIRST_ROW, page.click, "button[type=submit]")
                )
                for name, path in views.items():
                    page.goto("about:blank")
                    times[name].append(timed(page, FIRST_ROW, page.goto, server.base_url + path))
                page.goto("about:blank")
                times[f"session detail ({activities} activities)"].append(
                    timed(page, TREE, page.goto, f"{server.base_url}/ui/sessions/{newest}")
                )
                context.close()
            browser.close()
    finally:
        server.stop()
    medians = {name: round(median(values), 1) for name, values in times.items()}
    print_table(
        f"First screen in Chromium, store {store}, median of {args.runs}",
        [(name, f"{value:,.0f} ms", "well under 1 s") for name, value in medians.items()],
    )
    return {"store": str(store), "runs": args.runs, "median_ms": medians, "all_ms": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a SQLite data directory filled by bench/query_latency.py")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"written to {write_results('ui-first-screen', run(args))}")


if __name__ == "__main__":
    main()
