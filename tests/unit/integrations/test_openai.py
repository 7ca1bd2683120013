"""The OpenAI client, instrumented, against a local fake OpenAI server: sync, async, streams, errors."""

from __future__ import annotations

import asyncio

import openai
import pytest

import promptwatch
from promptwatch import PromptWatch
from promptwatch.integrations.openai import instrument_openai

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there"}]


def _client(fake, kind=openai.OpenAI):
    return instrument_openai(kind(api_key="sk-test", base_url=fake.base_url, max_retries=0))


def _only_prompt(sink):
    promptwatch.flush(5)
    prompts = sink.of_type("llm-prompt")
    assert len(prompts) == 1, prompts
    return prompts[0]


def test_chat_completion_is_recorded_with_model_settings_messages_output_usage(sdk, fake_openai):
    client = _client(fake_openai)
    with PromptWatch() as pw:
        response = client.chat.completions.create(model="gpt-fake", messages=MESSAGES, temperature=0.2)
    assert response.choices[0].message.content == "Echo: hello there"
    record = _only_prompt(sdk)
    assert record["session_id"] == pw.session_id
    assert record["model"] == "gpt-fake" and record["provider"] == "openai"  # the model asked for
    assert record["metadata"] == {"response_model": "gpt-fake-0001"}
    assert record["settings"] == {"temperature": 0.2}
    assert record["prompt"] == [{"role": "system", "text": "Be brief."}, {"role": "user", "text": "hello there"}]
    assert record["generated"] == "Echo: hello there"
    assert record["usage"] == {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7}


def test_streamed_chat_records_time_to_first_token_and_stream_usage(sdk, fake_openai):
    client = _client(fake_openai)
    stream = client.chat.completions.create(model="gpt-fake", messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True})
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert "".join(pieces) == "Echo: hello there"
    record = _only_prompt(sdk)
    assert record["generated"] == "Echo: hello there"
    assert record["time_to_first_token_ms"] >= 0
    assert record["usage"]["total_tokens"] == 7
    assert record["settings"] == {"stream": True, "stream_options": {"include_usage": True}}


def test_async_client_and_async_stream(sdk, fake_openai):
    client = _client(fake_openai, openai.AsyncOpenAI)

    async def main():
        async with PromptWatch():
            first = await client.chat.completions.create(model="gpt-fake", messages=MESSAGES)
            stream = await client.chat.completions.create(model="gpt-fake", messages=MESSAGES, stream=True)
            text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
            return first.choices[0].message.content, text

    assert asyncio.run(main()) == ("Echo: hello there", "Echo: hello there")
    promptwatch.flush(5)
    records = sdk.of_type("llm-prompt")
    assert len(records) == 2
    assert {record["generated"] for record in records} == {"Echo: hello there"}
    assert any("time_to_first_token_ms" in record for record in records)
    assert len({record["session_id"] for record in records}) == 1


def test_responses_api_plain_and_streamed(sdk, fake_openai):
    client = _client(fake_openai)
    response = client.responses.create(model="gpt-fake", input="what time is it", instructions="Be kind.")
    assert response.output_text == "Echo: what time is it"
    events = list(client.responses.create(model="gpt-fake", input="stream me", stream=True))
    assert events[-1].type == "response.completed"
    promptwatch.flush(5)
    records = {record["generated"]: record for record in sdk.of_type("llm-prompt")}
    plain = records["Echo: what time is it"]
    assert plain["prompt"] == [{"role": "system", "text": "Be kind."}, {"role": "user", "text": "what time is it"}]
    assert plain["usage"] == {"prompt_tokens": 6, "completion_tokens": 5, "total_tokens": 11}
    streamed = records["Echo: stream me"]
    assert streamed["usage"]["completion_tokens"] == 3 and streamed["time_to_first_token_ms"] >= 0


def test_api_error_passes_through_and_is_recorded(sdk, fake_openai):
    client = _client(fake_openai)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": "FAIL now"}])
    record = _only_prompt(sdk)
    assert "BadRequestError" in record["error"]
    assert sdk.latest_sessions()[record["session_id"]]["is_error"] is True


def test_stream_closed_early_keeps_what_was_read(sdk, fake_openai):
    client = _client(fake_openai)
    with client.chat.completions.create(model="gpt-fake", messages=MESSAGES, stream=True) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                break
    record = _only_prompt(sdk)
    assert record["generated"] == "Echo:"
    assert "error" not in record


def test_instrumenting_twice_records_once_and_other_clients_are_untouched(sdk, fake_openai):
    client = instrument_openai(_client(fake_openai))
    plain = openai.OpenAI(api_key="sk-test", base_url=fake_openai.base_url, max_retries=0)
    client.chat.completions.create(model="gpt-fake", messages=MESSAGES)
    plain.chat.completions.create(model="gpt-fake", messages=MESSAGES)
    _only_prompt(sdk)
