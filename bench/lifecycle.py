"""Data lifecycle costs: the cleanup cycle that purges a deleted project, and encryption at rest, as ratios.

Run from the repository root:

    .venv/bin/python bench/lifecycle.py --db sqlite
    .venv/bin/python bench/lifecycle.py --db postgresql --activities 100000
    .venv/bin/python bench/lifecycle.py --db both --activities 20000 --rounds 3

1. Cleanup cycle. On a fresh store, N activities of the shared workload (bench/_workload.py), all in one
   tracking project, go in through the native ingest API. `DELETE /api/v1/projects/{name}` is timed: when it
   returns the data is unreadable (checked: the session list is empty, a session's detail answers 404). Then
   `promptwatch cleanup` runs as a subprocess and is timed: the physical purge (SQLite: full-text optimize,
   VACUUM, WAL truncate; PostgreSQL: VACUUM ANALYZE). Its progress lines are time-stamped as they arrive, so
   the time of each step shows; one cycle on the still-empty store first gives the fixed cost of the command.
   The scenario runs once per `--chunk-activities` value (the server's `PROMPTWATCH_DELETION_CHUNK_ACTIVITIES`:
   activities per transaction of a bulk deletion; 0 is one transaction for everything), each on a fresh store.
   While the deletion and the cycle run, a probe sends one small ingest request (another project) after
   another and times each (p50, p99, max); on SQLite a second probe takes the write lock (`BEGIN IMMEDIATE`,
   then `ROLLBACK`) every 20 ms and times the wait: the longest wait is a lower bound of the longest
   transaction of the deletion.
   Store size before ingest, after ingest, after the deletion and after the cycle: SQLite database + WAL as
   they are on disk (no checkpoint, which would do part of the cycle's work), PostgreSQL `pg_database_size`.
2. Encryption cost. A second fresh store and server, two fresh accounts, one with `PUT /api/v1/account/
   encryption`. The same `--encryption-activities` (N/2 by default) go into each, in `--rounds` slices,
   alternating which account goes first, so that noise from a busy machine hits both. Each slice is timed until
   the usage totals count its LLM calls (end to end); the medians over rounds are compared, with the server's
   CPU per activity (on PostgreSQL also that of the database's own backends). Then 50 sessions of 10 activities
   are read back through `GET /api/v1/sessions/{id}` from both accounts in turn (after one warm-up each), and
   both answers must carry the same activities; besides the ratio of the medians, the median of the per-session
   ratios (each pair runs back to back, so the load of the moment cancels out). Printed as ratios
   encrypted/plain. An encrypted account is kept out of the full-text index (it would hold the words in clear),
   so its ingest does less work; `q=` must answer 422 for it. For scale, the CPU of AES-GCM seal and open per
   activity body is measured in this process with the server's own code.

Accounts and admin keys are made with the server's own services on its store (as `tests/support/server.py`
does); everything measured goes through HTTP. The server's periodic cleanup is turned off
(`PROMPTWATCH_CLEANUP_INTERVAL_SECONDS=0`): the cycle runs only when the script runs it. Prints a table and
writes JSON to bench/results/. Each database's run aborts after 15 minutes (`--limit-minutes`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import httpx
import orjson
import psutil
from _harness import (
    PROMPTWATCH,
    Deadline,
    ResourceSampler,
    ServerProcess,
    median,
    postgres_database,
    print_table,
    send_batches,
    store_bytes,
    write_results,
)
from _workload import Session, Workload, requests

PROJECT = "lifecycle-bench"
SERVER_ENV = {"PROMPTWATCH_CLEANUP_INTERVAL_SECONDS": "0"}
POLL_SECONDS = 0.05
PROBE_PROJECT = "lifecycle-probe"
PROBE_PAUSE_SECONDS = 0.02
DETAIL_SIZE = 10  # activities of the sessions read back (the workload's largest)


def build_bodies(activities: int, seed: int, per_request: int, project: str | None = None) -> dict:
    """Request bodies (serialised before any clock starts), LLM calls per body, and activities per session."""
    sizes: Counter = Counter()

    def sessions() -> Iterator[Session]:
        for session in Workload(seed=seed).sessions(activities):
            if project:
                session.record["tracking_project"] = project
            sizes[session.record["id"]] = len(session.activities)
            yield session

    bodies, calls = [], []
    for batch in requests(sessions(), per_request):
        bodies.append(orjson.dumps(batch))
        calls.append(sum(a["activity_type"] == "llm-prompt" for a in batch["activities"]))
    return {"bodies": bodies, "calls": calls, "sizes": sizes}


def new_account(server: ServerProcess, name: str) -> str:
    """A fresh account on the server's store with an admin key (made by the server's services, not over HTTP)."""
    from promptwatch.server.services.accounts import AccountService
    from promptwatch.server.services.credentials import Caller
    from promptwatch.server.services.runtime import Runtime
    from promptwatch.server.settings import Settings, resolve_database_url
    from promptwatch.server.store.engine import make_engine

    settings = Settings(
        data_dir=server.data_dir, **({"database_url": server.database_url} if server.database_url else {})
    )
    engine = make_engine(resolve_database_url(settings))
    try:
        accounts = AccountService(Runtime.build(settings, engine))
        account_id = accounts.create_account(name, f"{name}-{secrets.token_hex(4)}@example.test", secrets.token_hex(16))
        return accounts.create_key(Caller(account_id=account_id, scope="admin"), "admin", "bench", None, None)[
            "api_key"
        ]
    finally:
        engine.dispose()


def disk_bytes(server: ServerProcess) -> int:
    """SQLite: database + WAL as they are on disk, no checkpoint; PostgreSQL: pg_database_size."""
    if server.database_url:
        return store_bytes(server.data_dir, server.database_url)
    db = server.data_dir / "promptwatch.db"
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def database_backends(url: str) -> list[psutil.Process]:
    """The PostgreSQL backends serving this database (the server's pool), not those of other work on the
    machine; the shared background writers are left out too."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        pids = [row[0] for row in conn.execute(query)]
    return [psutil.Process(pid) for pid in pids if psutil.pid_exists(pid)]


def client_for(server: ServerProcess, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=600)


def wait_calls(client: httpx.Client, expected: int, deadline: Deadline) -> None:
    """Poll the account's usage totals until they count `expected` LLM calls."""
    while client.get("/api/v1/metrics/usage").json()["totals"]["calls"] != expected:
        deadline.check()
        time.sleep(POLL_SECONDS)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class WriteProbe:
    """While open: small ingest requests one after another, each timed; on SQLite also the wait for the
    write lock, taken and given back at once. `take()` returns the figures since the last call."""

    def __init__(self, server: ServerProcess, key: str) -> None:
        self._client = client_for(server, key)
        self._db = None if server.database_url else server.data_dir / "promptwatch.db"
        self._samples: dict[str, list[float]] = {"ingest": [], "lock": []}
        self._failed = 0  # answers other than 2xx: on SQLite, "database is locked" after the busy timeout
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._ingest, daemon=True)]
        if self._db:
            self._threads.append(threading.Thread(target=self._lock, daemon=True))

    def __enter__(self) -> WriteProbe:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        self._client.close()

    def _ingest(self) -> None:
        while not self._stop.is_set():
            now = datetime.now(timezone.utc).isoformat()
            body = {"sessions": [{"id": str(uuid.uuid4()), "start_time": now, "tracking_project": PROBE_PROJECT}]}
            started = time.perf_counter()
            response = self._client.post("/api/v1/ingest", json=body)
            self._samples["ingest"].append(1000 * (time.perf_counter() - started))
            self._failed += not response.is_success
            self._stop.wait(PROBE_PAUSE_SECONDS)

    def _lock(self) -> None:
        conn = sqlite3.connect(self._db, timeout=600, isolation_level=None)
        try:
            while not self._stop.is_set():
                started = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                self._samples["lock"].append(1000 * (time.perf_counter() - started))
                conn.execute("ROLLBACK")
                self._stop.wait(PROBE_PAUSE_SECONDS)
        finally:
            conn.close()

    def take(self) -> dict:
        ingest, lock = self._samples["ingest"], self._samples["lock"]
        self._samples, failed, self._failed = {"ingest": [], "lock": []}, self._failed, 0
        found = {
            "ingest_requests": len(ingest),
            "ingest_failed": failed,
            "ingest_p50_ms": round(percentile(ingest, 0.5), 1),
            "ingest_p99_ms": round(percentile(ingest, 0.99), 1),
            "ingest_max_ms": round(max(ingest, default=0), 1),
        }
        if self._db:
            found["lock_wait_max_ms"] = round(max(lock, default=0), 1)
            found["lock_wait_p99_ms"] = round(percentile(lock, 0.99), 1)
        return found


