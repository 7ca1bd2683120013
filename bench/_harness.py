"""What the benchmark scripts share: a server process on 127.0.0.1 with its start-up time, a sampler of its
CPU and memory, fresh PostgreSQL databases, store sizes, the concurrent batch sender, and results output.

Every wait has a deadline: `Deadline` (15 minutes by default) aborts a run that would go on too long.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PROMPTWATCH = REPO / ".venv" / "bin" / "promptwatch"
ADMIN_URL = os.environ.get("PROMPTWATCH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DEFAULT_LIMIT_SECONDS = 15 * 60
MAX_ATTEMPTS = 5  # per request; a 5xx other than 503 is counted and resent, then the run fails
# Work-around, reported: when the key cache expires (default 5 s), authenticating writes `last_used_at` from a
# request thread, a second SQLite writer beside the batch writer; the batch writer's deferred transaction
# then fails with "database is locked" and a whole batch of requests answers 500. A long cache avoids it.
SERVER_ENV = {"PROMPTWATCH_API_KEY_CACHE_SECONDS": "3600"}


class Deadline:
    """Aborts the run (SIGALRM raises `TimeoutError` in the main thread) after `seconds`; `left()` for waits."""

    def __init__(self, seconds: float = DEFAULT_LIMIT_SECONDS) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        signal.signal(signal.SIGALRM, self._expired)
        signal.alarm(int(seconds))

    def _expired(self, *_):
        raise TimeoutError(f"benchmark aborted after {self.seconds:.0f} s")

    def left(self) -> float:
        return self.ends - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            raise TimeoutError(f"benchmark aborted after {self.seconds:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServiceProcess:
    """A server in its own process on 127.0.0.1, healthy when `health_path` answers 200; its output goes to
    `<data_dir>/server.log`. Subclasses say how to start it."""

    data_dir: Path
    env: dict = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    health_path: str = "/api/v1/health"
    start_cpu_seconds: float = 0.0  # CPU the last start used until healthy: robust when the machine is busy

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict:
        return {**os.environ, **self.env}

    def start(self, timeout: float = 120) -> float:
        """Start and wait until healthy; returns the seconds that took."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                self.command(), env=self.environment(), stdout=out, stderr=subprocess.STDOUT
            )
        with httpx.Client(timeout=1) as client:
            while time.perf_counter() - started < timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if client.get(self.base_url + self.health_path).status_code == 200:
                        elapsed = time.perf_counter() - started
                        self.start_cpu_seconds = sum(_cpu(p) for p in _tree(psutil.Process(self.pid)))
                        return elapsed
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"server not healthy after {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    @contextmanager
    def running(self) -> Iterator[ServiceProcess]:
        """Stops the server on the way out; when the block fails, prints the end of the server's log."""
        try:
            yield self
        except BaseException:
            print(f"--- end of the server log ({self.log_path}) ---\n{self.log_tail()}", flush=True)
            raise
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class ServerProcess(ServiceProcess):
    """`promptwatch up`; the first start on an empty store prints the API key, kept in `api_key`."""

    database_url: str | None = None
    api_key: str | None = None

    def command(self) -> list[str]:
        return [
            str(PROMPTWATCH),
            "up",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]

    def environment(self) -> dict:
        env = {**os.environ, **SERVER_ENV, **self.env}
        if self.database_url:
            env["PROMPTWATCH_DATABASE_URL"] = self.database_url
        return env

    def start(self, timeout: float = 120) -> float:
        elapsed = super().start(timeout)
        for line in self.log_path.read_text(errors="replace").splitlines():
            if "API key:" in line:
                self.api_key = line.split("API key:", 1)[1].strip()
        return elapsed


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def startup_times(server: ServiceProcess, runs: int = 5, cpu: list | None = None) -> list[float]:
    """Seconds to healthy for `runs` restarts on the server's existing store (the server ends stopped), and
    into `cpu` the CPU seconds each start used; a failed restart is reported and ends the series."""
    times = []
    for _ in range(runs):
        server.stop()
        try:
            times.append(server.start())
            if cpu is not None:
                cpu.append(server.start_cpu_seconds)
        except RuntimeError as exc:
            print(f"restart failed: {str(exc)[-600:]}", flush=True)
            break
    server.stop()
    return times


class ResourceSampler:
    """Peak RSS of a process with its children (sampled every 100 ms) and their user+system CPU seconds
    between start and stop. `extra` names other processes whose CPU is summed apart (PostgreSQL's).
    `main_thread_cpu` and `other_threads_cpu` split the process's own CPU (user, system seconds): its main
    thread (a server's event loop) and the rest (its worker threads), threads that ended meanwhile not counted."""

    def __init__(self, pid: int, interval: float = 0.1, extra: Sequence[psutil.Process] = ()) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.extra = list(extra)
        self.peak_rss = 0
        self.cpu_seconds = 0.0
        self.extra_cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _tree(self) -> list[psutil.Process]:
        return _tree(self.process)

    def __enter__(self) -> ResourceSampler:
        self._cpu0 = {p.pid: _cpu(p) for p in self._tree()}
        self._extra0 = {p.pid: _cpu(p) for p in self.extra}
        self._threads0 = self._threads()
        self.peak_rss = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self.cpu_seconds = sum(_cpu(p) - self._cpu0.get(p.pid, 0.0) for p in self._tree())
        self.extra_cpu_seconds = sum(_cpu(p) - self._extra0.get(p.pid, 0.0) for p in self.extra if p.is_running())
        spent = {
            tid: (user - self._threads0.get(tid, (0.0, 0.0))[0], system - self._threads0.get(tid, (0.0, 0.0))[1])
            for tid, (user, system) in self._threads().items()
        }
        main = spent.pop(self.process.pid, (0.0, 0.0))
        self.main_thread_cpu = main
        self.other_threads_cpu = (sum(u for u, _ in spent.values()), sum(s for _, s in spent.values()))

    def _threads(self) -> dict[int, tuple[float, float]]:
        """{thread id: (user, system) CPU seconds} of the process's threads (the main thread's id is its pid)."""
        try:
            return {t.id: (t.user_time, t.system_time) for t in self.process.threads()}
        except psutil.Error:
            return {}

    def _rss(self) -> int:
        total = 0
        for process in self._tree():
            with suppress(psutil.Error):
                total += process.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_rss = max(self.peak_rss, self._rss())


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return [process]


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def postgres_processes() -> list[psutil.Process]:
    """The local PostgreSQL server's processes (postmaster, backends, writers), to count their CPU too."""
    found = []
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            found.append(process)
    return found


