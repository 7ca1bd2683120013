"""Server CPU per activity of native ingest, in-process, split into the request side and the batch writer.

The app runs in this process (Starlette's test client, no network), on a fresh SQLite or PostgreSQL store,
with the same data as `ingest_throughput.py`. The CPU is read per thread, so the figures do not move with
whatever else the machine runs, as wall-clock throughput does:

- writer: the batch writer's thread CPU while it writes (SQL, the database's own work on SQLite);
- request side: the rest of the server (HTTP, JSON, validation, pricing, redaction, compression);
- the client threads' own CPU is left out.

Each round ingests the data into a new store; the figures are medians over the rounds. To compare two
versions of the code, run each from its own source tree (see docs/benchmarks.md, "snapshot").

    .venv/bin/python bench/ingest_stages.py --activities 20000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Deadline, median, postgres_database, print_table, write_results  # noqa: E402
from _workload import Workload, requests  # noqa: E402


def fresh_store(stack: ExitStack, database_url: str | None):
    """(settings, engine, API key) of a new store, in a data directory `stack` removes, with its first account
    (id 1) and key."""
    from promptwatch.server.services.accounts import AccountService
    from promptwatch.server.services.runtime import Runtime
    from promptwatch.server.settings import Settings, resolve_database_url
    from promptwatch.server.store.engine import make_engine
    from promptwatch.server.store.schema_version import ensure_current

    data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-stages-")))
    settings = Settings(data_dir=data_dir, database_url=database_url, api_key_cache_seconds=3600)
    engine = make_engine(resolve_database_url(settings))
    stack.callback(engine.dispose)
    ensure_current(engine, create_if_empty=True)
    return settings, engine, AccountService(Runtime.build(settings, engine)).bootstrap().api_key


def one_round(bodies: list[bytes], activities: int, concurrency: int, database_url: str | None) -> dict:
    from fastapi.testclient import TestClient

    from promptwatch.server.app import create_app
    from promptwatch.server.workers import batch_writer

    with ExitStack() as stack:
        settings, engine, key = fresh_store(stack, database_url)
        engine.dispose()

        writer_cpu = [0.0]
        write = batch_writer.BatchWriter._write

        def timed_write(self, jobs):
            started = time.thread_time()
            try:
                return write(self, jobs)
            finally:
                writer_cpu[0] += time.thread_time() - started

        client_cpu = [0.0]
        lock = threading.Lock()
        batch_writer.BatchWriter._write = timed_write
        try:
            with TestClient(create_app(settings)) as client:
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

                def send(body: bytes) -> None:
                    started = time.thread_time()
                    response = client.post("/api/v1/ingest", content=body, headers=headers)
                    spent = time.thread_time() - started
                    with lock:
                        client_cpu[0] += spent
                    if response.status_code != 200 or response.json()["rejected"]:
                        raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")

                cpu_before, wall_before = time.process_time(), time.perf_counter()
                with ThreadPoolExecutor(concurrency) as pool:
                    list(pool.map(send, bodies))
                cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
        finally:
            batch_writer.BatchWriter._write = write
    server = cpu - client_cpu[0]
    return {
        "server_ms": server * 1000 / activities,
        "writer_ms": writer_cpu[0] * 1000 / activities,
        "request_ms": (server - writer_cpu[0]) * 1000 / activities,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--activities", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    Deadline(args.limit_minutes * 60)
    bodies = [orjson.dumps(r) for r in requests(Workload(seed=args.seed).sessions(args.activities), args.per_request)]
    rounds = []
    for _ in range(args.rounds):
        with ExitStack() as stack:
            url = stack.enter_context(postgres_database()) if args.db == "postgresql" else None
            rounds.append(one_round(bodies, args.activities, args.concurrency, url))
    figures = {name: median([r[name] for r in rounds]) for name in rounds[0]}
    print_table(
        f"Native ingest in-process on {args.db}: {args.activities:,} activities, {args.rounds} rounds (medians)",
        [
            ("server CPU per activity", f"{figures['server_ms']:.3f} ms", "request side + writer"),
            ("  request side", f"{figures['request_ms']:.3f} ms", "HTTP, JSON, validation, pricing, redaction"),
            ("  batch writer", f"{figures['writer_ms']:.3f} ms", "its thread's CPU, SQL included"),
            ("wall time", f"{figures['wall_s']:.2f} s", "for scale"),
            ("machine load", f"{os.getloadavg()[0]:.1f}", "1-min load average"),
        ],
    )
    path = write_results(f"ingest-stages-{args.db}", {"args": vars(args), "rounds": rounds, "medians": figures})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
