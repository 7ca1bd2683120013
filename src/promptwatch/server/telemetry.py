"""Prometheus metrics of this process: requests, latency, ingest volume, writer queue depth."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "promptwatch_http_requests",
            "HTTP requests by route and status class",
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
        self.queue_depth = Gauge("promptwatch_ingest_queue_depth", "Ingest jobs waiting", registry=self.registry)
        self.written = Gauge(
            "promptwatch_ingest_activities_written", "Activities written by this process", registry=self.registry
        )
        self.write_failures = Gauge(
            "promptwatch_ingest_write_failures", "Failed ingest jobs in this process", registry=self.registry
        )
        self._writer = None

    def watch_writer(self, writer) -> None:
        self._writer = writer

    def render(self) -> bytes:
        if self._writer is not None:
            self.queue_depth.set(self._writer.depth)
            self.written.set(self._writer.stats.activities)
            self.write_failures.set(self._writer.stats.failures)
        return generate_latest(self.registry)
