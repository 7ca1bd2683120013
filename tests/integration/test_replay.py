"""Replay (the playground) against a local fake OpenAI-compatible server: provider keys sealed and never
shown, URL checks, replays as recorded and with edits, stored beside the original."""

from __future__ import annotations

import pytest

from tests.support.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import llm, uid
from tests.support.server import server_with_env


@pytest.fixture(scope="module")
def replay_server(backend, tmp_path_factory):
    """A server that may call the fake provider on 127.0.0.1 (PROMPTWATCH_REPLAY_ALLOW_PRIVATE_URLS)."""
    directory = tmp_path_factory.mktemp(f"replay-{backend}")
    with server_with_env(backend, directory, PROMPTWATCH_REPLAY_ALLOW_PRIVATE_URLS="true") as server:
        yield server


def admin_key(server) -> str:
    return server.accounts()._rt.keys.create(server.first.account_id, "admin")


def test_replay_as_recorded_and_with_edits(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    with replay_server.client(admin_key(replay_server)) as admin:
        saved = admin.put(
            "/api/v1/providers/default",
            json={"base_url": fake_openai.base_url, "api_key": "sk-secret-123", "default_model": "gpt-x"},
        )
        assert saved.status_code == 200, saved.text
        assert "sk-secret-123" not in saved.text and saved.json()["has_api_key"] is True
        assert "sk-secret-123" not in admin.get("/api/v1/providers").text
    sid, aid = uid("s-"), uid("a-")
    template = {
        "prompt_template": "Tell me about {city}",
        "prompt_input_params": ["city"],
        "format": "f-string",
        "template_name": f"t_{uid()}",
        "template_version": "1.0",
    }
    item = llm(
        aid,
        sid,
        prompt="Tell me about Prague",
        prompt_template=template,
        prompt_input_values={"city": "Prague"},
        settings={"temperature": 0.2},
    )
    with replay_server.client(replay_server.first.api_key) as client:
        client.post("/api/v1/ingest", json={"activities": [item]})
        same = client.post(f"/api/v1/activities/{aid}/replay", json={})
        assert same.status_code == 200, same.text
        assert same.json()["generated"] == "Echo: Tell me about Prague" and same.json()["model"] == "gpt-4o-mini"
        assert fake_openai.requests[-1]["temperature"] == 0.2
        edited_values = client.post(f"/api/v1/activities/{aid}/replay", json={"input_values": {"city": "Brno"}}).json()
        assert edited_values["generated"] == "Echo: Tell me about Brno"
        edited = client.post(
            f"/api/v1/activities/{aid}/replay",
            json={"template": "Describe {city} in one word", "model": "other-model", "settings": {"temperature": 0.9}},
        ).json()
        assert edited["generated"] == "Echo: Describe Prague in one word" and edited["model"] == "other-model"
        assert fake_openai.requests[-1]["temperature"] == 0.9 and fake_openai.requests[-1]["model"] == "other-model"
        failing = client.post(f"/api/v1/activities/{aid}/replay", json={"messages": [{"role": "user", "text": "FAIL"}]})
        assert failing.status_code == 200 and "400" in failing.json()["error"]
        side_by_side = client.get(f"/api/v1/activities/{aid}/replays").json()
        assert side_by_side["original"]["generated"] == "It is sunny."
        assert [r["generated"] for r in side_by_side["replays"]][:3] == [
            "Echo: Tell me about Prague",
            "Echo: Tell me about Brno",
            "Echo: Describe Prague in one word",
        ]
        assert client.post(f"/api/v1/activities/{aid}/replay", json={"provider": "none"}).status_code == 404
        assert client.post("/api/v1/activities/unknown/replay", json={}).status_code == 404
        assert client.put("/api/v1/providers/x", json={"base_url": "http://127.0.0.1:1"}).status_code == 403  # admin
    # the sealed key travels only to the provider, as a bearer token
    assert (
        "sk-secret-123" not in (replay_server.data_dir / "promptwatch.db").read_bytes().decode("latin-1")
        if (replay_server.data_dir / "promptwatch.db").exists()
        else True
    )


def test_p1_provider_urls_may_not_point_inside_unless_allowed(live_server):
    """The shared server runs with the default: loopback, private and link-local URLs are refused."""
    with live_server.client(admin_key(live_server)) as admin:
        for url in (
            "http://127.0.0.1:8080/v1",
            "http://10.0.0.5/v1",
            "http://169.254.169.254/latest",
            "http://localhost:9/v1",
            "http://[::1]:8000/v1",
        ):
            response = admin.put("/api/v1/providers/p", json={"base_url": url})
            assert response.status_code == 403, (url, response.text)
        assert admin.put("/api/v1/providers/p", json={"base_url": "ftp://example.com"}).status_code == 422
        assert admin.put("/api/v1/providers/p", json={"base_url": "http://u:p@example.com"}).status_code == 422