def run_cleanup(server: ServerProcess, deadline: Deadline) -> dict:
    """`promptwatch cleanup` as a subprocess: wall seconds, the cycle's own figure, and when each step ended."""
    env = {**os.environ, "COLUMNS": "200"}  # rich wraps at 80 columns when not on a terminal
    if server.database_url:
        env["PROMPTWATCH_DATABASE_URL"] = server.database_url
    command = [str(PROMPTWATCH), "cleanup", "--data-dir", str(server.data_dir)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    steps, output = [], []
    try:
        for line in process.stdout:
            at = time.perf_counter() - started
            output.append(line.rstrip())
            step, _, count = line.strip().rpartition(": ")
            if line.startswith("  ") and count.isdigit():
                steps.append({"step": step, "count": int(count), "ended_at_seconds": round(at, 3)})
        process.wait(max(deadline.left(), 1))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"promptwatch cleanup exited with {process.returncode}:\n" + "\n".join(output[-30:]))
    cycle = next((line for line in output if line.startswith("cleanup done in ")), "")
    reported = float(cycle.removeprefix("cleanup done in ").split("s:", 1)[0]) if cycle else None
    return {"seconds": round(seconds, 3), "cycle_reported_seconds": reported, "steps": steps, "output": output}


def cleanup_cycle(args: argparse.Namespace, db: str, deadline: Deadline, chunk: int) -> dict:
    """Ingest N activities in one project, delete the project through the API, run the cleanup cycle; with
    `chunk` activities per transaction of the deletion, and a probe of concurrent writes meanwhile."""
    made = build_bodies(args.activities, args.seed, args.per_request, PROJECT)
    sessions = len(made["sizes"])
    print(
        f"[{db}] cleanup cycle: {len(made['bodies'])} requests, {sessions} sessions, {args.activities} activities, "
        f"{chunk or 'all'} activities per deletion transaction"
    )
    env = {**SERVER_ENV, "PROMPTWATCH_DELETION_CHUNK_ACTIVITIES": str(chunk)}
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-lifecycle-"))) / "data"
        url = stack.enter_context(postgres_database()) if db == "postgresql" else None
        server = stack.enter_context(ServerProcess(data_dir, env=env, database_url=url).running())
        server.start()
        key = new_account(server, "lifecycle")
        empty_cycle = run_cleanup(server, deadline)  # the command's fixed cost: start-up, schema check, empty purge
        sizes = {"before_ingest": disk_bytes(server)}
        client = stack.enter_context(client_for(server, key))
        started = time.perf_counter()
        sent = send_batches(server.base_url, key, made["bodies"], args.concurrency, deadline)
        wait_calls(client, sum(made["calls"]), deadline)
        ingest_seconds = time.perf_counter() - started
        probe_id = next(iter(made["sizes"]))
        del made
        if client.get(f"/api/v1/sessions/{probe_id}").status_code != 200:
            raise RuntimeError("a session sent is not readable before the deletion")
        sizes["after_ingest"] = disk_bytes(server)
        print(f"[{db}] ingested in {ingest_seconds:.1f} s; deleting project {PROJECT!r}", flush=True)

        probe = stack.enter_context(WriteProbe(server, key))
        started = time.perf_counter()
        response = client.delete(f"/api/v1/projects/{PROJECT}")
        delete_seconds = time.perf_counter() - started
        during_delete = probe.take()
        response.raise_for_status()
        receipt = response.json()
        if receipt["counts"]["activities"] != args.activities or receipt["counts"]["sessions"] != sessions:
            raise RuntimeError(
                f"the deletion removed {receipt['counts']}, sent {sessions} sessions / {args.activities}"
            )
        left = client.get("/api/v1/sessions", params={"limit": 1, "project": PROJECT}).json()["items"]
        if left or client.get(f"/api/v1/sessions/{probe_id}").status_code != 404:
            raise RuntimeError("deleted data is still readable")
        sizes["after_deletion"] = disk_bytes(server)
        print(f"[{db}] deleted in {delete_seconds:.1f} s; running the cleanup cycle", flush=True)

        probe.take()
        cycle = run_cleanup(server, deadline)
        during_cycle = probe.take()
        sizes["after_cycle"] = disk_bytes(server)
        purged = client.get(f"/api/v1/deletions/{receipt['id']}").json()
        if not purged["purged_at"]:
            raise RuntimeError(f"the receipt is not marked purged after the cycle: {purged}")
    return {
        "chunk_activities": chunk,
        "activities": args.activities,
        "sessions": sessions,
        "concurrent_writes": {"during_delete": during_delete, "during_cycle": during_cycle},
        "ingest_seconds": round(ingest_seconds, 2),
        "ingest_activities_per_second": round(args.activities / ingest_seconds, 1),
        "ingest_server_errors_resent": sent.server_errors,
        "delete_seconds": round(delete_seconds, 3),
        "deleted_activities_per_second": round(args.activities / delete_seconds, 1),
        "receipt": purged,
        "cleanup": cycle,
        "cleanup_empty_store": empty_cycle,
        "purged_activities_per_second": round(args.activities / cycle["seconds"], 1),
        "purged_activities_per_second_in_cycle": round(
            args.activities / max(cycle["cycle_reported_seconds"] or cycle["seconds"], 0.05), 1
        ),
        "store_bytes": sizes,
    }


