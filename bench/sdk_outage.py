"""The SDK while the server is down: memory during 100,000 traced calls, the spool on disk, then the time to
drain the spool when a real server comes back, and a check that every event arrived exactly once.

Run from the repository root:

    .venv/bin/python bench/sdk_outage.py [--calls 100000] [--rate 20000] [--per-session 10]

1. `promptwatch up` is started once on a fresh SQLite store (to create the API key) and stopped: its port
   now refuses connections.
2. The SDK (default settings: queue of 10,000 events, batches of 500, 100 MB spool cap), pointed at that
   port, records `--calls` `@observe` calls with a short string argument and result, `--per-session` to a
   `with PromptWatch()` session, at `--rate` calls per second (0: as fast as the loop goes). The process's
   RSS is sampled every 100 ms (peak, and at 10 % / 50 % / 100 % of the calls) and tracemalloc's peak is
   read. This app does not import LangChain (langchain-core is installed): the baseline is taken after a
   first empty `with PromptWatch()`, and the run checks that LangChain was never imported. tracemalloc
   runs during the calls: its own bookkeeping is in the RSS figures, which are therefore an upper bound
   (`--no-tracemalloc` for clean RSS). Then `promptwatch.flush()` until everything is spooled, and the
   spool's files and bytes on disk are counted.
3. The server is started again on the same store and port. Timed from healthy: until the SDK's first
   batch is taken (the SDK's backoff), until the spool is empty, and until every activity is visible
   through the API (the paged session list's activity counts). The SDK's requests are counted (its
   `Delivery._post` is wrapped in this process, for the count), with the events in them, the longest and
   those that timed out (which the server may have taken twice).
4. Exactly once: the account's export (`GET /api/v1/export`, JSON Lines) must hold exactly `--calls`
   distinct activity ids, all of this run, no duplicate rows, and the sessions expected. The SDK queues
   `--calls` activities and two records per session (opened with its first activity, then closed).

Prints a table and writes JSON to bench/results/. The run aborts after 15 minutes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import httpx
import psutil
from _harness import REPO, Deadline, ServerProcess, print_table, write_results

sys.path.insert(0, str(REPO / "src"))

import promptwatch  # noqa: E402
from promptwatch import PromptWatch, observe  # noqa: E402
from promptwatch.sdk import _ids as sdk_ids  # noqa: E402
from promptwatch.sdk import pipeline as sdk_pipeline  # noqa: E402

SETTLED = 20.0
"""Seconds without a new visible activity after which an incomplete drain is reported as it is."""


@observe(name="answer")
def answer(question: str) -> str:
    return "It ships in three to five days."


class RssSampler:
    """This process's RSS every 100 ms; `peak` and `now()`."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        return self.process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self.peak = max(self.peak, self.now())


def record_calls(calls: int, per_session: int, rate: float, use_tracemalloc: bool) -> dict:
    """The traced calls while the server is down, with memory figures."""
    checkpoints = {calls // 10: "rss_at_10pct_mb", calls // 2: "rss_at_50pct_mb", calls: "rss_at_100pct_mb"}
    out: dict = {}
    mib = 2**20
    with RssSampler() as rss:
        out["rss_sdk_imported_mb"] = round(rss.now() / mib, 1)
        with PromptWatch():  # an app without LangChain: the first context must not import it
            pass
        out["langchain_imported"] = "langchain_core" in sys.modules
        rss.peak = rss.now()
        out["rss_before_mb"] = round(rss.now() / mib, 1)
        if use_tracemalloc:
            tracemalloc.start()
        started, thread_started = time.perf_counter(), time.thread_time()
        done = 0
        question = "When will my order arrive? I ordered it last Tuesday."
        while done < calls:
            with PromptWatch(tracking_project="outage"):
                for _ in range(min(per_session, calls - done)):
                    answer(question)
                    done += 1
                    if done in checkpoints:
                        out[checkpoints[done]] = round(rss.now() / mib, 1)
            if rate:
                ahead = done / rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)
        out["calls_seconds"] = round(time.perf_counter() - started, 2)
        out["caller_cpu_us_per_call"] = round((time.thread_time() - thread_started) / calls * 1e6, 2)
        out["stats_after_calls"] = sdk_pipeline.get_pipeline().stats()
        flushed = promptwatch.flush(120)
        out["flush_to_spool_seconds"] = round(time.perf_counter() - started - out["calls_seconds"], 2)
        out["flushed"] = flushed
        if use_tracemalloc:
            out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / mib, 1)
            tracemalloc.stop()
    out["rss_peak_mb"] = round(rss.peak / mib, 1)
    out["rss_after_flush_mb"] = round(rss.now() / mib, 1)
    out["stats_spooled"] = sdk_pipeline.get_pipeline().stats()
    return out


