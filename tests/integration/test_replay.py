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


def use_fake_provider(server, fake: FakeOpenAI) -> None:
    with server.client(admin_key(server)) as admin:
        assert admin.put("/api/v1/providers/default", json={"base_url": fake.base_url}).status_code == 200


def recorded_call(client, **fields) -> str:
    aid = uid("a-")
    assert client.post("/api/v1/ingest", json={"activities": [llm(aid, uid("s-"), **fields)]}).status_code == 200
    return aid


def text_template(text: str, format: str = "f-string") -> dict:
    return {"prompt_template": text, "format": format, "template_name": f"t_{uid()}"}


def chat(*messages: tuple[str, str]) -> list[dict]:
    return [{"role": role, "text": text} for role, text in messages]


def sent(*messages: tuple[str, str]) -> list[dict]:
    return [{"role": role, "content": text} for role, text in messages]


def test_edits_replace_only_the_messages_the_template_produced(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    use_fake_provider(replay_server, fake_openai)
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(
            client,
            prompt=chat(("system", "You are helpful."), ("user", "Tell me about Prague")),
            prompt_template=text_template("Tell me about {city}"),
            prompt_input_values={"city": "Prague"},
        )
        for edits, question in (
            ({"input_values": {"city": "Brno"}}, "Tell me about Brno"),
            ({"template": "Describe {city} in one word"}, "Describe Prague in one word"),
        ):
            answer = client.post(f"/api/v1/activities/{aid}/replay", json=edits)
            assert answer.status_code == 200, answer.text
            expected = sent(("system", "You are helpful."), ("user", question))
            assert fake_openai.requests[-1]["messages"] == expected == answer.json()["messages"]
        # a template that produced the system message: the new text stays the system message
        aid = recorded_call(
            client,
            prompt=chat(
                ("system", "You are a terse assistant."), ("user", "Hi"), ("assistant", "Hello."), ("user", "?")
            ),
            prompt_template=text_template("You are a {tone} assistant."),
            prompt_input_values={"tone": "terse"},
        )
        assert client.post(f"/api/v1/activities/{aid}/replay", json={"input_values": {"tone": "wordy"}}).is_success
        expected = sent(
            ("system", "You are a wordy assistant."), ("user", "Hi"), ("assistant", "Hello."), ("user", "?")
        )
        assert fake_openai.requests[-1]["messages"] == expected


def test_a_chat_template_is_refilled_in_place_with_its_history(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    template = {
        "prompt_template": [
            {"role": "system", "prompt_template": "You answer as a {persona}.", "format": "f-string"},
            "history",
            {"role": "user", "prompt_template": "{question}", "format": "f-string"},
        ],
        "format": "chat_messages",
        "template_name": f"t_{uid()}",
    }
    values = {"persona": "pirate", "history": chat(("user", "Hi"), ("ai", "Arr.")), "question": "Where to?"}
    use_fake_provider(replay_server, fake_openai)
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(
            client,
            prompt=chat(
                ("system", "You answer as a pirate."), ("user", "Hi"), ("assistant", "Arr."), ("user", "Where to?")
            ),
            prompt_template=template,
            prompt_input_values=values,
        )
        answer = client.post(f"/api/v1/activities/{aid}/replay", json={"input_values": {"persona": "poet"}})
        assert answer.status_code == 200, answer.text
        expected = sent(
            ("system", "You answer as a poet."), ("user", "Hi"), ("assistant", "Arr."), ("user", "Where to?")
        )
        assert fake_openai.requests[-1]["messages"] == expected


def test_edits_are_refused_when_replay_cannot_tell_which_messages_the_template_produced(
    replay_server,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    use_fake_provider(replay_server, fake_openai)
    two_messages = chat(("system", "You are helpful."), ("user", "Tell me about [REDACTED]"))
    with replay_server.client(replay_server.first.api_key) as client:
        redacted = recorded_call(
            client,
            prompt=two_messages,
            prompt_template=text_template("Tell me about {city}"),
            prompt_input_values={"city": "Prague"},
        )
        untemplated = recorded_call(client, prompt=two_messages)
        for aid, edits, field in (
            (redacted, {"input_values": {"city": "Brno"}}, "input_values"),
            (redacted, {"template": "Describe {city}"}, "template"),
            (untemplated, {"template": "Describe Brno"}, "template"),
            (untemplated, {"input_values": {"city": "Brno"}}, "input_values"),
        ):
            answer = client.post(f"/api/v1/activities/{aid}/replay", json=edits)
            assert answer.status_code == 422, (edits, answer.text)
            assert [e["field"] for e in answer.json()["errors"]] == [field], answer.text
            assert "messages" in answer.json()["detail"], answer.text  # the way out: send the whole prompt
        assert fake_openai.requests == []
        answer = client.post(f"/api/v1/activities/{untemplated}/replay", json={"messages": chat(("user", "Brno?"))})
        assert answer.status_code == 200 and fake_openai.requests[-1]["messages"] == sent(("user", "Brno?"))


def test_a_placeholder_without_a_value_is_a_422_naming_it(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    use_fake_provider(replay_server, fake_openai)
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(
            client,
            prompt="Tell me about Prague",
            prompt_template=text_template("Tell me about {city}"),
            prompt_input_values={"city": "Prague"},
        )
        answer = client.post(f"/api/v1/activities/{aid}/replay", json={"template": "NEW: {city} / {missing}"})
        assert answer.status_code == 422, answer.text
        assert "missing" in answer.json()["detail"]
        assert [e["field"] for e in answer.json()["errors"]] == ["input_values.missing"], answer.text
        assert fake_openai.requests == []
        filled = client.post(
            f"/api/v1/activities/{aid}/replay",
            json={"template": "NEW: {city} / {missing} / {{literal}}", "input_values": {"missing": "found"}},
        )
        assert filled.status_code == 200, filled.text
        assert fake_openai.requests[-1]["messages"] == sent(("user", "NEW: Prague / found / {literal}"))


def test_a_template_in_another_style_is_not_refilled_as_an_f_string(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    """The server fills f-strings only: a jinja2 template is replayed as recorded, never half-filled."""
    use_fake_provider(replay_server, fake_openai)
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(
            client,
            prompt="Tell me about Prague",
            prompt_template=text_template("Tell me about {{ city }}{% if brief %} briefly{% endif %}", "jinja2"),
            prompt_input_values={"city": "Prague"},
        )
        refill = client.post(f"/api/v1/activities/{aid}/replay", json={"input_values": {"city": "Brno"}})
        assert refill.status_code == 422, refill.text
        assert "jinja2" in refill.json()["detail"] and refill.json()["errors"][0]["field"] == "input_values"
        assert fake_openai.requests == []
        as_recorded = client.post(f"/api/v1/activities/{aid}/replay", json={"settings": {"temperature": 0}})
        assert as_recorded.status_code == 200, as_recorded.text
        assert fake_openai.requests[-1]["messages"] == sent(("user", "Tell me about Prague"))


def test_known_settings_must_have_their_type(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    use_fake_provider(replay_server, fake_openai)
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(client)
        for settings, field in (
            ({"temperature": "hot"}, "settings.temperature"),
            ({"top_p": [1]}, "settings.top_p"),
            ({"max_tokens": 1.5}, "settings.max_tokens"),
            ({"max_tokens": "100"}, "settings.max_tokens"),
            ({"n": True}, "settings.n"),
            ({"seed": "x"}, "settings.seed"),
            ({"stop": 5}, "settings.stop"),
            ({"stop": ["a", 1]}, "settings.stop"),
            ({"presence_penalty": {"x": 1}}, "settings.presence_penalty"),
            ({"frequency_penalty": None, "temperature": "hot"}, "settings.temperature"),
        ):
            answer = client.post(f"/api/v1/activities/{aid}/replay", json={"settings": settings})
            assert answer.status_code == 422, (settings, answer.text)
            assert {e["field"].startswith(field) for e in answer.json()["errors"]} == {True}, (settings, answer.text)
        body = '{"settings": {"temperature": NaN}}'  # JSON that json= cannot write
        answer = client.post(
            f"/api/v1/activities/{aid}/replay", content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "settings.temperature"
        assert fake_openai.requests == []
        settings = {"temperature": 1, "top_p": 0.5, "max_tokens": 20, "stop": ["\n"], "seed": 7, "logprobs": True}
        answer = client.post(f"/api/v1/activities/{aid}/replay", json={"settings": settings})
        assert answer.status_code == 200, answer.text
        assert {k: fake_openai.requests[-1][k] for k in settings} == settings  # other settings pass as given
        assert answer.json()["edits"] == {"settings": settings}


def test_edited_settings_must_be_in_range(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    """Edits are held to the ranges the OpenAI API documents; each bound itself is accepted."""
    use_fake_provider(replay_server, fake_openai)
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(client)
        for settings, field in (
            ({"temperature": 50}, "settings.temperature"),
            ({"temperature": -0.1}, "settings.temperature"),
            ({"top_p": 1.5}, "settings.top_p"),
            ({"presence_penalty": -2.5}, "settings.presence_penalty"),
            ({"frequency_penalty": 3}, "settings.frequency_penalty"),
            ({"max_tokens": 0}, "settings.max_tokens"),
            ({"n": 0}, "settings.n"),
            ({"n": 129}, "settings.n"),
            ({"stop": ["a", "b", "c", "d", "e"]}, "settings.stop"),
            ({"seed": 2**63}, "settings.seed"),
            ({"seed": -(2**63) - 1}, "settings.seed"),
        ):
            answer = client.post(f"/api/v1/activities/{aid}/replay", json={"settings": settings})
            assert answer.status_code == 422, (settings, answer.text)
            assert {e["field"].startswith(field) for e in answer.json()["errors"]} == {True}, (settings, answer.text)
        assert fake_openai.requests == []
        bounds = {
            "temperature": 2,
            "top_p": 0,
            "presence_penalty": -2,
            "frequency_penalty": 2,
            "max_tokens": 1,
            "n": 128,
            "stop": ["a", "b", "c", "d"],
            "seed": -(2**63),
        }
        answer = client.post(f"/api/v1/activities/{aid}/replay", json={"settings": bounds})
        assert answer.status_code == 200, answer.text
        assert {k: fake_openai.requests[-1][k] for k in bounds} == bounds


def test_recorded_settings_out_of_range_replay_unchanged(replay_server, fake_openai: FakeOpenAI):  # noqa: F811
    """The ranges hold for edits only: settings a provider once accepted are sent again as recorded, beside an
    edit of another setting. A recorded setting replay does not type (`top_k`) is left out."""
    use_fake_provider(replay_server, fake_openai)
    recorded = {"temperature": 5, "stop": ["1", "2", "3", "4", "5"]}
    with replay_server.client(replay_server.first.api_key) as client:
        aid = recorded_call(client, settings={**recorded, "top_k": 40})
        as_recorded = client.post(f"/api/v1/activities/{aid}/replay", json={})
        assert as_recorded.status_code == 200, as_recorded.text
        assert {k: fake_openai.requests[-1][k] for k in recorded} == recorded
        assert "top_k" not in fake_openai.requests[-1]
        edited = client.post(f"/api/v1/activities/{aid}/replay", json={"settings": {"max_tokens": 50, "top_k": 40}})
        assert edited.status_code == 200, edited.text
        assert {k: fake_openai.requests[-1][k] for k in recorded} == recorded
        assert fake_openai.requests[-1]["max_tokens"] == 50 and fake_openai.requests[-1]["top_k"] == 40


def test_edits_holding_a_nul_or_half_a_utf16_pair_are_replayed_and_stored_as_u_fffd(
    replay_server, fake_openai: FakeOpenAI  # noqa: F811
):
    """JSON allows both; no store holds them (PostgreSQL refused the replay's record after the provider answered)."""
    with replay_server.client(admin_key(replay_server)) as admin:
        admin.put("/api/v1/providers/default", json={"base_url": fake_openai.base_url, "default_model": "gpt-x"})
    sid, aid = uid("s-"), uid("a-")
    with replay_server.client(replay_server.first.api_key) as client:
        client.post("/api/v1/ingest", json={"activities": [llm(aid, sid, prompt="Hi")]})
        body = b'{"messages": [{"role": "user", "text": "a\\u0000b\\ud800c"}]}'
        json_type = {"content-type": "application/json"}
        answer = client.post(f"/api/v1/activities/{aid}/replay", content=body, headers=json_type)
        assert answer.status_code == 200, answer.text
        assert answer.json()["generated"] == "Echo: a\ufffdb\ufffdc"
        stored = client.get(f"/api/v1/activities/{aid}/replays").json()["replays"][-1]
        assert stored["edits"]["messages"] == [{"role": "user", "text": "a\ufffdb\ufffdc"}]
