"""OTLP/HTTP ingestion throughput into the real server (spans per second, end to end), next to the native
ingest API's activities per second, in the same run, at the same size, measured the same way.

Run from the repository root:

    .venv/bin/python bench/otlp_throughput.py [--items 50000] [--concurrency 4] [--order native,otlp]

Both parts use the sessions of bench/_workload.py and a fresh `promptwatch up` on SQLite each:

- native: `POST /api/v1/ingest`, 100 activities a request (JSON), as bench/ingest_throughput.py sends them;
  visible when the newest session shows all its activities and the usage totals count every LLM call;
- OTLP: `POST /v1/traces`, `ExportTraceServiceRequest` protobuf built directly (the same encoding as the
  official `opentelemetry-exporter-otlp-proto-http`), each session as a trace of three spans with
  OpenInference attributes (a CHAIN root, an LLM call with the ~1.5 KB prompt, ~300 B output, model and
  token counts, and a retriever or tool span; bench/peer_phoenix.py builds them), 33 traces (99 spans) a
  request; visible when the usage totals count every LLM span and the newest trace's session is complete.

All bodies are built before the clock starts and sent over `--concurrency` keep-alive connections; the
clock stops when everything is visible through the API. The server's CPU (process and children) and
peak RSS are sampled meanwhile. Prints a table and writes JSON to bench/results/. Aborts after 15 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _harness import Deadline, ResourceSampler, ServerProcess, print_table, send_batches, write_results
from ingest_throughput import build_requests as native_requests
from ingest_throughput import wait_visible as native_visible
from peer_phoenix import PROTOBUF, check_otlp, promptwatch_visible
from peer_phoenix import build_requests as otlp_requests

OTLP_TRACES_PER_REQUEST = 33  # 99 spans, about the native request's 100 activities


def measure(kind: str, bodies: list[bytes], expected: dict, items: int, args, deadline: Deadline) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"pw-{kind}-") as tmp:
        server = ServerProcess(Path(tmp) / "data")
        with server.running():
            server.start()
            headers = {"Authorization": f"Bearer {server.api_key}"}
            with (
                httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client,
                ResourceSampler(server.pid) as sampler,
            ):
                load = os.getloadavg()[0]
                started = time.perf_counter()
                if kind == "native":
                    sent = send_batches(server.base_url, server.api_key, bodies, args.concurrency, deadline)
                    acknowledged = time.perf_counter() - started
                    native_visible(client, expected, deadline)
                else:
                    sent = send_batches(
                        server.base_url,
                        server.api_key,
                        bodies,
                        args.concurrency,
                        deadline,
                        "/v1/traces",
                        PROTOBUF,
                        check_otlp,
                    )
                    acknowledged = time.perf_counter() - started
                    while promptwatch_visible(client, expected) < expected["spans"]:
                        deadline.check()
                        time.sleep(0.05)
                visible = time.perf_counter() - started
    latencies = sorted(sent.latencies)
    return {
        "items": items,
        "requests": len(bodies),
        "body_bytes_per_item": round(sum(map(len, bodies)) / items),
        "seconds_to_acknowledged": round(acknowledged, 2),
        "seconds_to_visible": round(visible, 2),
        "items_per_second": round(items / visible, 1),
        "request_latency_p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "server_errors_resent": sent.server_errors,
        "retries_503": sent.retries,
        "server_cpu_ms_per_item": round(1000 * sampler.cpu_seconds / items, 4),
        "server_peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "load_average_at_start": load,
    }


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    load_before = os.getloadavg()
    built: dict[str, tuple[list[bytes], dict, int]] = {}
    bodies, expected = native_requests(args.items, 100, args.seed)
    built["native"] = (bodies, expected, args.items)
    bodies, expected = otlp_requests(args.items // 3, OTLP_TRACES_PER_REQUEST, args.seed)
    built["otlp"] = (bodies, expected, expected["spans"])
    results = {}
    for kind in args.order.split(","):
        bodies, expected, items = built[kind]
        results[kind] = measure(kind, bodies, expected, items, args, deadline)
        print(f"{kind}: {results[kind]}", flush=True)
    return {
        "concurrency": args.concurrency,
        **results,
        "otlp_over_native": round(results["otlp"]["items_per_second"] / results["native"]["items_per_second"], 2),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


def report(r: dict) -> None:
    n, o = r["native"], r["otlp"]
    rows = [
        ("items sent", f"{n['items']:,} activities", f"{o['items']:,} spans"),
        (
            "request bodies",
            f"{n['requests']:,} × JSON, {n['body_bytes_per_item']:,} B/item",
            f"{o['requests']:,} × protobuf, {o['body_bytes_per_item']:,} B/item",
        ),
        (
            "end to end (visible through the API)",
            f"{n['items_per_second']:,.0f} activities/s",
            f"{o['items_per_second']:,.0f} spans/s",
        ),
        ("  acknowledged after", f"{n['seconds_to_acknowledged']:.2f} s", f"{o['seconds_to_acknowledged']:.2f} s"),
        ("  visible after", f"{n['seconds_to_visible']:.2f} s", f"{o['seconds_to_visible']:.2f} s"),
        ("request latency p50", f"{n['request_latency_p50_ms']} ms", f"{o['request_latency_p50_ms']} ms"),
        ("server CPU per item", f"{n['server_cpu_ms_per_item']:.3f} ms", f"{o['server_cpu_ms_per_item']:.3f} ms"),
        ("server peak RSS", f"{n['server_peak_rss_mb']:.0f} MB", f"{o['server_peak_rss_mb']:.0f} MB"),
        (
            "5xx resent / 503 retried",
            f"{n['server_errors_resent']} / {n['retries_503']}",
            f"{o['server_errors_resent']} / {o['retries_503']}",
        ),
        ("1-min load at start", f"{n['load_average_at_start']:.1f}", f"{o['load_average_at_start']:.1f}"),
    ]
    print_table(
        f"native ingest vs OTLP/HTTP, concurrency {r['concurrency']} (OTLP/native = {r['otlp_over_native']})",
        rows,
        ("measure", "native /api/v1/ingest", "OTLP /v1/traces"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000, help="activities (native) and about as many spans")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--order", default="native,otlp", help="which runs first")
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    result = run(args)
    report(result)
    print(f"\nwritten to {write_results('otlp-throughput', {'command': sys.argv, **result})}")


if __name__ == "__main__":
    main()
