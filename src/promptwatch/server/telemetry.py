"""Prometheus metrics of the server: requests, latency, ingest volume, writer queue depth, and each worker
process's CPU, memory and file descriptors.

One process keeps its figures in memory. Several (`promptwatch up --workers N`) use prometheus_client's
multiprocess mode: `workers_share_metrics` gives them a fresh directory, where each writes its own, and the
worker that answers a scrape adds up every worker's, those of workers that have since ended too, so that the
counters are the whole server's since it started. A gauge says how it adds up (`multiprocess_mode`); a live
gauge leaves with its worker, which the scrape finds ended (`_live_workers`)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.process_collector import ProcessCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client when it is first imported
_LIVE_GAUGES = "gauge_livesum_"  # the file of a worker's live gauges: gauge_livesum_<pid>.db


def workers_share_metrics() -> None:
    """Before worker processes start: their figures go to a new, empty directory in the temporary directory
    (`TMPDIR`), removed when this process ends."""
    directory = tempfile.mkdtemp(prefix="promptwatch-metrics-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ[MULTIPROCESS_DIR] = directory


def status_label(status: int) -> str:
    """An answer's status as counted: by class (`2xx`, `4xx`), but a server error by its code, so that a
    failure (`500`) is told from load shed or a server not ready (`503`)."""
    return str(status) if status >= 500 else f"{status // 100}xx"


class Telemetry:
    """The metrics of this process: counted by the edge middleware (`count_request`), read by `/metrics`
    (`render`), the whole server's when its workers share a directory."""

    def __init__(self) -> None:
        self._directory = os.environ.get(MULTIPROCESS_DIR) or None
        self.registry = None if self._directory else CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "promptwatch_http_requests",
            "HTTP requests by route and status (class, a server error's code)",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "promptwatch_http_request_seconds",
            "HTTP request latency by route, until the answer starts",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.queue_depth = Gauge(
            "promptwatch_ingest_queue_depth",
            "Ingest jobs waiting, in every worker",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.written = Counter("promptwatch_ingest_activities_written", "Activities written", registry=self.registry)
        self.write_failures = Counter("promptwatch_ingest_write_failures", "Failed ingest jobs", registry=self.registry)
        if self.registry is not None:
            self.registry.register(_WorkerProcesses(lambda: [os.getpid()]))
        self._writer = None
        self._seen = (0, 0, 0)  # the writer's depth, activities and failures when last counted

    def watch_writer(self, writer) -> None:
        self._writer = writer

    def count_request(self, route: str, status: int, seconds: float) -> None:
        """Count an answered request, and what the writer did since the last one: every ingest request waits
        for its job's commit, so the writer's work is counted when its requests are answered."""
        self.requests.labels(route, status_label(status)).inc()
        self.latency.labels(route).observe(seconds)
        if self._writer is None:
            return
        now = (self._writer.depth, self._writer.stats.activities, self._writer.stats.failures)
        if now == self._seen:
            return
        self.queue_depth.set(now[0])
        self.written.inc(now[1] - self._seen[1])
        self.write_failures.inc(now[2] - self._seen[2])
        self._seen = now

    def render(self) -> bytes:
        if self._directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self._directory)
        registry.register(_WorkerProcesses(lambda: _live_workers(self._directory)))
        return generate_latest(registry)


def _live_workers(directory: str) -> list[int]:
    """The workers that run, by pid; an ended one's live gauges are removed (`mark_process_dead`)."""
    workers = []
    for path in Path(directory).glob(_LIVE_GAUGES + "*.db"):
        pid = int(path.stem.removeprefix(_LIVE_GAUGES))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, directory)
            continue
        except PermissionError:  # runs, as another user
            pass
        workers.append(pid)
    return sorted(workers)


class _WorkerProcesses:
    """The standard process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...) of
    each worker, labelled with its `pid`, read from /proc when scraped (none where there is no /proc)."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids

    def collect(self) -> Iterable[Metric]:
        families: dict[str, Metric] = {}
        for pid in self._pids():
            for family in ProcessCollector(pid=lambda pid=pid: pid, registry=None).collect():
                merged = families.setdefault(family.name, Metric(family.name, family.documentation, family.type))
                for sample in family.samples:
                    merged.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
        return families.values()