@contextmanager
def postgres_database(kept: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (SQLAlchemy URL), dropped afterwards; or, with `kept`, the database of
    that name, created if it does not exist and kept (a store a later run resumes)."""
    import psycopg

    name = kept or f"pw_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    finally:
        if not kept:
            with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_bytes(data_dir: Path, database_url: str | None) -> int:
    """Bytes the store takes: SQLite db + WAL after a TRUNCATE checkpoint, or PostgreSQL's database size."""
    if database_url and database_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    db = data_dir / "promptwatch.db"
    conn = sqlite3.connect(db, timeout=60)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


@dataclass
class SendStats:
    requests: int = 0
    retries: int = 0
    stored: int = 0
    rejected: int = 0
    seconds: float = 0.0
    server_errors: int = 0  # 5xx answers other than 503 and dropped connections, each resent
    errors: list[str] = field(default_factory=list, repr=False)
    latencies: list[float] = field(default_factory=list, repr=False)


def check_native(response: httpx.Response, stats: SendStats) -> None:
    """The native ingest answer: count what was stored; any rejected item is an error."""
    result = response.json()
    stats.stored += result["stored"]
    stats.rejected += result["rejected"]
    if result["rejected"]:
        bad = next(a for a in result["activities"] + result["sessions"] if a["status"] == "invalid")
        raise RuntimeError(f"the server rejected items: {bad}")


def send_batches(
    base_url: str,
    api_key: str | None,
    bodies: Iterable[bytes],
    concurrency: int,
    deadline: Deadline,
    path: str = "/api/v1/ingest",
    content_type: str = "application/json",
    check: Callable[[httpx.Response, SendStats], None] = check_native,
) -> SendStats:
    """POST every body to `path` over `concurrency` keep-alive connections. 503s are retried after
    Retry-After; other 5xx answers are counted (`server_errors`) and resent up to MAX_ATTEMPTS times.
    `bodies` may be a generator (drawn under a lock). `check` reads each 200 answer and raises when items
    were refused: a benchmark of refused data measures nothing."""
    stats = SendStats()
    lock = threading.Lock()
    cursor = iter(bodies)
    headers = {"Content-Type": content_type}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"

    def worker() -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
            while True:
                with lock:
                    body = next(cursor, None)
                if body is None or deadline.left() <= 0:
                    return
                for attempt in range(MAX_ATTEMPTS):
                    sent = time.perf_counter()
                    try:
                        response = client.post(path, content=body)
                    except httpx.TransportError as exc:  # the server dropped the connection: count, resend
                        if attempt == MAX_ATTEMPTS - 1:
                            raise
                        with lock:
                            stats.server_errors += 1
                            stats.errors.append(f"{type(exc).__name__}: {exc}")
                        time.sleep(0.5)
                        continue
                    if response.status_code == 503:
                        with lock:
                            stats.retries += 1
                        time.sleep(float(response.headers.get("retry-after", "1")))
                    elif response.status_code >= 500 and attempt < MAX_ATTEMPTS - 1:
                        with lock:  # ingest is idempotent: resending is what a client does, but it is counted
                            stats.server_errors += 1
                            stats.errors.append(response.text[:200])
                        time.sleep(0.5)
                    else:
                        break
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:500]}")
                with lock:
                    stats.requests += 1
                    stats.latencies.append(time.perf_counter() - sent)
                    check(response, stats)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    stats.seconds = time.perf_counter() - started
    deadline.check()
    return stats


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "reference_loop_ms": reference_loop_ms(),
    }


def reference_loop_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop (best of 3): the speed of this machine's cores, so that
    figures taken on different machines can be compared."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def source() -> dict:
    """The commit measured, and whether the work tree differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30)
        return done.stdout.strip()

    found = {"commit": git("rev-parse", "HEAD"), "changed_files": git("status", "--porcelain", "src").splitlines()}
    if os.environ.get("PYTHONPATH"):  # a snapshot of the sources, e.g. `git archive HEAD src | tar -x -C DIR`
        found["pythonpath"] = os.environ["PYTHONPATH"]
        commit = Path(os.environ["PYTHONPATH"]).parent / "COMMIT"
        if commit.exists():
            found["snapshot_commit"] = commit.read_text().strip()
    return found


def write_results(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    payload = {"benchmark": name, "date": stamp, "machine": machine(), "source": source(), **data}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def print_table(
    title: str, rows: Sequence[tuple[str, str, str]], headers: tuple[str, str, str] = ("measure", "value", "target")
) -> None:
    """Rows of (measure, value, target or note)."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(3)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