def encryption_cost(args: argparse.Namespace, db: str, deadline: Deadline) -> dict:
    """The same activities into a plain and an encrypted account, alternately in rounds; then detail reads."""
    count = args.encryption_activities if args.encryption_activities is not None else args.activities // 2
    made = build_bodies(count, args.seed + 1, args.per_request)
    bodies, calls = made["bodies"], made["calls"]
    bounds = [round(i * len(bodies) / args.rounds) for i in range(args.rounds + 1)]
    slices = [
        (bodies[a:b], sum(calls[a:b]), sum(len(orjson.loads(x)["activities"]) for x in bodies[a:b]))
        for a, b in zip(bounds, bounds[1:])
    ]
    print(f"[{db}] encryption: {count} activities into each account, {args.rounds} rounds", flush=True)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-lifecycle-"))) / "data"
        url = stack.enter_context(postgres_database()) if db == "postgresql" else None
        server = stack.enter_context(ServerProcess(data_dir, env=SERVER_ENV, database_url=url).running())
        server.start()
        keys = {"plain": new_account(server, "plain"), "encrypted": new_account(server, "encrypted")}
        clients = {kind: stack.enter_context(client_for(server, key)) for kind, key in keys.items()}
        clients["encrypted"].put("/api/v1/account/encryption", json={"enabled": True}).raise_for_status()
        for kind, client in clients.items():
            if client.get("/api/v1/account/encryption").json()["enabled"] != (kind == "encrypted"):
                raise RuntimeError(f"the {kind} account's encryption setting is wrong")
        rounds = {"plain": [], "encrypted": []}
        done = {"plain": 0, "encrypted": 0}
        for number, (chunk, chunk_calls, chunk_activities) in enumerate(slices):
            order = ("plain", "encrypted") if number % 2 == 0 else ("encrypted", "plain")
            for kind in order:
                extra = database_backends(url) if url else []
                with ResourceSampler(server.pid, extra=extra) as sampler:
                    started = time.perf_counter()
                    sent = send_batches(server.base_url, keys[kind], chunk, args.concurrency, deadline)
                    done[kind] += chunk_calls
                    wait_calls(clients[kind], done[kind], deadline)
                    seconds = time.perf_counter() - started
                rounds[kind].append(
                    {
                        "activities": chunk_activities,
                        "seconds": round(seconds, 3),
                        "activities_per_second": round(chunk_activities / seconds, 1),
                        "server_cpu_ms_per_activity": round(1000 * sampler.cpu_seconds / chunk_activities, 4),
                        "postgres_cpu_ms_per_activity": round(1000 * sampler.extra_cpu_seconds / chunk_activities, 4),
                        "server_errors_resent": sent.server_errors,
                    }
                )
            print(
                f"[{db}] round {number + 1}: "
                + ", ".join(f"{k} {rounds[k][-1]['activities_per_second']:,.0f}/s" for k in rounds),
                flush=True,
            )
        details = detail_latency(clients, made["sizes"], args.detail_gets, deadline)
        # an encrypted account is kept out of the full-text index (it would hold the words in clear): less work
        search = {
            k: c.get("/api/v1/sessions", params={"q": "refund", "limit": 1}).status_code for k, c in clients.items()
        }
    aes = crypto_microseconds(bodies)
    throughput = {k: median([r["activities_per_second"] for r in v]) for k, v in rounds.items()}
    cpu = {k: median([r["server_cpu_ms_per_activity"] for r in v]) for k, v in rounds.items()}
    pg_cpu = {k: median([r["postgres_cpu_ms_per_activity"] for r in v]) for k, v in rounds.items()} if url else None
    return {
        "activities_per_account": count,
        "rounds": rounds,
        "throughput_median": throughput,
        "server_cpu_ms_per_activity_median": cpu,
        "postgres_cpu_ms_per_activity_median": pg_cpu,
        "text_search": search,
        "detail": details,
        "in_process_cpu_us_per_activity": aes,
        "ratios": {
            "throughput": round(throughput["encrypted"] / throughput["plain"], 3),
            "server_cpu_per_activity": round(cpu["encrypted"] / cpu["plain"], 3),
            "detail_latency": round(details["encrypted"]["median_ms"] / details["plain"]["median_ms"], 3),
            "detail_latency_paired": details["paired_ratio_median"],
            "postgres_cpu_per_activity": round(pg_cpu["encrypted"] / pg_cpu["plain"], 3) if pg_cpu else None,
        },
    }