def spool_size(spool: Path) -> tuple[int, int]:
    files = [p for p in spool.rglob("*.json.gz") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def count_requests() -> dict:
    """Count the SDK's requests from now on, with their events and durations (its `_post`, wrapped here)."""
    delivery = sdk_pipeline.get_pipeline().worker.delivery
    counts = {"requests": 0, "events": 0, "longest_seconds": 0.0, "timeouts": 0}
    post = delivery._post

    def counted(items):
        started = time.perf_counter()
        reply = post(items)
        counts["requests"] += 1
        counts["events"] += len(items[0]) + len(items[1])
        counts["longest_seconds"] = round(max(counts["longest_seconds"], time.perf_counter() - started), 2)
        counts["timeouts"] += reply.timed_out
        return reply

    delivery._post = counted
    return counts


def wait_drained(server: ServerProcess, expected_activities: int, deadline: Deadline) -> dict:
    """After the server is healthy: first batch taken, spool empty, everything visible (or, when the SDK
    dropped events, until the visible count has not moved for `SETTLED` seconds)."""
    worker = sdk_pipeline.get_pipeline()
    healthy = time.perf_counter()
    sent0 = worker.stats()["sent"]
    requests = count_requests()
    first = empty = None
    while empty is None:
        deadline.check()
        stats = worker.stats()
        if first is None and stats["sent"] > sent0:
            first = time.perf_counter() - healthy
        if stats["spooled_files"] == 0 and stats["queued"] == 0:
            empty = time.perf_counter() - healthy
        time.sleep(0.02)
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
        last, moved = (-1, -1), time.perf_counter()
        while True:
            deadline.check()
            visible = count_visible(client)
            if visible[1] >= expected_activities:
                break
            if visible != last:
                last, moved = visible, time.perf_counter()
            elif time.perf_counter() - moved > SETTLED:  # incomplete: the export check says what is missing
                break
            time.sleep(0.1)
    return {
        "requests": requests,
        "seconds_to_first_batch_taken": round(first or 0.0, 2),
        "seconds_to_spool_empty": round(empty, 2),
        "seconds_to_all_visible": round(time.perf_counter() - healthy, 2),
        "visible_sessions": visible[0],
        "visible_activities": visible[1],
    }


def count_visible(client: httpx.Client) -> tuple[int, int]:
    sessions = activities = 0
    cursor = None
    while True:
        page = client.get("/api/v1/sessions", params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        page.raise_for_status()
        data = page.json()
        sessions += len(data["items"])
        activities += sum(s["activity_count"] for s in data["items"])
        cursor = data["next_cursor"]
        if not cursor:
            return sessions, activities


def owner_token(server: ServerProcess) -> str:
    """Log in as the owner the first start printed (`owner: <e-mail>  password: <password>`)."""
    for line in server.log_path.read_text(errors="replace").splitlines():
        if "owner:" in line and "password:" in line:
            email, password = line.split("owner:", 1)[1].split("password:")
            reply = httpx.post(
                f"{server.base_url}/api/v1/auth/login",
                json={"email": email.strip(), "password": password.strip()},
                timeout=60,
            )
            reply.raise_for_status()
            return reply.json()["token"]
    raise RuntimeError("no owner credentials in the server's log")


def exactly_once(server: ServerProcess, calls: int, sessions: int) -> dict:
    """Distinct activity and session ids in the account's export, against what this run recorded."""
    headers = {"Authorization": f"Bearer {owner_token(server)}"}  # the export is the owner's, not a key's
    response = httpx.get(f"{server.base_url}/api/v1/export", headers=headers, timeout=300)
    response.raise_for_status()
    rows: dict[str, list[str]] = {"activities": [], "sessions": []}
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for name in archive.namelist():
            kind = Path(name).name.removesuffix(".jsonl")
            if kind in rows:
                rows[kind] = [json.loads(line)["id"] for line in archive.read(name).splitlines() if line.strip()]
    activity_ids = [i.replace("-", "").lower() for i in rows["activities"]]
    ours = sum(i.startswith(sdk_ids.prefix) for i in set(activity_ids))
    result = {
        "export_activity_rows": len(activity_ids),
        "export_distinct_activity_ids": len(set(activity_ids)),
        "export_activity_ids_of_this_run": ours,
        "export_session_rows": len(rows["sessions"]),
        "export_distinct_session_ids": len(set(rows["sessions"])),
    }
    result["exactly_once"] = (
        len(activity_ids) == len(set(activity_ids)) == ours == calls and len(set(rows["sessions"])) == sessions
    )
    return result


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    load_before = os.getloadavg()
    sessions = -(-args.calls // args.per_session)
    with tempfile.TemporaryDirectory(prefix="pw-outage-") as tmp:
        server = ServerProcess(Path(tmp) / "data")
        spool = Path(tmp) / "spool"
        with server.running():
            server.start()
            server.stop()  # down: connections to its port are refused
            promptwatch.configure(api_key=server.api_key, host_url=server.base_url, spool_dir=str(spool))
            config = sdk_pipeline.get_pipeline().config
            down = record_calls(args.calls, args.per_session, args.rate, not args.no_tracemalloc)
            files, size = spool_size(spool)
            down.update(spool_files=files, spool_bytes=size)
            restart = server.start()
            drain = wait_drained(server, args.calls, deadline)
            drain["restart_seconds"] = round(restart, 2)
            drain["sdk_stats"] = sdk_pipeline.get_pipeline().stats()
            check = exactly_once(server, args.calls, sessions)
            promptwatch.shutdown(5)
    return {
        "calls": args.calls,
        "per_session": args.per_session,
        "sessions": sessions,
        "rate": args.rate,
        "sdk_settings": {k: getattr(config, k) for k in ("queue_size", "batch_size", "spool_max_bytes")},
        "down": down,
        "drain": drain,
        "check": check,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


def report(r: dict) -> None:
    d, dr, c = r["down"], r["drain"], r["check"]
    events = r["calls"] + 2 * r["sessions"]  # each session is sent when opened and again when closed
    rows = [
        ("traced calls, server down", f"{r['calls']:,} in {r['sessions']:,} sessions ({events:,} events)",
         "activities + 2 records a session"),
        ("  calls took", f"{d['calls_seconds']:.2f} s", f"paced at {r['rate']:,.0f}/s" if r["rate"] else "unpaced"),
        (
            "  caller's CPU per call",
            f"{d['caller_cpu_us_per_call']:.1f} µs",
            "tracemalloc on" if "tracemalloc_peak_mb" in d else "",
        ),
        (
            "  queued after the calls",
            f"{d['stats_after_calls']['queued']:,} events",
            f"queue bound {r['sdk_settings']['queue_size']:,}",
        ),
        (
            "  dropped (queue full / spool full)",
            f"{d['stats_spooled']['dropped_queue_full']} / {d['stats_spooled']['dropped_spool_full']}",
            "0 / 0",
        ),
        (
            "RSS: SDK imported / after a first context",
            f"{d['rss_sdk_imported_mb']} / {d['rss_before_mb']} MB",
            f"LangChain imported: {d['langchain_imported']}",
        ),
        ("RSS before / peak", f"{d['rss_before_mb']} / {d['rss_peak_mb']} MB", "process, sampled 100 ms"),
        (
            "RSS at 10 % / 50 % / 100 % of calls",
            f"{d['rss_at_10pct_mb']} / {d['rss_at_50pct_mb']} / {d['rss_at_100pct_mb']} MB",
            "flat = bounded",
        ),
        ("tracemalloc peak", f"{d.get('tracemalloc_peak_mb', 'off')} MB", "Python allocations, all threads"),
        (
            "spool on disk",
            f"{d['spool_files']:,} files, {d['spool_bytes'] / 2**20:.1f} MB",
            f"{d['spool_bytes'] / events:.0f} B/event (gzip)",
        ),
        ("server restart to healthy", f"{dr['restart_seconds']:.2f} s", ""),
        ("first spooled batch taken after", f"{dr['seconds_to_first_batch_taken']:.2f} s", "SDK backoff"),
        (
            "spool empty after",
            f"{dr['seconds_to_spool_empty']:.2f} s",
            f"{events / max(dr['seconds_to_spool_empty'], 1e-9):,.0f} events/s incl. backoff",
        ),
        ("all visible through the API after", f"{dr['seconds_to_all_visible']:.2f} s", ""),
        (
            "export: activity rows / distinct / of this run",
            f"{c['export_activity_rows']:,} / {c['export_distinct_activity_ids']:,} / "
            f"{c['export_activity_ids_of_this_run']:,}",
            f"= {r['calls']:,}",
        ),
        ("export: distinct sessions", f"{c['export_distinct_session_ids']:,}", f"= {r['sessions']:,}"),
        ("exactly once", str(c["exactly_once"]), "True"),
        ("SDK sent events (resends included)", f"{dr['sdk_stats']['sent']:,}", f"{events:,} recorded"),
        (
            "SDK requests after healthy / events in them",
            f"{dr['requests']['requests']:,} / {dr['requests']['events']:,}",
            f"longest {dr['requests']['longest_seconds']} s, {dr['requests']['timeouts']} timed out",
        ),
        (
            "machine load before/after",
            " / ".join(f"{x[0]:.1f}" for x in (r["load_average_before"], r["load_average_after"])),
            "1-min, 2 cores",
        ),
    ]
    print_table("PromptWatch SDK through a server outage", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--per-session", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20_000, help="calls per second; 0 for unpaced")
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    result = run(args)
    report(result)
    print(f"\nwritten to {write_results('sdk-outage', {'command': sys.argv, **result})}")


if __name__ == "__main__":
    main()
