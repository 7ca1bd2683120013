"""Query latency of the session list (latest 50, with filters) and of a session detail, at growing store sizes.

Run from the repository root:

    .venv/bin/python bench/query_latency.py --db sqlite --sizes 100000
    .venv/bin/python bench/query_latency.py --db sqlite --sizes 1000000 --store /tmp/pw-query-store
    .venv/bin/python bench/query_latency.py --db postgresql --sizes 100000

The store is filled through the native ingest API with the same generator as the throughput benchmark
(bench/_workload.py), in requests of `--batch` activities (1,000 by default: fewer round trips; nothing is
written to the database directly, so the figures reflect real data). Each size in `--sizes` is a stage: fill
up to that many activities, then time each query `--runs` times after one warm-up and report the median, as
the client sees it over loopback HTTP. Each fill uses its own seed but the same 30-day window, so old and new
sessions interleave as real traffic would.

With `--store DIR` the data directory is kept (on PostgreSQL also the database, named in DIR's state file; drop
it yourself when done) and a later run resumes from what it holds: fill 100,000 in one run and go on to
1,000,000 in the next, each within the 15-minute limit. Prints a table and
writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import orjson
from _harness import Deadline, ServerProcess, postgres_database, print_table, send_batches, store_bytes, write_results
from _workload import COMMON_MODEL, PROJECTS, RARE_MODEL, Workload, requests
from sqlalchemy import create_engine

STATE_FILE = "bench-state.json"
# (name, query parameters) of the list queries; the detail query is added with an id from the store
LIST_QUERIES = (
    ("latest 50", {}),
    (f"model={COMMON_MODEL} (40% of calls)", {"model": COMMON_MODEL}),
    (f"model={RARE_MODEL} (5% of calls)", {"model": RARE_MODEL}),
    (f"project={PROJECTS[1]}", {"project": PROJECTS[1]}),
    ("q=refund (one word)", {"q": "refund"}),
    ("q=refund warranty (two words)", {"q": "refund warranty"}),
    ("has_error=true (3% of sessions)", {"has_error": "true"}),
    ("tenant + model", {"tenant": "tenant-007", "model": COMMON_MODEL}),
    # text search beyond the two above: a rarer combination (0.4% of activities at 1M), a word no activity
    # holds (`12345`: the generated text has no digits, and document ids are not searched), a filter beside
    # it, the other sort orders
    ("q=refund warranty invoice (three words)", {"q": "refund warranty invoice"}),
    ("q=12345 (a word no activity holds)", {"q": "12345"}),
    ("q=refund + tenant", {"q": "refund", "tenant": "tenant-007"}),
    ("q=refund, sort=oldest", {"q": "refund", "sort": "oldest"}),
    # prefixes: a word of 3 letters or more also matches the longer words it begins (`refun`: refund; `con`: 15
    # terms of the 1M store, 29% of activities)
    # ranges on a session's totals and duration (walked in the list's order: no index serves them)
    ("min_cost=0.01 (1% of sessions)", {"min_cost": "0.01"}),
    ("min_duration_ms=20000", {"min_duration_ms": "20000"}),
    ("project + max_cost=0.001", {"project": PROJECTS[1], "max_cost": "0.001"}),
    ("q=refun (a prefix)", {"q": "refun"}),
    ("q=con (a short prefix, 15 terms)", {"q": "con"}),
    # the cost and token orders, alone and with each usual filter; a tenant no session has shows whether a
    # filter the order's index cannot serve makes the list read the whole order
    ("sort=cost", {"sort": "cost"}),
    ("sort=tokens", {"sort": "tokens"}),
    ("project, sort=cost", {"project": PROJECTS[1], "sort": "cost"}),
    ("project, sort=tokens", {"project": PROJECTS[1], "sort": "tokens"}),
    ("tenant, sort=cost", {"tenant": "tenant-007", "sort": "cost"}),
    ("tenant no session has, sort=cost", {"tenant": "tenant-none", "sort": "cost"}),
    (f"model={RARE_MODEL}, sort=cost", {"model": RARE_MODEL, "sort": "cost"}),
    ("has_error=true, sort=tokens", {"has_error": "true", "sort": "tokens"}),
    ("q=refund, sort=cost", {"q": "refund", "sort": "cost"}),
    ("q=refund, sort=tokens", {"q": "refund", "sort": "tokens"}),
    ("q=refund + project, sort=cost", {"q": "refund", "project": PROJECTS[1], "sort": "cost"}),
    ("q=refund warranty, sort=cost", {"q": "refund warranty", "sort": "cost"}),
    ("q=refund warranty invoice, sort=tokens", {"q": "refund warranty invoice", "sort": "tokens"}),
    # a time range with the cost and token orders: `since` is that long before the end of the store's window
    # (the whole window, a week, a day, an hour)
    ("since=30 days, sort=cost", {"since": timedelta(days=30), "sort": "cost"}),
    ("since=7 days, sort=tokens", {"since": timedelta(days=7), "sort": "tokens"}),
    ("since=1 day, sort=cost", {"since": timedelta(days=1), "sort": "cost"}),
    ("since=1 hour, sort=cost", {"since": timedelta(hours=1), "sort": "cost"}),
    ("project + since=30 days, sort=cost", {"project": PROJECTS[1], "since": timedelta(days=30), "sort": "cost"}),
    ("q=refund + since=30 days, sort=cost", {"q": "refund", "since": timedelta(days=30), "sort": "cost"}),
    # the sessions holding a call given feedback (1 LLM call in 200 down, 1 in 20 up), and the count of what a
    # filter matches (`include_total`, up to 10,000 sessions) beside the same page without it
    ("feedback=down", {"feedback": "down"}),
    ("feedback=up", {"feedback": "up"}),
    ("feedback=any, sort=cost", {"feedback": "any", "sort": "cost"}),
    ("latest 50 + total", {"include_total": "true"}),
    (f"model={RARE_MODEL} + total", {"model": RARE_MODEL, "include_total": "true"}),
    ("has_error=true + total", {"has_error": "true", "include_total": "true"}),
    ("has_failed_activities=false + total", {"has_failed_activities": "false", "include_total": "true"}),
    ("feedback=down + total", {"feedback": "down", "include_total": "true"}),
    ("feedback=up + total", {"feedback": "up", "include_total": "true"}),
    ("tenant no session has + total", {"tenant": "tenant-none", "include_total": "true"}),
    ("since=1 day, sort=cost + total", {"since": timedelta(days=1), "sort": "cost", "include_total": "true"}),
    ("q=refund + total", {"q": "refund", "include_total": "true"}),
    ("q=refund warranty invoice + total", {"q": "refund warranty invoice", "include_total": "true"}),
)
# (name, query parameters) of the list of activities across sessions (`GET /api/v1/activities`)
ACTIVITY_QUERIES = (
    ("activities: latest 50", {}),
    ("activities: LLM calls", {"activity_type": "llm-prompt"}),
    (f"activities: model={COMMON_MODEL}", {"model": COMMON_MODEL}),
    (f"activities: model={RARE_MODEL}", {"model": RARE_MODEL}),
    ("activities: has_error=true (failed calls)", {"has_error": "true"}),
    ("activities: feedback=down (1 call in 200)", {"feedback": "down"}),
    ("activities: feedback=up, LLM calls", {"feedback": "up", "activity_type": "llm-prompt"}),
    ("activities: tenant + model", {"tenant": "tenant-007", "model": COMMON_MODEL}),
    (f"activities: project={PROJECTS[1]}, LLM calls", {"project": PROJECTS[1], "activity_type": "llm-prompt"}),
    ("activities: since=1 day, LLM calls", {"since": timedelta(days=1), "activity_type": "llm-prompt"}),
)
TARGET_MS = 50
SLOW_SECONDS, VERY_SLOW_SECONDS = 2.0, 30.0


def load_state(data_dir: Path) -> dict:
    path = data_dir / STATE_FILE
    if path.exists():
        return json.loads(path.read_text())
    end = datetime.now(timezone.utc).replace(microsecond=0)
    return {"activities": 0, "llm_calls": 0, "fills": 0, "end": end.isoformat(), "api_key": None}


def save_state(data_dir: Path, state: dict) -> None:
    (data_dir / STATE_FILE).write_text(json.dumps(state, indent=2))


def fill(server: ServerProcess, state: dict, target: int, args: argparse.Namespace, deadline: Deadline) -> dict:
    """Ingest activities through the API until the store holds `target`; returns the fill's figures."""
    missing = target - state["activities"]
    if missing <= 0:
        return {"added": 0}
    state["fills"] += 1
    workload = Workload(seed=1000 + state["fills"], end=datetime.fromisoformat(state["end"]))
    counted = {"llm_calls": 0}

    def bodies():
        for batch in requests(workload.sessions(missing), args.batch):
            counted["llm_calls"] += sum(a["activity_type"] == "llm-prompt" for a in batch["activities"])
            yield orjson.dumps(batch)

    started = time.perf_counter()
    sent = send_batches(server.base_url, server.api_key, bodies(), args.concurrency, deadline)
    seconds = time.perf_counter() - started
    if sent.requests == 0 or deadline.left() <= 0:
        raise TimeoutError("the fill did not finish within the time limit")
    state["activities"] = target  # every item was stored, or send_batches raised
    state["llm_calls"] += counted["llm_calls"]
    return {
        "added": missing,
        "seconds": round(seconds, 1),
        "activities_per_second": round(missing / seconds, 1),
        "server_errors_resent": sent.server_errors,
    }


