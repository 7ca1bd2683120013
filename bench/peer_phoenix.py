"""PromptWatch against Arize Phoenix on the same machine, with the same OTLP data, measured the same way.

Setup (once): Phoenix lives in its own virtual environment, because its pins are not ours:

    python3 -m venv /tmp/phoenix-venv
    /tmp/phoenix-venv/bin/pip install arize-phoenix opentelemetry-sdk opentelemetry-exporter-otlp-proto-http

Run from the repository root:

    .venv/bin/python bench/peer_phoenix.py --spans 6000

Both servers get identical OTLP/HTTP protobuf requests at `POST /v1/traces`: traces of three spans (a CHAIN
root, an LLM call with a ~1.5 KB prompt and ~300 B output, model and token counts, and a retriever or tool
span) with OpenInference attributes, made from the sessions of bench/_workload.py, 33 traces (99 spans) per
request over 4 connections. For each server, on SQLite: spans per second from the first request until all
are visible through its API (PromptWatch: the usage totals and the session list; Phoenix: the project's
span count over GraphQL), server CPU per span, peak RSS (process and children, sampled every 100 ms),
first start and the median of restarts to healthy, disk bytes per span (db + WAL after a checkpoint), and
the median of 10 latest-50 span/session lists filtered by model. Then the ratio PromptWatch/Phoenix.

Phoenix opens its gRPC receiver on every interface and takes no option to bind it to loopback, so the whole
run happens in a private network namespace (`unshare --net`, loopback only; needs root): nothing is
reachable from outside, and Phoenix cannot reach the network either. Telemetry is off
(PHOENIX_TELEMETRY_ENABLED=false) and its working directory is a temporary one. The run aborts after
15 minutes; `--phoenix-limit-seconds` bounds Phoenix's ingest phase, whose figures are then partial.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from _harness import (
    Deadline,
    ResourceSampler,
    ServerProcess,
    ServiceProcess,
    median,
    print_table,
    send_batches,
    startup_times,
    write_results,
)
from _workload import COMMON_MODEL, Session, Workload
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

PHOENIX = Path(os.environ.get("PHOENIX_VENV", "/tmp/phoenix-venv")) / "bin" / "phoenix"
PROJECT = "bench"
PROTOBUF = "application/x-protobuf"
IN_NAMESPACE = "PW_BENCH_NETNS"
_KINDS = {"chain-sequence": "CHAIN", "llm-prompt": "LLM", "retrieved-docs": "RETRIEVER", "action": "TOOL"}


@dataclass
class PhoenixProcess(ServiceProcess):
    """`phoenix serve` on SQLite in `data_dir`, telemetry off."""

    health_path: str = "/healthz"

    def command(self) -> list[str]:
        return [str(PHOENIX), "serve"]

    def environment(self) -> dict:
        return {
            **os.environ,
            "PHOENIX_WORKING_DIR": str(self.data_dir),
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(self.port + 1),
            **self.env,
        }


def run_in_private_network() -> None:
    """Re-run this script inside `unshare --net` with only loopback up (see the module docstring)."""
    if os.environ.get(IN_NAMESPACE) == "1":
        return
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        raise SystemExit("needs `unshare` and `ip` to keep Phoenix's gRPC port off the network")
    os.environ[IN_NAMESPACE] = "1"
    script = 'ip link set lo up && exec "$@"'
    os.execvp("unshare", ["unshare", "--net", "sh", "-c", script, "sh", sys.executable, *sys.argv])


# --- the data: workload sessions as OTLP traces of three spans ------------------------------------------


def _value(value) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def _nanos(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1e9)


def _attributes(activity: dict, session_id: str) -> dict:
    kind = activity["activity_type"]
    attrs = {"openinference.span.kind": _KINDS[kind], "session.id": session_id}
    if kind == "chain-sequence":
        attrs["input.value"] = activity["inputs"]["question"]
        attrs["output.value"] = activity.get("outputs", {}).get("answer", "")
    elif kind == "llm-prompt":
        attrs.update({"input.value": activity["prompt"], "llm.model_name": activity["model"]})
        attrs["llm.provider"] = activity["provider"]
        if "generated" in activity:
            attrs["output.value"] = activity["generated"]
        usage = activity["usage"]
        attrs["llm.token_count.prompt"] = usage["prompt_tokens"]
        if "completion_tokens" in usage:
            attrs["llm.token_count.completion"] = usage["completion_tokens"]
        attrs["llm.token_count.total"] = usage["total_tokens"]
    elif kind == "retrieved-docs":
        for n, document in enumerate(activity["documents"]):
            attrs[f"retrieval.documents.{n}.document.id"] = document["id"]
            attrs[f"retrieval.documents.{n}.document.content"] = document["text"]
            attrs[f"retrieval.documents.{n}.document.score"] = activity["scores"][n]
    else:
        attrs.update({"tool.name": activity["tool_type"], "input.value": activity["input"]})
        attrs["output.value"] = activity["output"]
    return attrs


def trace_of(session: Session, trace_number: int) -> list[Span]:
    """The session's root, its first LLM call and one more child, as spans of one trace."""
    root, *children = session.activities
    llm = next(a for a in children if a["activity_type"] == "llm-prompt")
    other = next((a for a in children if a is not llm), llm)
    trace_id = trace_number.to_bytes(16, "big")
    spans = []
    for n, activity in enumerate((root, llm, other) if other is not llm else (root, llm)):
        error = activity.get("error")
        spans.append(
            Span(
                trace_id=trace_id,
                span_id=(trace_number * 4 + n + 1).to_bytes(8, "big"),
                parent_span_id=b"" if n == 0 else (trace_number * 4 + 1).to_bytes(8, "big"),
                name=activity.get("name") or activity["activity_type"],
                kind=Span.SPAN_KIND_INTERNAL,
                start_time_unix_nano=_nanos(activity["start_time"]),
                end_time_unix_nano=_nanos(activity["end_time"]),
                attributes=[
                    KeyValue(key=k, value=_value(v)) for k, v in _attributes(activity, session.record["id"]).items()
                ],
                status=Status(code=Status.STATUS_CODE_ERROR, message=error) if error else Status(),
            )
        )
    return spans


