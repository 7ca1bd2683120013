"""An LLM function's messages are recorded whole: content parts that are not text (images, audio, files) stay
on their message, and the Responses API's items without a role are messages of the prompt."""

from __future__ import annotations

import promptwatch
from promptwatch import observe

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"}}


def _recorded(sdk) -> dict:
    promptwatch.flush(5)
    (record,) = sdk.of_type("llm-prompt")
    assert not sdk.invalid, sdk.invalid
    return record


def test_parts_that_are_not_text_stay_on_their_message(sdk):
    @observe(as_type="llm-prompt", name="vision")
    def vision(messages, model):
        return "A cat."

    parts = ["Look:", {"type": "text", "text": "what is this?"}, IMAGE, {"type": "refusal", "refusal": "no"}]
    vision([{"role": "user", "content": parts}], model="gpt-4o")
    record = _recorded(sdk)
    content = [IMAGE, {"type": "refusal", "refusal": "no"}]
    assert record["prompt"] == [{"role": "user", "text": "Look:\nwhat is this?", "content": content}]


def test_items_without_a_role_are_messages_of_the_prompt(sdk):
    @observe(as_type="llm-prompt", name="agent")
    def agent(messages, model):
        return "Sunny."

    call = {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{}"}
    agent(
        [
            {"role": "user", "content": "weather?"},
            call,
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        ],
        model="gpt-4o",
    )
    record = _recorded(sdk)
    tool_call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    assert record["prompt"] == [
        {"role": "user", "text": "weather?"},
        {"role": "assistant", "text": "", "tool_calls": [tool_call]},
        {"role": "tool", "text": "sunny", "tool_call_id": "c1"},
        {"text": "", "type": "web_search_call", "id": "ws_1", "status": "completed"},
    ]


def test_a_list_that_holds_something_other_than_messages_is_text(sdk):
    @observe(as_type="llm-prompt", name="odd")
    def odd(messages, model):
        return "?"

    odd([{"role": "user", "content": "hi"}, {"no": "type"}], model="gpt-4o")
    assert _recorded(sdk)["prompt"] == str([{"role": "user", "content": "hi"}, {"no": "type"}])
