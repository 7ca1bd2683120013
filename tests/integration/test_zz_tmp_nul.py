import orjson
from tests.integration.test_otlp import json_span, otlp_json, post
from tests.support.payloads import uid

def test_nul(client):
    trace = uid() + uid()
    span = json_span(trace, uid(), name="bad\x00name", attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt\x00x", "k": "v\x00"})
    r = post(client, otlp_json([span], {"service.name": "a\x00b"}))
    print(r.status_code, r.text[:300])
    r = client.post("/api/v1/ingest", json={"activities": [{"id": uid(), "session_id": uid(), "activity_type": "span", "name": "x\x00y", "start_time": "2026-01-01T00:00:00Z"}]})
    print(r.status_code, r.text[:300])
