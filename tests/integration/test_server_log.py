"""`promptwatch up` configures the server's log from its settings, uvicorn's records included: with
PROMPTWATCH_LOG_FORMAT=json and PROMPTWATCH_LOG_LEVEL=info, a JSON object per line for the start-up."""

from __future__ import annotations

import json
import re

from tests.support.server import server_with_env


def test_a_server_set_to_json_writes_a_json_object_per_record(backend, tmp_path):
    env = {"PROMPTWATCH_LOG_FORMAT": "json", "PROMPTWATCH_LOG_LEVEL": "INFO"}
    with server_with_env(backend, tmp_path, **env) as server, server.client() as client:
        assert client.get("/api/v1/ready").status_code == 200
    lines = server.log_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert all(set(record) == {"time", "level", "logger", "message"} for record in records), records
    started = next(record for record in records if record["message"] == "Application startup complete.")
    assert started["logger"] == "uvicorn.error" and started["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", started["time"])
    assert not any("GET /api/v1/ready" in line for line in lines)  # requests are the access log's (P9), not here