def check_count(client: httpx.Client, state: dict) -> None:
    calls = client.get("/api/v1/metrics/usage").json()["totals"]["calls"]
    if calls != state["llm_calls"]:
        raise RuntimeError(f"the store counts {calls} LLM calls, {state['llm_calls']} were sent")


def time_query(client: httpx.Client, path: str, params: dict, runs: int) -> dict:
    """Median (and min/max) wall milliseconds of `runs` GETs after one warm-up; a query whose warm-up took
    over SLOW_SECONDS is repeated 3 times only, over VERY_SLOW_SECONDS not at all (the warm-up is reported)."""
    started = time.perf_counter()
    response = client.get(path, params=params)
    warm_up = time.perf_counter() - started
    response.raise_for_status()
    if warm_up > VERY_SLOW_SECONDS:
        runs = 0
    elif warm_up > SLOW_SECONDS:
        runs = min(runs, 3)
    samples = [1000 * warm_up] if runs == 0 else []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, params=params)
        samples.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
    body = response.json()
    items = len(body.get("items", body.get("activities", [])))
    counted = {"total": body["total"], "total_capped": body["total_capped"]} if "total" in body else {}
    return {
        "runs": runs,
        "median_ms": round(statistics.median(samples), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        "items": items,
        **counted,
    }


def measure(client: httpx.Client, runs: int, end: datetime) -> dict[str, dict]:
    results = {
        name: time_query(client, "/api/v1/sessions", {**_resolved(params, end), "limit": 50}, runs)
        for name, params in LIST_QUERIES
    }
    for name, params in ACTIVITY_QUERIES:
        results[name] = time_query(client, "/api/v1/activities", {**_resolved(params, end), "limit": 50}, runs)
    latest = client.get("/api/v1/sessions", params={"limit": 50}).json()["items"]
    chosen = max(latest, key=lambda s: s["activity_count"])
    name = f"session detail ({chosen['activity_count']} activities)"
    results[name] = time_query(client, f"/api/v1/sessions/{chosen['id']}", {}, runs)
    return results


def _resolved(params: dict, end: datetime) -> dict:
    """The query parameters, a time span standing for that long before `end`."""
    return {k: (end - v).isoformat() if isinstance(v, timedelta) else v for k, v in params.items()}


def analyze(url: str) -> None:
    """PostgreSQL plans from table statistics, which a freshly filled table lacks until autovacuum analyzes
    it (within a minute or so in production; the hourly cleanup cycle's VACUUM (ANALYZE) too). Without
    them, `tenant` + `model` took seconds instead of milliseconds: measure the store as it runs, analyzed."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    stages = []
    with ExitStack() as stack:
        if args.store:
            data_dir = Path(args.store)
        else:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-query-"))) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        state = load_state(data_dir)
        if state.setdefault("db", args.db) != args.db:
            raise SystemExit(f"{data_dir} holds a {state['db']} store; pass --db {state['db']} or another --store")
        if args.db == "postgresql" and args.store:  # the database is kept too, named in the state file
            path_hash = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
            state.setdefault("database", f"pw_bench_store_{path_hash}")
            save_state(data_dir, state)
        url = stack.enter_context(postgres_database(state.get("database"))) if args.db == "postgresql" else None
        server = stack.enter_context(ServerProcess(data_dir, database_url=url).running())
        server.start()
        if state["api_key"] is None:
            state["api_key"] = server.api_key
        server.api_key = state["api_key"]
        headers = {"Authorization": f"Bearer {server.api_key}"}
        client = stack.enter_context(httpx.Client(base_url=server.base_url, headers=headers, timeout=600))
        for size in args.sizes:
            filled = fill(server, state, size, args, deadline)
            save_state(data_dir, state)
            check_count(client, state)
            if url:
                analyze(url)
            print(f"store holds {state['activities']:,} activities; fill: {filled}", flush=True)
            stages.append(
                {
                    "activities": state["activities"],
                    "fill": filled,
                    "store_bytes": store_bytes(data_dir, url),
                    "queries": measure(client, args.runs, datetime.fromisoformat(state["end"])),
                }
            )
    return {"db": args.db, "runs": args.runs, "batch": args.batch, "stages": stages}


def _runs_note(query: dict, runs: int) -> str:
    done = query.get("runs", runs)
    if done == runs:
        return ""
    return "; the warm-up only (too slow to repeat)" if done == 0 else f"; {done} runs only (slow)"


def _total_note(query: dict) -> str:
    if "total" not in query:
        return ""
    return f", total {query['total']:,}{'+' if query['total_capped'] else ''}"


def report(result: dict) -> None:
    for stage in result["stages"]:
        rows = [
            (
                name,
                f"{q['median_ms']:,.1f} ms",
                f"{q['items']} items{_total_note(q)}; min {q['min_ms']:,.1f}, max {q['max_ms']:,.1f}"
                + _runs_note(q, result["runs"]),
            )
            for name, q in stage["queries"].items()
        ]
        title = (
            f"{result['db']}: {stage['activities']:,} activities stored "
            f"({stage['store_bytes'] / 2**20:,.0f} MB), median of {result['runs']} after a warm-up "
            f"(target for filtered lists at 1M on SQLite: < {TARGET_MS} ms)"
        )
        print_table(title, rows, ("query", "median", "notes"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--store", help="data directory (and PostgreSQL database) to keep and resume")
    parser.add_argument("--batch", type=int, default=1000, help="activities per ingest request while filling")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    result = run(args)
    report(result)
    load = os.getloadavg()
    path = write_results(f"query-{args.db}", {"command": sys.argv, "load_average_after": load, **result})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
