"""Overhead of an `@observe`-decorated no-op call against a bare call (targets: < 5 µs in the caller,
< 10 µs of CPU per call including export).

Run: `.venv/bin/python bench/bench_sdk_overhead.py [--calls 100000]`. The capture sink runs in its own
process, so this process's CPU time is the SDK's: the caller's work plus the worker's batching,
encoding and sending. Prints medians of batches of 1,000 calls and writes bench/results/sdk_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.capture_sink import API_KEY  # noqa: E402

import promptwatch  # noqa: E402
from promptwatch import observe  # noqa: E402

BATCH = 1000


def noop() -> None:
    return None


traced_noop = observe(name="noop")(noop)


def median_call_us(fn, calls: int) -> float:
    """Median over batches of the mean time of one call, in µs."""
    samples = []
    for _ in range(max(1, calls // BATCH)):
        start = time.perf_counter_ns()
        for _ in range(BATCH):
            fn()
        samples.append((time.perf_counter_ns() - start) / BATCH / 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    calls = parser.parse_args().calls

    sink = subprocess.Popen([sys.executable, "-m", "tests.support.capture_sink"], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = sink.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as spool:
        promptwatch.configure(api_key=API_KEY, host_url=url, spool_dir=spool, queue_size=calls + 1000)
        median_call_us(traced_noop, 10 * BATCH)  # warm-up (starts the worker)
        promptwatch.flush(30)

        bare = median_call_us(noop, calls)
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        traced = median_call_us(traced_noop, calls)
        flushed = promptwatch.flush(60)
        cpu_per_call = (time.process_time() - cpu_start) / calls * 1e6
        wall = time.perf_counter() - wall_start
        stats = promptwatch.sdk.pipeline.get_pipeline().stats()
        promptwatch.shutdown(5)
    sink.stdin.close()
    received = sink.stdout.read().split()
    sink.wait(10)

    result = {
        "calls": calls,
        "bare_call_us": round(bare, 4),
        "observe_call_us": round(traced, 3),
        "observe_overhead_us": round(traced - bare, 3),
        "cpu_per_call_with_export_us": round(cpu_per_call, 3),
        "wall_seconds_incl_export": round(wall, 2),
        "flushed": flushed,
        "sdk_stats": stats,
        "sink_received_activities": int(received[0]) if received else None,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(f"bare call                          {bare:8.3f} µs")
    print(f"@observe no-op, time in the caller {traced:8.3f} µs   (target < 5)")
    print(f"CPU per call incl. export          {cpu_per_call:8.3f} µs   (target < 10)")
    print(f"sent {stats.get('sent')} events, dropped {stats.get('dropped_queue_full')}, sink got "
          f"{result['sink_received_activities']} activities")
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "sdk_overhead.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