def crypto_microseconds(bodies: list[bytes], count: int = 2000) -> dict:
    """CPU microseconds per activity body of AES-GCM seal and open, in this process with the server's own code,
    beside the compression every body gets anyway (for scale)."""
    from promptwatch.server.services.encryption import AccountCrypto
    from promptwatch.server.store.bodies import decode_body, encode_body

    activities = []
    for body in bodies:
        activities.extend(orjson.loads(body)["activities"])
        if len(activities) >= count:
            break

    def timed(function, items) -> tuple[float, list]:
        started = time.process_time()
        out = [function(item) for item in items]
        return 1e6 * (time.process_time() - started) / len(items), out

    compress, blobs = timed(encode_body, activities)
    with tempfile.TemporaryDirectory(prefix="pw-keys-") as keys:
        crypto = AccountCrypto(Path(keys))
        crypto.enable(1)
        seal, sealed = timed(lambda blob: crypto.seal_body(1, blob), blobs)
        unseal, opened = timed(lambda blob: crypto.open_body(1, blob), sealed)
    decompress, _ = timed(decode_body, opened)
    if opened != blobs:
        raise RuntimeError("AES-GCM open did not give back the sealed bodies")
    return {
        "activities": len(blobs),
        "compressed_body_bytes_mean": round(sum(map(len, blobs)) / len(blobs)),
        "aes_gcm_seal": round(seal, 2),
        "aes_gcm_open": round(unseal, 2),
        "body_compress": round(compress, 2),
        "body_decompress_and_parse": round(decompress, 2),
    }


