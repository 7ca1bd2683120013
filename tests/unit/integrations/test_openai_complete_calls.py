"""The OpenAI client, instrumented, records the whole call: a reply with text and tool calls keeps both,
the Responses API's input items without a role (tool calls, their outputs, reasoning) are on the prompt,
and images, audio and files stay on their message."""

from __future__ import annotations

import json

import openai
import pytest

import promptwatch
from promptwatch.integrations.openai import instrument_openai
from tests.support.fake_openai import NARRATION

LOOKUP = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
RESPONSES_LOOKUP = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"}}
AUDIO = {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}}


def _client(fake):
    return instrument_openai(openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0))


def _calls(sdk, count):
    promptwatch.flush(5)
    records = sorted(sdk.of_type("llm-prompt"), key=lambda record: record["start_time"])
    assert len(records) == count, records
    assert not sdk.invalid, sdk.invalid
    return records


def _lookup(question):
    return [{"id": "call_fake_1", "name": "lookup", "arguments": json.dumps({"query": question})}]


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_reply_with_text_and_tool_calls_keeps_the_text_and_the_calls(sdk, fake_openai, stream):
    client = _client(fake_openai)
    question = "NARRATE the weather?"
    reply = client.chat.completions.create(
        model="gpt-fake", messages=[{"role": "user", "content": question}], tools=LOOKUP, stream=stream
    )
    if stream:
        list(reply)
    else:
        assert reply.choices[0].message.content == NARRATION and reply.choices[0].message.tool_calls
    (record,) = _calls(sdk, 1)
    assert record["generated"] == NARRATION
    assert record["outputs"] == {"tool_calls": _lookup(question)}


def test_a_chat_reply_that_only_calls_tools_is_still_its_calls_as_json(sdk, fake_openai):
    client = _client(fake_openai)
    client.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": "weather?"}], tools=LOOKUP)
    (record,) = _calls(sdk, 1)
    assert json.loads(record["generated"]) == _lookup("weather?")
    assert "outputs" not in record


@pytest.mark.parametrize("stream", [False, True])
def test_a_responses_reply_with_text_and_a_function_call_keeps_both(sdk, fake_openai, stream):
    client = _client(fake_openai)
    question = "NARRATE the weather?"
    reply = client.responses.create(model="gpt-fake", input=question, tools=RESPONSES_LOOKUP, stream=stream)
    if stream:
        list(reply)
    else:
        assert reply.output_text == NARRATION
    (record,) = _calls(sdk, 1)
    assert record["generated"] == NARRATION
    assert record["outputs"] == {"tool_calls": _lookup(question)}


def test_responses_input_items_without_a_role_are_on_the_prompt(sdk, fake_openai):
    client = _client(fake_openai)
    asked = client.responses.create(model="gpt-fake", input="weather?", tools=RESPONSES_LOOKUP)
    (call,) = asked.output  # the reply's own items, sent back as the client gives them
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Look it up."}]}
    second = {"type": "function_call", "call_id": "call_2", "name": "lookup", "arguments": '{"query": "rain?"}'}
    client.responses.create(
        model="gpt-fake",
        input=[
            {"role": "user", "content": "weather?"},
            reasoning,
            call,
            second,
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "dry"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "thanks"}]},
        ],
    )
    _, record = _calls(sdk, 2)
    arguments = json.dumps({"query": "weather?"})
    assert record["prompt"] == [
        {"role": "user", "text": "weather?"},
        {"text": "", **reasoning},
        {
            "role": "assistant",
            "text": "",
            "tool_calls": [  # consecutive calls are one assistant message, as Chat Completions sends them
                {"id": "call_fake_1", "type": "function", "function": {"name": "lookup", "arguments": arguments}},
                {"id": "call_2", "type": "function", "function": {"name": "lookup", "arguments": '{"query": "rain?"}'}},
            ],
        },
        {"role": "tool", "text": "sunny", "tool_call_id": "call_fake_1"},
        {"role": "tool", "text": "dry", "tool_call_id": "call_2"},
        {"role": "user", "text": "thanks", "type": "message"},
    ]
    assert record["generated"] == "Echo: thanks"


def test_images_audio_and_files_stay_on_their_message(sdk, fake_openai):
    client = _client(fake_openai)
    document = {"type": "file", "file": {"filename": "notes.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}}
    parts = [{"type": "text", "text": "What is on it?"}, IMAGE, AUDIO, document]
    client.chat.completions.create(model="gpt-fake", messages=[{"role": "user", "content": parts}])
    image = {"type": "input_image", "image_url": IMAGE["image_url"]["url"], "detail": "auto"}
    content = [{"type": "input_text", "text": "And this?"}, image]
    client.responses.create(model="gpt-fake", input=[{"role": "user", "content": content}])
    chat, responses = _calls(sdk, 2)
    assert chat["prompt"] == [{"role": "user", "text": "What is on it?", "content": [IMAGE, AUDIO, document]}]
    assert responses["prompt"] == [{"role": "user", "text": "And this?", "content": [image]}]
