"""Ingest throughput of the native batch API, end to end, with the server's CPU, memory, start-up and disk.

Run from the repository root:

    .venv/bin/python bench/ingest_throughput.py --db sqlite
    .venv/bin/python bench/ingest_throughput.py --db postgresql --activities 100000 --concurrency 4

What it does: generates realistic LLM sessions (bench/_workload.py) as requests of 100 activities before the
clock starts, starts `promptwatch up` on a fresh store (first-run time), then posts every request over
`--concurrency` keep-alive connections and stops the clock when everything is visible through the API (the
newest session is in the latest-50 list with all its activities and the usage metrics count every LLM call).
Meanwhile it samples the server's RSS every 100 ms and its user+system CPU. Afterwards: a full count through
the paged session list, disk bytes per stored activity, and the median of 5 restarts on the filled store.
`--py-spy` also records where the server spends its CPU (collapsed stacks, summarised into top functions).

Prints a table and writes JSON to bench/results/. The run aborts after 15 minutes.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import orjson
from _harness import (
    PROMPTWATCH,
    RESULTS_DIR,
    Deadline,
    ResourceSampler,
    ServerProcess,
    median,
    postgres_database,
    postgres_processes,
    print_table,
    send_batches,
    startup_times,
    store_bytes,
    write_results,
)
from _workload import Workload, requests

POLL_SECONDS = 0.05


def build_requests(activities: int, per_request: int, seed: int) -> tuple[list[bytes], dict]:
    """Every request body, and what must be visible once all are stored."""
    bodies, llm_calls, sessions, newest = [], 0, 0, None
    for batch in requests(Workload(seed=seed).sessions(activities), per_request):
        for activity in batch["activities"]:
            llm_calls += activity["activity_type"] == "llm-prompt"
        if batch["sessions"]:
            sessions += len(batch["sessions"])
            newest = batch["sessions"][-1]["id"]
        bodies.append(orjson.dumps(batch))
    counts = collections.Counter()
    for body in bodies[-2:]:
        for activity in orjson.loads(body)["activities"]:
            counts[activity["session_id"]] += 1
    expected = {"activities": activities, "llm_calls": llm_calls, "sessions": sessions, "newest": newest}
    expected["newest_activities"] = counts[newest]
    return bodies, expected


def wait_visible(client: httpx.Client, expected: dict, deadline: Deadline) -> None:
    """Poll the latest-50 list and the usage totals until the whole run shows."""
    while True:
        deadline.check()
        page = client.get("/api/v1/sessions", params={"limit": 50}).json()["items"]
        newest = next((s for s in page if s["id"] == expected["newest"]), None)
        if newest is not None and newest["activity_count"] == expected["newest_activities"]:
            totals = client.get("/api/v1/metrics/usage").json()["totals"]
            if totals["calls"] == expected["llm_calls"]:
                return
        time.sleep(POLL_SECONDS)


def count_stored(client: httpx.Client, deadline: Deadline) -> tuple[int, int]:
    """Sessions and activities through the paged session list (after the timed part)."""
    sessions = activities = 0
    cursor = None
    while True:
        deadline.check()
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/sessions", params=params).json()
        sessions += len(page["items"])
        activities += sum(s["activity_count"] for s in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return sessions, activities


# leaves where a sampled thread only waits (py-spy's idle detection misses some of them on a busy machine)
_WAITING = ("Condition.wait (threading.py)", "EpollSelector.select (selectors.py)", "_worker (thread.py)")
STAGES = {  # where the server's CPU goes, by the outermost frame of ours in a sample
    "batch writer: SQL execution (sqlite3/psycopg)": ("do_execute (default.py)", "do_executemany (default.py)"),
    "batch writer: body compression": ("encode_body (bodies.py)",),
    "batch writer: total": ("BatchWriter._write (batch_writer.py)",),
    "request: JSON parse + pydantic validation": ("parse_json (ingest.py)", "BaseModel.model_validate (main.py)"),
    "request: build records (tokens, price)": ("build_activity_record (activity_records.py)",),
    "request: ingest service total": ("IngestService.ingest_batch (ingest.py)",),
    "authentication": ("caller (deps.py)",),
}


def top_functions(collapsed: Path, count: int = 25) -> dict:
    """Self and inclusive shares of the busy samples by function, and by stage (py-spy `--format raw`)."""
    own, inclusive, total = collections.Counter(), collections.Counter(), 0
    for line in collapsed.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        frames = [_frame_name(f) for f in stack.split(";")]
        if frames[-1] in _WAITING:
            continue
        n = int(samples)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n

    def share(n: int) -> float:
        return round(100 * n / max(total, 1), 1)

    stages = {
        stage: share(sum(n for f, n in inclusive.items() if any(f.endswith(m) for m in marks)))
        for stage, marks in STAGES.items()
    }
    return {
        "busy_samples": total,
        "stages_percent": stages,
        "self_percent": [(name, share(n)) for name, n in own.most_common(count)],
        "inclusive_percent": [(name, share(n)) for name, n in inclusive.most_common(count * 2)],
    }


def _frame_name(frame: str) -> str:
    """`function (path/to/module.py:123)` -> `function (module.py)`."""
    function, _, where = frame.partition(" (")
    return f"{function} ({where.split(':')[0].rsplit('/', 1)[-1]})"


def _log_errors(log: Path, most: int = 5) -> list[str]:
    """Distinct exception lines from the server's log (what the 5xx answers were about)."""
    found: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        if ("Error:" in line or "Exception:" in line) and line[:1] not in " \t" and line not in found:
            found.append(line[:300])
    return found[:most]


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    load_before = os.getloadavg()
    made = time.perf_counter()
    bodies, expected = build_requests(args.activities, args.per_request, args.seed)
    print(
        f"generated {len(bodies)} requests, {expected['sessions']} sessions, {args.activities} activities "
        f"({sum(map(len, bodies)) / args.activities:.0f} B of JSON each) in {time.perf_counter() - made:.1f} s"
    )
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-bench-")))
        url = stack.enter_context(postgres_database()) if args.db == "postgresql" else None
        server = stack.enter_context(ServerProcess(data_dir / "data", database_url=url).running())
        first_start = server.start()
        first_start_cpu = server.start_cpu_seconds
        empty_bytes = store_bytes(server.data_dir, url)
        extra = postgres_processes() if url else []
        profile = RESULTS_DIR / f"ingest-{args.db}-pyspy.txt" if args.py_spy else None
        with ResourceSampler(server.pid, extra=extra) as sampler, py_spy(server.pid, profile):
            headers = {"Authorization": f"Bearer {server.api_key}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
                started = time.perf_counter()
                sent = send_batches(server.base_url, server.api_key, bodies, args.concurrency, deadline)
                acknowledged = time.perf_counter() - started
                wait_visible(client, expected, deadline)
                visible = time.perf_counter() - started
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
            stored_sessions, stored_activities = count_stored(client, deadline)
        if (stored_sessions, stored_activities) != (expected["sessions"], args.activities):
            raise RuntimeError(
                f"stored {stored_sessions} sessions / {stored_activities} activities, "
                f"sent {expected['sessions']} / {args.activities}"
            )
        server_log_errors = _log_errors(server.log_path) if sent.server_errors else []
        full_bytes = store_bytes(server.data_dir, url)
        restart_cpu: list[float] = []
        restarts = startup_times(server, args.restarts, restart_cpu)
    latencies = sorted(sent.latencies)
    result = {
        "db": args.db,
        "activities": args.activities,
        "sessions": expected["sessions"],
        "per_request": args.per_request,
        "concurrency": args.concurrency,
        "seconds_to_acknowledged": round(acknowledged, 3),
        "seconds_to_visible": round(visible, 3),
        "activities_per_second": round(args.activities / visible, 1),
        "request_latency_p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "request_latency_p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 1),
        "retries_503": sent.retries,
        "server_errors_resent": sent.server_errors,
        "server_error_samples": server_log_errors or sent.errors[:3],
        "server_cpu_seconds": round(sampler.cpu_seconds, 2),
        "server_cpu_ms_per_activity": round(1000 * sampler.cpu_seconds / args.activities, 4),
        "main_thread_cpu_ms_per_activity": [round(1000 * t / args.activities, 4) for t in sampler.main_thread_cpu],
        "other_threads_cpu_ms_per_activity": [round(1000 * t / args.activities, 4) for t in sampler.other_threads_cpu],
        "postgres_cpu_ms_per_activity": round(1000 * sampler.extra_cpu_seconds / args.activities, 4) if url else None,
        "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "first_start_seconds": round(first_start, 3),
        "first_start_cpu_seconds": round(first_start_cpu, 2),
        "restart_seconds": [round(t, 3) for t in restarts],
        "restart_cpu_median_seconds": round(median(restart_cpu), 2) if restart_cpu else None,
        "restart_median_seconds": round(median(restarts), 3) if restarts else None,
        "store_bytes_empty": empty_bytes,
        "store_bytes_full": full_bytes,
        "bytes_per_activity": round((full_bytes - empty_bytes) / args.activities),
        "request_json_bytes_per_activity": round(sum(map(len, bodies)) / args.activities),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    if profile is not None and profile.exists():
        result["profile"] = top_functions(profile)
    return result


@contextmanager
def py_spy(pid: int, output: Path | None):
    """`py-spy record` on the server while the block runs, when `output` is given."""
    if output is None:
        yield
        return
    output.parent.mkdir(exist_ok=True)
    spy = Path(PROMPTWATCH).with_name("py-spy")
    command = [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "-o", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # let it attach
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _user_system(pair: list[float]) -> str:
    return f"{pair[0]:.3f} + {pair[1]:.3f} ms"


def report(result: dict) -> None:
    db = result["db"]
    target = db == "sqlite"
    rows = [
        ("activities stored", f"{result['activities']:,} in {result['sessions']:,} sessions", ""),
        ("end to end", f"{result['activities_per_second']:,.0f} activities/s", "≥ 10,000/s" if target else ""),
        ("  acknowledged after", f"{result['seconds_to_acknowledged']:.2f} s", ""),
        ("  visible after", f"{result['seconds_to_visible']:.2f} s", ""),
        ("request latency p50/p95", f"{result['request_latency_p50_ms']}/{result['request_latency_p95_ms']} ms", ""),
        ("requests 5xx or dropped, resent", f"{result['server_errors_resent']} (503: {result['retries_503']})", "0"),
        ("server CPU per activity", f"{result['server_cpu_ms_per_activity']:.3f} ms", "< 0.1 ms" if target else ""),
        ("  event loop thread, user + system", _user_system(result["main_thread_cpu_ms_per_activity"]), ""),
        ("  other threads (writer), user + system", _user_system(result["other_threads_cpu_ms_per_activity"]), ""),
    ]
    if result["postgres_cpu_ms_per_activity"] is not None:
        rows.append(("PostgreSQL CPU per activity", f"{result['postgres_cpu_ms_per_activity']:.3f} ms", ""))
    rows += [
        ("server peak RSS", f"{result['peak_rss_mb']:.0f} MB", "< 200 MB" if target else ""),
        ("first start (empty store)", f"{result['first_start_seconds']:.2f} s", ""),
        (
            f"restart, median of {len(result['restart_seconds'])}",
            f"{result['restart_median_seconds'] or float('nan'):.2f} s",
            "< 2 s" if target else "",
        ),
        ("  CPU used by a restart", f"{result['restart_cpu_median_seconds'] or float('nan'):.2f} s", "median"),
        ("disk per activity", f"{result['bytes_per_activity']:,} B", "≤ 2,048 B" if target else ""),
        ("request JSON per activity", f"{result['request_json_bytes_per_activity']:,} B", "(for scale)"),
        (
            "machine load before/after",
            " / ".join(f"{x[0]:.1f}" for x in (result["load_average_before"], result["load_average_after"])),
            "1-min load average, 2 cores",
        ),
    ]
    print_table(f"PromptWatch ingest on {db}, concurrency {result['concurrency']}", rows)
    if "profile" in result:
        print("\nserver CPU by stage (share of busy py-spy samples, stages overlap):")
        for stage, share in result["profile"]["stages_percent"].items():
            print(f"  {share:5.1f}%  {stage}")
        print("\nserver CPU by function (self):")
        for name, share in result["profile"]["self_percent"]:
            print(f"  {share:5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=4, help="client connections")
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--limit-minutes", type=float, default=15)
    parser.add_argument("--py-spy", action="store_true", help="profile the server (slows it a little)")
    args = parser.parse_args()
    result = run(args)
    report(result)
    print(f"\nwritten to {write_results(f'ingest-{args.db}', {'command': sys.argv, **result})}")


if __name__ == "__main__":
    main()
