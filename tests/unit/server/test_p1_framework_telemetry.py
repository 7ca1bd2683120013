"""P1: no request data leaves the server through the web framework's own OpenTelemetry support, even when the
process has OpenTelemetry providers (set up by the operator's environment, say).

Each check runs in a fresh interpreter: OpenTelemetry's global providers can be set only once per process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path

    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    spans, reader = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

    if sys.argv[1] == "promptwatch":
        from promptwatch.server.app import create_app
        from promptwatch.server.settings import Settings, resolve_database_url
        from promptwatch.server.store.engine import make_engine
        from promptwatch.server.store.schema_version import ensure_current

        settings = Settings(data_dir=Path(tempfile.mkdtemp()), password_time_cost=1, password_memory_cost=64)
        ensure_current(make_engine(resolve_database_url(settings)), create_if_empty=True)
        app = create_app(settings)
        paths = ["/api/v1/health", "/api/v1/sessions?q=card+4111111111111111"]
    else:  # the control: a bare FastAPI app in the same setting
        app = FastAPI()
        app.get("/api/v1/health")(lambda: {"ok": True})
        paths = ["/api/v1/health"]
    with TestClient(app) as client:
        for path in paths:
            client.get(path, headers={"Authorization": "Bearer pk_not_a_key"})
        client.post("/api/v1/ingest", content=b'{"activities": [{"id": 1}]}')
    data = reader.get_metrics_data()
    metrics_read = [m for r in (data.resource_metrics if data else []) for s in r.scope_metrics for m in s.metrics]
    points = sum(len(m.data.data_points) for m in metrics_read)
    print(json.dumps({"spans": len(spans.get_finished_spans()), "metric_points": points}))
    """
)


def _telemetry_of(app: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, app], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_p1_the_web_framework_records_nothing_of_the_requests():
    assert _telemetry_of("promptwatch") == {"spans": 0, "metric_points": 0}


def test_p1_the_check_sees_the_framework_telemetry_of_a_bare_app():
    control = _telemetry_of("bare")
    assert control["spans"] > 0 and control["metric_points"] > 0, control