def build_requests(traces: int, per_request: int, seed: int) -> tuple[list[bytes], dict]:
    """OTLP request bodies and what must be visible at the end."""
    resource = {"service.name": "bench-app", "openinference.project.name": PROJECT}
    bodies, pending, spans, llm_calls, newest = [], [], 0, 0, None
    sessions = (s for s in Workload(seed=seed).sessions(traces * 12) if len(s.activities) >= 3)
    for number, session in zip(range(1, traces + 1), sessions):
        trace = trace_of(session, number)
        spans += len(trace)
        llm_calls += 1
        newest = (session.record["id"], len(trace))
        pending.extend(trace)
        if number % per_request == 0 or number == traces:
            request = ExportTraceServiceRequest(
                resource_spans=[
                    ResourceSpans(
                        resource={"attributes": [KeyValue(key=k, value=_value(v)) for k, v in resource.items()]},
                        scope_spans=[ScopeSpans(scope={"name": "bench"}, spans=pending)],
                    )
                ]
            )
            bodies.append(request.SerializeToString())
            pending = []
    expected = {"spans": spans, "traces": traces, "llm_calls": llm_calls}
    expected["newest"], expected["newest_activities"] = newest
    return bodies, expected


def check_otlp(response: httpx.Response, _stats) -> None:
    """An OTLP answer with `partial_success` names spans the server refused."""
    if response.content and response.headers.get("content-type", "").startswith(PROTOBUF):
        answer = ExportTraceServiceResponse.FromString(response.content)
        if answer.partial_success.rejected_spans:
            raise RuntimeError(f"{answer.partial_success.rejected_spans} spans refused: {answer.partial_success}")


# --- visibility and queries, per server ------------------------------------------------------------------


