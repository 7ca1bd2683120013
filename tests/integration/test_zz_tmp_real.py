import json, os
import openai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from tests.support.fake_openai import fake_openai  # noqa
from tests.support.payloads import uid


def provider_for(live_server, project):
    p = TracerProvider(resource=Resource.create({"service.name": project}))
    p.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{live_server.base_url}/v1/traces", headers={"x-api-key": live_server.first.api_key})))
    return p


def show(live_server, project):
    with live_server.client(live_server.first.api_key) as c:
        items = c.get("/api/v1/sessions", params={"project": project}).json()["items"]
        for s in items:
            full = c.get(f"/api/v1/sessions/{s['id']}").json()
            for a in full["activities"]:
                print(json.dumps({k: a.get(k) for k in ("activity_type", "name", "model", "provider", "usage", "cost", "prompt", "generated", "settings", "attributes", "metadata")}, default=str)[:1500])


def test_openinference(live_server, fake_openai):
    from openinference.instrumentation.openai import OpenAIInstrumentor
    project = uid("oi-")
    p = provider_for(live_server, project)
    OpenAIInstrumentor().instrument(tracer_provider=p)
    try:
        client = openai.OpenAI(base_url=fake_openai.base_url, api_key="x")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}], temperature=0.1)
    finally:
        OpenAIInstrumentor().uninstrument()
    p.force_flush()
    show(live_server, project)


def test_genai_v2(live_server, fake_openai, monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    project = uid("genai-")
    p = provider_for(live_server, project)
    OpenAIInstrumentor().instrument(tracer_provider=p)
    try:
        client = openai.OpenAI(base_url=fake_openai.base_url, api_key="x")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}], max_tokens=20)
    finally:
        OpenAIInstrumentor().uninstrument()
    p.force_flush()
    show(live_server, project)