def detail_latency(clients: dict, sizes: Counter, gets: int, deadline: Deadline) -> dict:
    """Median of `gets` session-detail reads per account, alternating; both accounts must answer the same."""
    chosen = [sid for sid, n in sizes.items() if n == DETAIL_SIZE]
    chosen = [chosen[i * len(chosen) // gets] for i in range(gets)] if len(chosen) >= gets else chosen
    if not chosen:
        raise RuntimeError(f"no session of {DETAIL_SIZE} activities to read back")
    for client in clients.values():  # warm-up
        client.get(f"/api/v1/sessions/{chosen[-1]}").raise_for_status()
    samples = {kind: [] for kind in clients}
    for number, sid in enumerate(chosen):
        deadline.check()
        answers = {}
        for kind in sorted(clients, reverse=number % 2 == 1):
            started = time.perf_counter()
            response = clients[kind].get(f"/api/v1/sessions/{sid}")
            samples[kind].append(1000 * (time.perf_counter() - started))
            response.raise_for_status()
            answers[kind] = response.json()["activities"]
        if len(answers["plain"]) != DETAIL_SIZE or answers["plain"] != answers["encrypted"]:
            raise RuntimeError(f"the two accounts answer session {sid} differently")
    found = {
        kind: {
            "sessions": len(values),
            "median_ms": round(median(values), 2),
            "min_ms": round(min(values), 2),
            "max_ms": round(max(values), 2),
        }
        for kind, values in samples.items()
    }
    # each pair ran back to back, so the machine's load of the moment cancels out of its ratio
    found["paired_ratio_median"] = round(median([e / p for e, p in zip(samples["encrypted"], samples["plain"])]), 3)
    return found


def cycle_rows(db: str, cycle: dict) -> list[tuple]:
    mb = {k: f"{v / 2**20:,.1f}" for k, v in cycle["store_bytes"].items()}
    steps, previous = [], 0.0
    for step in cycle["cleanup"]["steps"]:
        steps.append(f"{step['step']} {step['ended_at_seconds'] - previous:.1f} s")
        previous = step["ended_at_seconds"]
    writes = cycle["concurrent_writes"]

    def probe(during: dict) -> str:
        lock = f"; longest write-lock wait {during['lock_wait_max_ms']:,.0f} ms" if "lock_wait_max_ms" in during else ""
        return (
            f"ingest p50 {during['ingest_p50_ms']:,.0f} ms, p99 {during['ingest_p99_ms']:,.0f} ms, "
            f"max {during['ingest_max_ms']:,.0f} ms ({during['ingest_requests']} requests, "
            f"{during['ingest_failed']} failed){lock}"
        )

    return [
        (f"--- {cycle['chunk_activities'] or 'all'} activities per deletion transaction", "", ""),
        (
            "activities ingested",
            f"{cycle['activities']:,} in {cycle['sessions']:,} sessions",
            f"{cycle['ingest_activities_per_second']:,.0f}/s, {cycle['ingest_seconds']:.0f} s",
        ),
        (
            "DELETE project (unreadable)",
            f"{cycle['delete_seconds']:.2f} s",
            f"{cycle['deleted_activities_per_second']:,.0f} activities/s",
        ),
        ("  concurrent writes meanwhile", probe(writes["during_delete"]), "probe: another project"),
        (
            "cleanup cycle (physical purge)",
            f"{cycle['cleanup']['seconds']:.2f} s",
            f"subprocess wall; cycle itself {cycle['cleanup']['cycle_reported_seconds']} s",
        ),
        ("  concurrent writes meanwhile", probe(writes["during_cycle"]), "VACUUM holds the lock on SQLite"),
        (
            "  purged per second",
            f"{cycle['purged_activities_per_second']:,.0f} activities/s",
            f"cycle itself: {cycle['purged_activities_per_second_in_cycle']:,.0f}/s",
        ),
        ("  steps", "; ".join(steps), "first step includes the command's start"),
        ("  same command, empty store", f"{cycle['cleanup_empty_store']['seconds']:.2f} s", "fixed cost"),
        (
            "store MB: before/ingested/deleted/purged",
            f"{mb['before_ingest']} / {mb['after_ingest']} / {mb['after_deletion']} / {mb['after_cycle']}",
            "db + WAL on disk" if db == "sqlite" else "pg_database_size",
        ),
    ]


def report(result: dict) -> None:
    db = result["db"]
    rows = [row for cycle in result["cleanup_cycles"] for row in cycle_rows(db, cycle)]
    enc = result.get("encryption")
    if enc:
        t, c, d = enc["throughput_median"], enc["server_cpu_ms_per_activity_median"], enc["detail"]
        aes = enc["in_process_cpu_us_per_activity"]
        rows += [
            (
                f"ingest, median of {len(enc['rounds']['plain'])} rounds",
                f"plain {t['plain']:,.0f}/s, encrypted {t['encrypted']:,.0f}/s",
                f"ratio {enc['ratios']['throughput']:.3f}",
            ),
            (
                "server CPU per activity",
                f"plain {c['plain']:.3f} ms, encrypted {c['encrypted']:.3f} ms",
                f"ratio {enc['ratios']['server_cpu_per_activity']:.3f}",
            ),
            *(
                [
                    (
                        "PostgreSQL CPU per activity",  # the backends of this database
                        f"plain {p['plain']:.3f} ms, encrypted {p['encrypted']:.3f} ms",
                        f"ratio {enc['ratios']['postgres_cpu_per_activity']:.3f}",
                    )
                ]
                if (p := enc["postgres_cpu_ms_per_activity_median"])
                else []
            ),
            (
                f"session detail ({DETAIL_SIZE} activities), median of {d['plain']['sessions']}",
                f"plain {d['plain']['median_ms']:.1f} ms, encrypted {d['encrypted']['median_ms']:.1f} ms",
                f"ratio {enc['ratios']['detail_latency']:.3f}; paired {enc['ratios']['detail_latency_paired']:.3f}",
            ),
            (
                "text search q= (HTTP status)",
                f"plain {enc['text_search']['plain']}, encrypted {enc['text_search']['encrypted']}",
                "encrypted payloads are not indexed",
            ),
            (
                "AES-GCM per activity body (CPU)",
                f"seal {aes['aes_gcm_seal']:.1f} µs, open {aes['aes_gcm_open']:.1f} µs",
                f"in-process; zstd {aes['body_compress']:.1f} µs, {aes['compressed_body_bytes_mean']} B",
            ),
        ]
    print_table(
        f"PromptWatch data lifecycle on {db} (encryption: {enc and enc['activities_per_account']:,} "
        "activities per account)"
        if enc
        else f"PromptWatch data lifecycle on {db}",
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--activities", type=int, default=100_000, help="activities purged by the cleanup cycle")
    parser.add_argument(
        "--chunk-activities",
        default="0,2000",
        help="comma-separated activities per deletion transaction, one run each (0: one transaction)",
    )
    parser.add_argument("--encryption-activities", type=int, help="per account (default: half of --activities)")
    parser.add_argument("--rounds", type=int, default=5, help="slices of the encryption comparison")
    parser.add_argument("--detail-gets", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit-minutes", type=float, default=15, help="per database")
    args = parser.parse_args()
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        deadline = Deadline(args.limit_minutes * 60)
        load_before = os.getloadavg()
        chunks = [int(v) for v in args.chunk_activities.split(",")]
        result = {"db": db, "cleanup_cycles": [cleanup_cycle(args, db, deadline, chunk) for chunk in chunks]}
        if args.encryption_activities != 0:
            result["encryption"] = encryption_cost(args, db, deadline)
        result["load_average_before"], result["load_average_after"] = load_before, os.getloadavg()
        result["seconds"] = round(args.limit_minutes * 60 - deadline.left(), 1)
        report(result)
        print(f"\nwritten to {write_results(f'lifecycle-{db}', {'command': sys.argv, **result})}", flush=True)


if __name__ == "__main__":
    main()