def promptwatch_visible(client: httpx.Client, expected: dict) -> int:
    """Spans visible so far (an estimate until all are: the LLM calls counted, times spans per trace)."""
    calls = client.get("/api/v1/metrics/usage").json()["totals"]["calls"]
    if calls < expected["llm_calls"]:
        return calls * expected["spans"] // expected["llm_calls"]
    page = client.get("/api/v1/sessions", params={"limit": 50}).json()["items"]
    newest = next((s for s in page if s["id"] == expected["newest"]), None)
    done = newest is not None and newest["activity_count"] == expected["newest_activities"]
    return expected["spans"] if done else expected["spans"] - 1


_COUNT = "{ projects { edges { node { name recordCount } } } }"


def phoenix_visible(client: httpx.Client, expected: dict) -> int:
    data = client.post("/graphql", json={"query": _COUNT}).json()["data"]
    return sum(e["node"]["recordCount"] for e in data["projects"]["edges"] if e["node"]["name"] == PROJECT)


def phoenix_project_id(client: httpx.Client) -> str:
    data = client.post("/graphql", json={"query": "{ projects { edges { node { id name } } } }"}).json()["data"]
    return next(e["node"]["id"] for e in data["projects"]["edges"] if e["node"]["name"] == PROJECT)


_PHOENIX_LIST = """query ($id: ID!, $filter: String) { node(id: $id) { ... on Project {
  spans(first: 50, sort: {col: startTime, dir: desc}, filterCondition: $filter) {
    edges { node { id name startTime latencyMs tokenCountTotal statusCode } } } } } }"""


def median_ms(call, runs: int) -> float:
    call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(1000 * (time.perf_counter() - started))
    return round(statistics.median(samples), 2)


def promptwatch_list_ms(client: httpx.Client, runs: int) -> float:
    def call():
        client.get("/api/v1/sessions", params={"model": COMMON_MODEL, "limit": 50}).raise_for_status()

    return median_ms(call, runs)


def phoenix_list_ms(client: httpx.Client, runs: int) -> float:
    variables = {"id": phoenix_project_id(client), "filter": f"llm.model_name == '{COMMON_MODEL}'"}

    def call():
        response = client.post("/graphql", json={"query": _PHOENIX_LIST, "variables": variables})
        response.raise_for_status()
        if response.json().get("errors"):
            raise RuntimeError(f"Phoenix refused the list query: {response.json()['errors']}")

    return median_ms(call, runs)


# --- one server's run --------------------------------------------------------------------------------------


def sqlite_bytes(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=60)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def measure(
    name: str,
    server: ServiceProcess,
    db: Path,
    bodies: list[bytes],
    expected: dict,
    args: argparse.Namespace,
    deadline: Deadline,
) -> dict:
    first_start = server.start(timeout=300)
    first_start_cpu = server.start_cpu_seconds
    is_phoenix = isinstance(server, PhoenixProcess)
    api_key = None if is_phoenix else server.api_key
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    visible = phoenix_visible if is_phoenix else promptwatch_visible
    limit = args.phoenix_limit_seconds if is_phoenix else deadline.left()
    empty = sqlite_bytes(db)
    seen, complete = 0, False
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as client:
        with ResourceSampler(server.pid) as sampler:
            started = time.perf_counter()
            sent = send_batches(
                server.base_url, api_key, bodies, args.concurrency, deadline, "/v1/traces", PROTOBUF, check_otlp
            )
            acknowledged = time.perf_counter() - started
            while time.perf_counter() - started < limit:
                deadline.check()
                seen = visible(client, expected)
                if seen >= expected["spans"]:
                    complete = True
                    break
                time.sleep(0.25)
            elapsed = time.perf_counter() - started
        list_ms = (phoenix_list_ms if is_phoenix else promptwatch_list_ms)(client, args.runs)
    full = sqlite_bytes(db)
    restart_cpu: list[float] = []
    restarts = startup_times(server, args.restarts, restart_cpu)
    result = {
        "server": name,
        "spans_sent": expected["spans"],
        "spans_visible": seen,
        "server_errors_resent": sent.server_errors,
        "complete": complete,
        "seconds_to_acknowledged": round(acknowledged, 2),
        "seconds_to_visible": round(elapsed, 2),
        "spans_per_second": round(seen / elapsed, 1),
        "server_cpu_seconds": round(sampler.cpu_seconds, 2),
        "server_cpu_ms_per_span": round(1000 * sampler.cpu_seconds / max(seen, 1), 3),
        "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "first_start_seconds": round(first_start, 2),
        "first_start_cpu_seconds": round(first_start_cpu, 2),
        "restart_seconds": [round(t, 2) for t in restarts],
        "restart_cpu_median_seconds": round(median(restart_cpu), 2) if restart_cpu else None,
        "restart_median_seconds": round(median(restarts), 2) if restarts else None,
        "bytes_per_span": round((full - empty) / max(seen, 1)),
        "list_by_model_median_ms": list_ms,
    }
    print(f"{name}: {result}", flush=True)
    return result


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    traces = args.spans // 3
    bodies, expected = build_requests(traces, args.traces_per_request, args.seed)
    print(f"{len(bodies)} OTLP requests, {expected['spans']} spans in {traces} traces", flush=True)
    results = {}
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-peer-")))
        ours = stack.enter_context(ServerProcess(root / "promptwatch").running())
        results["promptwatch"] = measure(
            "PromptWatch", ours, ours.data_dir / "promptwatch.db", bodies, expected, args, deadline
        )
        if not PHOENIX.exists():
            results["phoenix"] = {"skipped": f"{PHOENIX} not found: install arize-phoenix in its venv first"}
        else:
            phoenix = stack.enter_context(PhoenixProcess(root / "phoenix").running())
            results["phoenix"] = measure(
                "Phoenix", phoenix, phoenix.data_dir / "phoenix.db", bodies, expected, args, deadline
            )
            results["phoenix"]["version"] = _phoenix_version()
    return {"spans": expected["spans"], "traces": traces, "concurrency": args.concurrency, **results}


