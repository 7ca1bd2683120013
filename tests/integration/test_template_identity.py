"""One template is one version whichever route sends it: the templates API, ingest with the SDK's
description, or ingest with `format` or `prompt_input_params` left out (they count as the API's defaults:
`f-string`, `chat_messages` for a list of messages, and the template's placeholders). A version stored by
earlier releases under a description without them is the one every route finds."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import insert

from promptwatch.server.store import template_versions
from promptwatch.server.store.tables.templates import prompt_template_versions
from tests.support.payloads import llm, uid

QA = "Answer {question} using {notes}"
CHAT = [{"role": "system", "prompt_template": "You help {company}."}, {"role": "user", "prompt_template": "{question}"}]
SAME_CONTENT = {  # the API's template, and the same template as an LLM call may describe it
    "no-format": (QA, {"prompt_template": QA, "prompt_input_params": ["question", "notes"]}),
    "no-format-no-params": (QA, {"prompt_template": QA}),
    "empty-params": (QA, {"prompt_template": QA, "prompt_input_params": [], "format": "f-string"}),
    "sdk-text-without-placeholders": ("Be brief.", {"prompt_template": "Be brief.", "format": "f-string"}),
    "chat-no-formats": (
        CHAT,
        {
            "prompt_template": [
                {"role": "system", "prompt_template": "You help {company}."},
                {"role": "user", "prompt_template": "{question}", "prompt_input_params": None},
            ]
        },
    ),
    "chat-sdk": (
        [*CHAT, {"role": "user", "prompt_template": "Thanks."}],
        {
            "prompt_template": [
                {
                    "role": "system",
                    "prompt_template": "You help {company}.",
                    "prompt_input_params": ["company"],
                    "format": "f-string",
                },
                {
                    "role": "user",
                    "prompt_template": "{question}",
                    "prompt_input_params": ["question"],
                    "format": "f-string",
                },
                {"role": "user", "prompt_template": "Thanks.", "prompt_input_params": None, "format": "f-string"},
            ],
            "prompt_input_params": ["company", "question"],
            "format": "chat_messages",
        },
    ),
}


def called_with(client, name: str, description: dict) -> str:
    """The version recorded for an LLM call made from `description`, named `name`."""
    sid, aid = uid("s-"), uid("a-")
    item = llm(aid, sid, prompt="Answer it", prompt_template={**description, "template_name": name})
    assert client.post("/api/v1/ingest", json={"activities": [item]}).json()["stored"] == 1
    session = client.get(f"/api/v1/sessions/{sid}").json()
    return session["activities"][0]["template_version"]


@pytest.mark.parametrize("template, description", SAME_CONTENT.values(), ids=SAME_CONTENT.keys())
def test_the_same_template_from_the_api_and_from_ingest_is_one_version(client, template, description):
    name = f"t_{uid()}"
    registered = client.post(f"/api/v1/templates/{name}/versions", json={"template": template})
    assert registered.is_success and registered.json()["version"] == "1.0.0", registered.text
    assert called_with(client, name, description) == "1.0.0"
    versions = client.get(f"/api/v1/templates/{name}").json()["versions"]
    assert [(v["version"], v["stats"]["calls"]) for v in versions] == [("1.0.0", 1)]
    again = client.post(f"/api/v1/templates/{name}/versions", json={"template": template})
    assert again.json()["version"] == "1.0.0" and again.json()["created"] is False, again.text


def test_a_template_first_ingested_without_a_format_is_the_version_the_api_finds(client):
    name = f"t_{uid()}"
    assert called_with(client, name, {"prompt_template": QA, "prompt_input_params": ["notes", "question"]}) == "1.0.0"
    registered = client.post(f"/api/v1/templates/{name}/versions", json={"template": QA})
    assert registered.json()["version"] == "1.0.0" and registered.json()["created"] is False, registered.text
    shown = client.get(f"/api/v1/templates/{name}/versions/1.0.0").json()
    assert shown["content"]["format"] == "f-string" and shown["text"] == QA


def test_other_formats_and_placeholders_stay_other_versions(client):
    name = f"t_{uid()}"
    assert client.post(f"/api/v1/templates/{name}/versions", json={"template": QA}).json()["version"] == "1.0.0"
    assert called_with(client, name, {"prompt_template": QA, "format": "jinja2"}) == "1.0.1"
    assert called_with(client, name, {"prompt_template": QA, "prompt_input_params": ["question"]}) == "1.0.2"
    assert called_with(client, name, {"prompt_template": QA}) == "1.0.0"


def store_as_earlier_releases_did(live_server, account_id: int, name: str, content: dict) -> None:
    """A version row whose hash is that of `content` as sent (earlier releases did not fill in defaults)."""
    now = datetime.now(timezone.utc)
    with live_server.accounts()._rt.engine.begin() as conn:
        template_pk = template_versions.ensure_template(conn, account_id, name, now)
        conn.execute(
            insert(prompt_template_versions),
            {
                "account_id": account_id,
                "template_pk": template_pk,
                "version": "1.0.0",
                "given_version": "1.0",
                "seq": 0,
                "content_hash": template_versions.content_hash(content),
                "content": content,
                "source": "ingest",
                "created_at": now,
            },
        )


def test_a_version_stored_earlier_without_a_format_is_the_one_every_route_finds(live_server):
    tenant, name = live_server.new_tenant("tmpl-earlier"), f"t_{uid()}"
    store_as_earlier_releases_did(
        live_server, tenant.account_id, name, {"prompt_template": QA, "prompt_input_params": ["notes", "question"]}
    )
    with live_server.client(tenant.api_key) as client:
        registered = client.post(f"/api/v1/templates/{name}/versions", json={"template": QA})
        assert registered.json()["version"] == "1.0.0" and registered.json()["created"] is False, registered.text
        assert called_with(client, name, {"prompt_template": QA}) == "1.0.0"
        assert called_with(client, name, {"prompt_template": QA, "format": "f-string"}) == "1.0.0"
        versions = client.get(f"/api/v1/templates/{name}").json()["versions"]
        assert [(v["version"], v["stats"]["calls"]) for v in versions] == [("1.0.0", 2)]
        shown = client.get(f"/api/v1/templates/{name}/versions/1.0.0").json()
        assert "format" not in shown["content"], shown  # the stored content is kept as it was sent
