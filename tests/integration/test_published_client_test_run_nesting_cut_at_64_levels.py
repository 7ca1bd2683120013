"""The published client's unit-test endpoints store what they keep as one JSON document (a run's `conditions`,
a result) nested at most 64 levels, the part below replaced by the marker (docs/api.md), counted from the
document's own value, as the session endpoints count a field's."""

from __future__ import annotations

from urllib.parse import quote

from promptwatch.schema.common import MAX_JSON_DEPTH, TOO_DEEP
from tests.support.payloads import uid

JSON = {"content-type": "application/json"}


def _nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def _levels(value) -> tuple[int, object]:
    """How many objects `value` holds one inside the other, and the marker where they were cut."""
    count = 0
    while isinstance(value, dict):
        count, value = count + 1, value["a"]
    return count, value


def test_run_conditions_nested_1000_levels_keep_64_and_the_marker(client):
    name, run_id = f"unit {uid()}", uid()
    body = b'{"run_id": "%s", "conditions": %s, "results": {}}' % (run_id.encode(), _nested(1000))
    stored = client.post(f"/tests/{quote(name)}/runs", content=body, headers=JSON)
    assert stored.status_code == 200, stored.text
    run = client.get(f"/api/v1/tests/runs/{run_id}").json()
    assert _levels(run["conditions"]) == (MAX_JSON_DEPTH, TOO_DEEP)


def test_run_conditions_nested_64_levels_are_kept_whole(client):
    name, run_id = f"unit {uid()}", uid()
    body = b'{"run_id": "%s", "conditions": %s, "results": {}}' % (run_id.encode(), _nested(MAX_JSON_DEPTH))
    assert client.post(f"/tests/{quote(name)}/runs", content=body, headers=JSON).status_code == 200
    assert _levels(client.get(f"/api/v1/tests/runs/{run_id}").json()["conditions"]) == (MAX_JSON_DEPTH, 1)


def test_a_result_nested_deeper_than_64_levels_keeps_64(client):
    """A result is stored as one document (the TestCaseResult as sent): it keeps 64 levels, counted from it."""
    name, run_id = f"unit {uid()}", uid()
    assert client.post(f"/tests/{quote(name)}/runs", json={"run_id": run_id, "results": {}}).status_code == 200
    result = b'[{"order": 1, "passed": true, "evaluation_metadata": %s}]' % _nested(1000)
    stored = client.post(f"/tests/{quote(name)}/runs/{run_id}/result-details", content=result, headers=JSON)
    assert stored.json() == {"stored": 1}, stored.text
    kept = client.get(f"/api/v1/tests/runs/{run_id}").json()["results"][0]["evaluation_metadata"]
    assert _levels(kept) == (MAX_JSON_DEPTH - 1, TOO_DEEP)
