"""Half a UTF-16 pair (`"\\ud800"`, valid JSON: an emoji cut by a client that truncates strings) and NUL, which no
store holds, reach the native cache and template registration in free text: both are stored as U+FFFD, as
ingest stores them, on SQLite and PostgreSQL alike, never a 500 (nor a 422 on one database only)."""

from __future__ import annotations

import orjson
import pytest

from tests.support.payloads import uid

JSON = {"content-type": "application/json"}
ESCAPES = {"surrogate": "\\ud800", "nul": "\\u0000"}


def _with(body: dict, escape: str) -> bytes:
    """`body` as JSON with each `@` written as the JSON escape `escape` (which no Python str of a valid body
    can carry through an encoder)."""
    return orjson.dumps(body).replace(b"@", escape.encode())


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_text_lookup_is_answered(client, escape):
    answer = client.post(f"/api/v1/cache/p.{uid()}/lookup", content=_with({"text": "question @"}, escape), headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json()["hit"] is False


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_entry_is_stored_with_replacement_characters_and_found_again(client, escape):
    namespace = f"p.{uid()}"
    entry = {"text": "question @", "result": "answer @", "template_identity": "faq", "input_values": {"k@": "v@"}}
    stored = client.post(f"/api/v1/cache/{namespace}/entries", content=_with(entry, escape), headers=JSON)
    assert stored.status_code == 200, stored.text
    lookup = {"text": "question \ufffd", "template_identity": "faq", "input_values": {"k\ufffd": "v\ufffd"}}
    found = client.post(f"/api/v1/cache/{namespace}/lookup", json=lookup)
    assert found.status_code == 200, found.text
    assert (found.json()["hit"], found.json()["result"]) == (True, "answer \ufffd")
    alike = _with({key: entry[key] for key in ("text", "template_identity", "input_values")}, escape)
    asked_alike = client.post(f"/api/v1/cache/{namespace}/lookup", content=alike, headers=JSON)
    assert asked_alike.json()["hit"] is True, asked_alike.text


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_entry_given_as_a_vector_keeps_its_result(client, escape):
    namespace = f"p.{uid()}"
    entry = {"embedding": [0.1, 0.2, 0.3], "result": "answer @"}
    stored = client.post(f"/api/v1/cache/{namespace}/entries", content=_with(entry, escape), headers=JSON)
    assert stored.status_code == 200, stored.text
    found = client.post(f"/api/v1/cache/{namespace}/lookup", json={"embedding": [0.1, 0.2, 0.3]}).json()
    assert found["result"] == "answer \ufffd"


@pytest.mark.parametrize("escape", ESCAPES.values(), ids=ESCAPES.keys())
@pytest.mark.parametrize(
    "template",
    ["Hello {x} @", [{"role": "user", "prompt_template": "Hi {x} @"}], {"prompt_template": "Hey {x} @"}],
    ids=["text", "messages", "description"],
)
def test_a_registered_template_keeps_its_text_with_replacement_characters(client, escape, template):
    name = f"t-{uid()}"
    body = _with({"template": template}, escape)
    registered = client.post(f"/api/v1/templates/{name}/versions", content=body, headers=JSON)
    assert registered.status_code == 201, registered.text
    assert "@" not in registered.json()["text"] and "\ufffd" in registered.json()["text"]
    again = client.post(f"/api/v1/templates/{name}/versions", content=body, headers=JSON)
    assert (again.status_code, again.json()["version"]) == (200, registered.json()["version"])
    stored = client.get(f"/api/v1/templates/{name}/versions/{registered.json()['version']}").json()
    assert stored["text"] == registered.json()["text"]
