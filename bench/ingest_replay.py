"""One side of native ingest replayed in-process, for counting its instructions on a busy machine.

- `--part request`: `IngestService.ingest_batch` over the generated requests, with a writer that only
  answers (JSON, validation, pricing, redaction, compression; no HTTP);
- `--part writer`: the batch writer's transactions of an in-process ingest run, captured, then written again
  with `write_batch` on a fresh store (SQLite, or PostgreSQL with `--db postgresql`).

It prints CPU per activity. Under callgrind it switches instrumentation on around the measured loop only, so
the count excludes start-up and data generation and is the same whatever else the machine runs:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/ingest_replay.py --part writer --activities 4000 --callgrind
    callgrind_annotate /tmp/cg.out | head      # "PROGRAM TOTALS" / activities = instructions per activity
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import postgres_database  # noqa: E402
from _workload import Workload, requests  # noqa: E402
from ingest_stages import fresh_store, one_round  # noqa: E402


@contextmanager
def measured(activities: int, callgrind: bool):
    """CPU per activity of the block, printed; callgrind's instrumentation on around it when asked."""
    if callgrind:
        subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], capture_output=True, check=True)
    started = time.process_time()
    yield
    spent = time.process_time() - started
    if callgrind:
        subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], capture_output=True, check=True)
    print(f"{spent * 1000 / activities:.4f} ms of CPU per activity ({activities:,} activities)")


def replay_request_side(bodies: list[bytes], activities: int, database_url: str | None, callgrind: bool) -> None:
    from promptwatch.server.app import create_app
    from promptwatch.server.services.credentials import Caller
    from promptwatch.server.services.templates import template_stage

    class AnsweringWriter:
        async def submit(self, account_id, sessions, activities, wait=False, project=None):
            return {}, {}

    with ExitStack() as stack:
        settings, _engine, _key = fresh_store(stack, database_url)
        app = create_app(settings)
        pipeline = app.state.runtime.pipeline
        pipeline.writer = AnsweringWriter()
        pipeline.add_stage(app.state.services.redaction.stage)  # as the app's lifespan does
        pipeline.add_stage(template_stage)
        ingest, caller = app.state.services.ingest, Caller(account_id=1, scope="ingest")

        async def run() -> None:
            for body in bodies[:3]:  # caches and first-use imports
                await ingest.ingest_batch(caller, body)
            with measured(activities, callgrind):
                for body in bodies:
                    await ingest.ingest_batch(caller, body)

        asyncio.run(run())


def replay_writer(bodies: list[bytes], activities: int, database_url: str | None, callgrind: bool) -> None:
    from promptwatch.server.services.clock import utc_now
    from promptwatch.server.store.ingest_writer import write_batch
    from promptwatch.server.workers import batch_writer

    transactions = []
    write_together = batch_writer.BatchWriter._write_together

    def capture(self, jobs):
        transactions.append([(job.account_id, job.sessions, job.activities) for job in jobs])
        return write_together(self, jobs)

    batch_writer.BatchWriter._write_together = capture
    try:
        one_round(bodies, activities, 4, None)  # the jobs do not depend on the store they were first written to
    finally:
        batch_writer.BatchWriter._write_together = write_together
    with ExitStack() as stack:
        _settings, engine, _key = fresh_store(stack, database_url)
        with measured(activities, callgrind):
            for jobs in transactions:
                now = utc_now()
                with engine.begin() as conn:
                    for account_id, sessions, records in jobs:
                        write_batch(conn, account_id, sessions, records, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["request", "writer"], required=True)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--activities", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--callgrind", action="store_true", help="switch callgrind's instrumentation around the loop")
    args = parser.parse_args()
    bodies = [orjson.dumps(r) for r in requests(Workload(seed=args.seed).sessions(args.activities), 100)]
    with ExitStack() as stack:
        url = stack.enter_context(postgres_database()) if args.db == "postgresql" else None
        replay = replay_request_side if args.part == "request" else replay_writer
        replay(bodies, args.activities, url, args.callgrind)


if __name__ == "__main__":
    main()
