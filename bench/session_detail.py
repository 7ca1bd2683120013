"""A large session's detail: the whole of it against its first page, over the API and in Chromium.

    nice -n 10 .venv/bin/python bench/session_detail.py --db sqlite --browser
    nice -n 10 .venv/bin/python bench/session_detail.py --db postgresql

One agent run of `--activities` (3,000) activities (`_workload.agent_session`: steps of a chain and one tool
call, LLM call or retrieval each) is stored in a fresh store. Then, each the median of `--runs` (10) after one
warm-up, on one keep-alive connection: the time and size of `GET /api/v1/sessions/{id}` for the whole session,
its first page (`activities_limit=--page`, 200), its last page (keyset paging: as cheap as the first), and
the whole session as an outline (`activities_fields=outline`, no bodies). With `--browser`, Debian's Chromium
(the Python playwright package) opens the session's screen `--runs` times, signed in with a key, and measures
from the navigation until the first row of the activity tree is on the screen, and until every row is (after
"Show all" where the screen pages).

The server decides what is measured: run it from a snapshot of an earlier commit for the figures before a
change (`PYTHONPATH=/tmp/pw-snap/src`, see docs/benchmarks.md); an API that does not page is measured whole only.
Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import httpx
import orjson
from _harness import REPO, Deadline, ServerProcess, median, postgres_database, print_table, write_results
from _workload import agent_session

TREE_ROW = "[role=tree] [role=treeitem]"


def store_session(server: ServerProcess, activities: int) -> str:
    session = agent_session(activities)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as client:
        for start in range(0, len(session.activities), 500):
            batch = {
                "sessions": [session.record] if start == 0 else [],
                "activities": session.activities[start : start + 500],
            }
            answer = client.post("/api/v1/ingest", content=orjson.dumps(batch), timeout=120)
            answer.raise_for_status()
            if answer.json()["rejected"]:
                raise RuntimeError(f"the server rejected activities: {answer.text[:500]}")
    return session.record["id"]


def timed_get(client: httpx.Client, path: str, params: dict, runs: int) -> dict:
    """Median milliseconds and the size of the answer, after one warm-up."""
    client.get(path, params=params).raise_for_status()
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        size = len(answer.content)
    return {"median_ms": round(median(times), 1), "bytes": size, "all_ms": [round(t, 1) for t in times]}


def measure_api(server: ServerProcess, sid: str, page: int, runs: int) -> dict:
    path = f"/api/v1/sessions/{sid}"
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as client:
        whole = client.get(path).json()
        count = len(whole["activities"])
        out = {"whole session": timed_get(client, path, {}, runs)}
        if "next_activities_cursor" not in whole:  # a server before paging
            return {"activities": count, "pages": False, "queries": out}
        out[f"first page ({page})"] = timed_get(client, path, {"activities_limit": page}, runs)
        last = {"activities_limit": page}
        while True:  # to the last page, to time it
            next_cursor = client.get(path, params=last).json()["next_activities_cursor"]
            if next_cursor is None:
                break
            last = {"activities_limit": page, "activities_cursor": next_cursor}
        out[f"last page ({page})"] = timed_get(client, path, last, runs)
        out["whole session, outline"] = timed_get(client, path, {"activities_fields": "outline"}, runs)
    return {"activities": count, "pages": True, "queries": out}


def measure_browser(server: ServerProcess, sid: str, runs: int, paged: bool, total: int) -> dict:
    from playwright.sync_api import expect, sync_playwright

    sys.path.insert(0, str(REPO))
    from tests.support.browser import launch

    first, every = [], []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(120_000)
        page = context.new_page()
        page.goto(server.base_url + "/ui/")
        page.click("role=tab[name='API key']")
        page.fill("input[name=key]", server.api_key)
        page.click("button[type=submit]")
        page.wait_for_selector("tr.row")
        for _ in range(runs + 1):  # the first is a warm-up (module loading, caches)
            page.goto("about:blank")
            started = time.perf_counter()
            page.goto(f"{server.base_url}/ui/sessions/{sid}")
            page.wait_for_selector(TREE_ROW)
            first.append((time.perf_counter() - started) * 1000)
            if paged and page.locator(TREE_ROW).count() < total:
                page.get_by_role("button", name="Show all").click()
            expect(page.locator(TREE_ROW)).to_have_count(total, timeout=120_000)
            every.append((time.perf_counter() - started) * 1000)
        browser.close()
    first, every = first[1:], every[1:]
    return {
        "first row": {"median_ms": round(median(first), 1), "all_ms": [round(t, 1) for t in first]},
        "every row": {"median_ms": round(median(every), 1), "all_ms": [round(t, 1) for t in every]},
    }


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    with tempfile.TemporaryDirectory(prefix="pw-detail-") as directory:
        database = postgres_database() if args.db == "postgresql" else nullcontext(None)
        with database as url:
            server = ServerProcess(Path(directory), database_url=url)
            server.start()
            with server.running():
                sid = store_session(server, args.activities)
                deadline.check()
                api = measure_api(server, sid, args.page, args.runs)
                deadline.check()
                browser = (
                    measure_browser(server, sid, args.runs, api["pages"], api["activities"]) if args.browser else None
                )
    return {"db": args.db, "runs": args.runs, "page": args.page, "api": api, "browser": browser}


def report(result: dict) -> None:
    api = result["api"]
    rows = [(name, f"{q['median_ms']:,.1f} ms", f"{q['bytes'] / 1024:,.0f} KiB") for name, q in api["queries"].items()]
    title = f"Session detail of {api['activities']:,} activities, {result['db']}, API, median of {result['runs']}"
    print_table(title, rows, ("request", "time", "size"))
    if result["browser"]:
        rows = [(name, f"{m['median_ms']:,.0f} ms", "") for name, m in result["browser"].items()]
        print_table(
            f"The session's screen in Chromium, median of {result['runs']}", rows, ("on the screen", "time", "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--activities", type=int, default=3000)
    parser.add_argument("--page", type=int, default=200, help="the first page's size, as the web UI asks for it")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--browser", action="store_true", help="also time the web UI's screen in Chromium")
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    result = run(args)
    report(result)
    print(f"written to {write_results('session-detail', result)}")


if __name__ == "__main__":
    main()
