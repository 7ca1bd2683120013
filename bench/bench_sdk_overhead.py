"""Overhead of a traced call in the host application: PromptWatch's `@observe` and LangChain integration
against a bare call, next to the OpenTelemetry SDK and Langfuse's `@observe`, in the same run.

Targets: a PromptWatch `@observe` no-op under 5 µs in the caller and under 10 µs of CPU per call
including export.

Setup (once): the peers live in throwaway virtual environments, never in the project's:

    python3 -m venv /tmp/peer-otel && /tmp/peer-otel/bin/pip install opentelemetry-sdk \\
        opentelemetry-exporter-otlp-proto-http
    python3 -m venv /tmp/peer-langfuse && /tmp/peer-langfuse/bin/pip install langfuse

Run from the repository root:

    .venv/bin/python bench/bench_sdk_overhead.py [--calls 100000] [--peer-calls 100000] [--profile]

What it measures, for each subject, in batches of 1,000 calls after a warm-up:

- *in the caller*: wall time of one call (median of the batches), and the calling thread's own CPU time
  (`time.thread_time`, median of the batches; a loaded machine inflates wall time, not this);
- *CPU per call incl. export*: the whole process's CPU (all threads: the caller, the SDK's batching,
  encoding and sending) from the first timed call until the SDK says everything was sent, divided by
  the calls. Every sink runs in a process of its own, so its CPU is not counted.

Subjects: a bare no-op; PromptWatch `@observe` no-op (the capture sink, tests/support/capture_sink.py, as
the server), in a tight loop (the export falls behind: the queue grows to tens of thousands of events)
and paced (the export catches up after each batch of 1,000, untimed); a LangChain `FakeListLLM.invoke`
bare, inside an open `with PromptWatch()` (the context's automatic callback handler), and with a
`with PromptWatch()` per call; then, each in a subprocess of its
peer venv, an OpenTelemetry SDK span (`@tracer.start_as_current_span`, `BatchSpanProcessor`, the OTLP/HTTP
protobuf exporter) and a Langfuse `@observe` no-op (LANGFUSE_HOST pointing at the local sink, media upload
off), both exporting to a local sink that answers 200 and counts the spans it receives. Every SDK's queue
is sized so that nothing is dropped (OTEL_BSP_MAX_QUEUE_SIZE for the OpenTelemetry-based two): the CPU
per call then pays for every export. All traffic goes to 127.0.0.1.

`--profile` adds a cProfile of the PromptWatch `@observe` call path (caller and worker threads) and prints
its top functions. Prints tables and writes bench/results/sdk_overhead.json (and a dated copy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BATCH = 1000
PROFILE_CALLS = 50_000
PEERS = {"otel": "/tmp/peer-otel/bin/python", "langfuse": "/tmp/peer-langfuse/bin/python"}


# --- measuring: stdlib only, this file also runs in the peers' venvs ---------------------------------------


def noop() -> None:
    return None


def time_calls(fn, calls: int, between=None) -> tuple[float, float]:
    """Median over batches of one call's wall time and of the calling thread's CPU time, in µs
    (`between()`, untimed, after each batch)."""
    wall, cpu = [], []
    for _ in range(max(1, calls // BATCH)):
        thread0, start = time.thread_time_ns(), time.perf_counter_ns()
        for _ in range(BATCH):
            fn()
        end, thread1 = time.perf_counter_ns(), time.thread_time_ns()
        wall.append((end - start) / BATCH / 1000)
        cpu.append((thread1 - thread0) / BATCH / 1000)
        if between is not None:
            between()
    return statistics.median(wall), statistics.median(cpu)


def measure(fn, calls: int, flush, warmup: int = 10 * BATCH, paced: bool = False) -> dict:
    """Warm up and flush, then time `calls` calls and the export of their events (`flush()` waits for it).
    `paced`: the export catches up after every batch (`flush()`, untimed), as in an app that does more
    than call a no-op, instead of falling behind a tight loop."""
    time_calls(fn, warmup)
    flush()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    wall, thread_cpu = time_calls(fn, calls, flush if paced else None)
    flushed = flush()
    cpu = time.process_time() - cpu0
    return {
        "calls": calls,
        "caller_wall_us": round(wall, 3),
        "caller_cpu_us": round(thread_cpu, 3),
        "cpu_per_call_with_export_us": round(cpu / calls * 1e6, 3),
        "seconds_incl_export": round(time.perf_counter() - wall0, 2),
        "flushed": flushed,
    }


def bare(calls: int) -> dict:
    wall, cpu = time_calls(noop, calls)
    return {"calls": calls, "caller_wall_us": round(wall, 4), "caller_cpu_us": round(cpu, 4)}


# --- peers (run as `--peer NAME` with the peer venv's python) ------------------------------------------


def peer_otel(url: str, calls: int) -> dict:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces")))
    tracer = provider.get_tracer("bench")
    traced = tracer.start_as_current_span("noop")(noop)
    result = measure(traced, calls, lambda: provider.force_flush(120_000))
    provider.shutdown()
    from importlib.metadata import version

    return {**result, "version": version("opentelemetry-sdk")}


def peer_langfuse(url: str, calls: int) -> dict:
    from langfuse import get_client, observe

    traced = observe(name="noop")(noop)
    client = get_client()

    def flush() -> bool:
        client.flush()
        return True

    result = measure(traced, calls, flush)
    client.shutdown()
    from importlib.metadata import version

    return {**result, "version": version("langfuse")}


def run_peer(name: str, url: str, calls: int) -> dict:
    """This file under the peer's venv; its last stdout line is the JSON result."""
    python = os.environ.get(f"PEER_{name.upper()}_PYTHON", PEERS[name])
    env = {
        **os.environ,
        "OTEL_BSP_MAX_QUEUE_SIZE": str(calls + 20 * BATCH),  # nothing dropped: every span is exported
        "OTEL_SDK_DISABLED": "false",
        "LANGFUSE_PUBLIC_KEY": "pk-lf-bench",
        "LANGFUSE_SECRET_KEY": "sk-lf-bench",
        "LANGFUSE_HOST": url,
        "LANGFUSE_BASE_URL": url,
        "LANGFUSE_MEDIA_UPLOAD_ENABLED": "false",
        "LANGFUSE_TRACING_ENVIRONMENT": "bench",
        "NO_PROXY": "127.0.0.1",
    }
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [python, __file__, "--peer", name, "--url", url, "--calls", str(calls)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if done.returncode != 0:
        raise RuntimeError(f"peer {name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- a sink for OTLP (and Langfuse) that answers 200 and counts spans (`--sink`, main venv) --------------


def serve_sink() -> None:
    """Print the URL; serve until stdin closes; print {path: [requests, spans, bytes]} as JSON."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    try:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    except ImportError:  # counts requests and bytes only
        ExportTraceServiceRequest = None  # noqa: N806
    counts: dict[str, list[int]] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            with lock:
                counts.setdefault(f"GET {self.path}", [0, 0, 0])[0] += 1
            self._answer(200, b"{}", "application/json")

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            spans = 0
            if self.headers.get("Content-Encoding") == "gzip":
                import gzip

                body = gzip.decompress(body)
            if ExportTraceServiceRequest is not None and "traces" in self.path:
                request = ExportTraceServiceRequest.FromString(body)
                spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
            with lock:
                entry = counts.setdefault(f"POST {self.path.split('?')[0]}", [0, 0, 0])
                entry[0] += 1
                entry[1] += spans
                entry[2] += len(body)
            self._answer(200, b"", "application/x-protobuf")

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()
    print(json.dumps(counts), flush=True)


class SinkProcess:
    """A sink in its own process: `python -m tests.support.capture_sink` or this file's `--sink`."""

    def __init__(self, command: list[str]):
        self.process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()

    def close(self) -> str:
        self.process.stdin.close()
        out = self.process.stdout.read()
        self.process.wait(30)
        return out


# --- PromptWatch (main venv) ------------------------------------------------------------------------------


def promptwatch_subjects(calls: int, lc_calls: int, spool: str, profile: bool) -> dict:
    sys.path.insert(0, str(REPO))
    from langchain_core.language_models.fake import FakeListLLM
    from tests.support.capture_sink import API_KEY

    import promptwatch
    from promptwatch import PromptWatch, observe

    def flush() -> bool:
        return promptwatch.flush(120)

    sink = SinkProcess([sys.executable, "-m", "tests.support.capture_sink"])
    results: dict = {}
    try:
        promptwatch.configure(
            api_key=API_KEY,
            host_url=sink.url,
            spool_dir=spool,
            queue_size=max(calls, lc_calls, PROFILE_CALLS) + 20 * BATCH,
        )
        traced_noop = observe(name="noop")(noop)
        results["observe"] = measure(traced_noop, calls, flush)
        results["observe"]["sdk_stats"] = promptwatch.sdk.pipeline.get_pipeline().stats()
        results["observe_paced"] = measure(traced_noop, calls, flush, paced=True)

        llm = FakeListLLM(responses=["ok"])
        llm.invoke("warm up")
        results["langchain_bare"] = measure(lambda: llm.invoke("hi"), lc_calls, lambda: True, warmup=BATCH)
        with PromptWatch(tracking_project="bench"):
            results["langchain_in_context"] = measure(lambda: llm.invoke("hi"), lc_calls, flush, warmup=BATCH)

        def context_per_call() -> None:
            with PromptWatch(tracking_project="bench"):
                llm.invoke("hi")

        results["langchain_context_per_call"] = measure(context_per_call, lc_calls, flush, warmup=BATCH)
        results["sdk_stats"] = promptwatch.sdk.pipeline.get_pipeline().stats()
        if profile:
            results["profile"] = profile_observe(traced_noop, flush)
            results["profile"]["langchain_in_context_top"] = profile_langchain(llm, PromptWatch)
        promptwatch.shutdown(10)
    finally:
        received = sink.close().split()
    results["capture_sink_received"] = {"activities": int(received[0]), "sessions": int(received[1])}
    return results


def top(profiler, count: int = 15, restrict: str | None = None) -> list[str]:
    """The profile's lines, most own time first (`restrict`: a regex on the file and function)."""
    import io
    import pstats

    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(*filter(None, (restrict, count)))
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
    return [line.replace(str(REPO) + "/", "") for line in lines[start:] if line.strip()]


def profile_langchain(llm, prompt_watch, calls: int = 5000) -> list[str]:
    """cProfile of LangChain calls inside an open `with PromptWatch()`: PromptWatch's own functions."""
    import cProfile

    profiler = cProfile.Profile()
    with prompt_watch(tracking_project="bench"):
        profiler.enable()
        for _ in range(calls):
            llm.invoke("hi")
        profiler.disable()
    return [f"{calls} calls"] + top(profiler, 15, "promptwatch")


def profile_observe(traced, flush, calls: int = PROFILE_CALLS) -> dict:
    """cProfile of `calls` @observe calls in the caller, and of the worker thread sending them (its
    `_send_queued` is wrapped in this process only, for the profile)."""
    import cProfile

    from promptwatch.sdk.pipeline import get_pipeline

    worker = get_pipeline().worker
    worker_profiler = cProfile.Profile()
    send = worker._send_queued

    def profiled_send() -> None:
        worker_profiler.enable()
        try:
            send()
        finally:
            worker_profiler.disable()

    flush()
    worker._send_queued = profiled_send
    caller = cProfile.Profile()
    caller.enable()
    for _ in range(calls):
        traced()
    caller.disable()
    flush()
    worker._send_queued = send
    return {"calls": calls, "caller_top_tottime": top(caller), "worker_top_tottime": top(worker_profiler)}


# --- report ---------------------------------------------------------------------------------------------


def report(result: dict) -> None:
    rows = [("bare call", result["bare"], None, None)]
    pw = result["promptwatch"]
    rows.append(("PromptWatch @observe no-op", pw["observe"], 5, 10))
    if "observe_paced" in pw:
        rows.append(("  the same, export caught up after each batch", pw["observe_paced"], None, None))
    for name, label in (("otel", "OpenTelemetry SDK span (BatchSpanProcessor)"), ("langfuse", "Langfuse @observe")):
        if name in result["peers"]:
            rows.append((f"{label} {result['peers'][name].get('version', '')}", result["peers"][name], None, None))
    rows += [
        ("LangChain FakeListLLM.invoke, bare", pw["langchain_bare"], None, None),
        ("  inside an open `with PromptWatch()`", pw["langchain_in_context"], None, None),
        ("  `with PromptWatch()` per call", pw["langchain_context_per_call"], None, None),
    ]
    print(
        f"\nper call, median of batches of {BATCH} (µs); load {result['load_average_before'][0]:.2f} before, "
        f"{result['load_average_after'][0]:.2f} after"
    )
    print(f"{'subject':52} {'caller wall':>12} {'caller CPU':>11} {'CPU incl. export':>17}")
    for label, data, wall_target, cpu_target in rows:
        export = data.get("cpu_per_call_with_export_us")
        print(
            f"{label:52} {data['caller_wall_us']:12.3f} {data['caller_cpu_us']:11.3f} "
            f"{'' if export is None else f'{export:17.3f}'}"
            + (f"   (targets < {wall_target} / < {cpu_target})" if wall_target else "")
        )
    print(
        f"\nsinks received: PromptWatch capture sink {pw['capture_sink_received']}; "
        + "; ".join(f"{n}: {d.get('sink')}" for n, d in result["peers"].items())
    )
    if "profile" in pw:
        print(f"\ncProfile of {pw['profile']['calls']:,} @observe calls in the caller (tottime order):")
        print("\n".join(pw["profile"]["caller_top_tottime"]))
        print("\ncProfile of the worker thread sending them (tottime order):")
        print("\n".join(pw["profile"]["worker_top_tottime"]))
        print("\ncProfile of LangChain calls inside `with PromptWatch()`, PromptWatch's functions (tottime order):")
        print("\n".join(pw["profile"]["langchain_in_context_top"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--lc-calls", type=int, default=20_000, help="LangChain calls (each is ~100 µs)")
    parser.add_argument("--peer-calls", type=int, default=None, help="default: --calls")
    parser.add_argument("--peers", default="otel,langfuse", help="comma-separated; empty for none")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--peer", choices=tuple(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        return serve_sink()
    if args.peer:
        runner = peer_otel if args.peer == "otel" else peer_langfuse
        print(json.dumps({"bare": bare(args.calls), **runner(args.url, args.calls)}))
        return None

    load_before = os.getloadavg()
    result: dict = {"bare": bare(args.calls)}
    with tempfile.TemporaryDirectory() as spool:
        result["promptwatch"] = promptwatch_subjects(args.calls, args.lc_calls, spool, args.profile)
    result["peers"] = {}
    for name in filter(None, args.peers.split(",")):
        sink = SinkProcess([sys.executable, __file__, "--sink"])
        try:
            result["peers"][name] = run_peer(name, sink.url, args.peer_calls or args.calls)
        finally:
            result["peers"].setdefault(name, {})["sink"] = json.loads(sink.close().strip() or "{}")
    result.update(
        {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        }
    )
    report(result)
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2)
    (results / "sdk_overhead.json").write_text(text)
    (results / f"sdk_overhead-{result['date'].replace(':', '').replace('-', '')}.json").write_text(text)
    return None


if __name__ == "__main__":
    main()