def _phoenix_version() -> str:
    pip = PHOENIX.with_name("pip")
    shown = subprocess.run([str(pip), "show", "arize-phoenix"], capture_output=True, text=True, timeout=60).stdout
    return next((line.split(":", 1)[1].strip() for line in shown.splitlines() if line.startswith("Version:")), "?")


def report(result: dict) -> None:
    ours, theirs = result["promptwatch"], result["phoenix"]
    measures = (
        ("spans visible per second", "spans_per_second", "{:,.0f}"),
        ("server CPU per span (ms)", "server_cpu_ms_per_span", "{:.3f}"),
        ("peak RSS (MB)", "peak_rss_mb", "{:.0f}"),
        ("first start (s)", "first_start_seconds", "{:.2f}"),
        ("restart, median (s)", "restart_median_seconds", "{:.2f}"),
        ("CPU used by a restart (s)", "restart_cpu_median_seconds", "{:.2f}"),
        ("disk per span (B)", "bytes_per_span", "{:,}"),
        ("latest-50 by model (ms)", "list_by_model_median_ms", "{:.1f}"),
    )
    if "skipped" in theirs:
        print(f"\nPhoenix skipped: {theirs['skipped']}")
        theirs = {}
    rows = []
    for label, key, fmt in measures:
        mine, peer = ours[key] or float("nan"), theirs.get(key)
        ratio = f"{mine / peer:.3g}" if peer else "-"
        rows.append((label, f"{fmt.format(mine)} | {fmt.format(peer) if peer is not None else '-'}", ratio))
    title = f"PromptWatch | Phoenix {theirs.get('version', '')} on SQLite, {result['spans']:,} OTLP spans"
    print_table(title, rows, ("measure", "PromptWatch | Phoenix", "ratio PW/Phoenix"))
    if theirs and not theirs["complete"]:
        print(f"Phoenix made {theirs['spans_visible']:,} of {theirs['spans_sent']:,} spans visible before the limit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=6000, help="spans per server (three per trace)")
    parser.add_argument("--traces-per-request", type=int, default=33)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--phoenix-limit-seconds", type=float, default=300)
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    run_in_private_network()
    result = run(args)
    report(result)
    print(f"\nwritten to {write_results('peer-phoenix', {'command': sys.argv, **result})}")


if __name__ == "__main__":
    main()
