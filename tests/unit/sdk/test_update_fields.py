"""`current_activity().update(...)`: of a mapping such as `usage`, only the fields the API would refuse are
left out, each with its warning; the others are sent."""

from __future__ import annotations

import promptwatch
from promptwatch import observe


def _update_and_send(sdk, **fields) -> dict:
    @observe(as_type="llm-prompt", name="llm")
    def my_llm(prompt):
        promptwatch.current_activity().update(**fields)
        return "done"

    my_llm("write a poem")
    promptwatch.flush(5)
    assert not sdk.invalid
    (record,) = [item for item in sdk.latest_activities().values() if item["name"] == "llm"]
    return record


def _left_out(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]


def test_a_refused_usage_field_is_left_out_and_the_others_are_kept(sdk, caplog):
    record = _update_and_send(sdk, usage={"prompt_tokens": 10, "completion_tokens": "many", "input_tokens": 3})
    assert record["usage"] == {"prompt_tokens": 10}
    assert _left_out(caplog) == [
        "PromptWatch: usage.completion_tokens was left out: Input should be a valid integer.",
        "PromptWatch: usage.input_tokens was left out: Extra inputs are not permitted.",
    ]


def test_a_usage_with_no_field_the_api_takes_is_left_out_whole(sdk, caplog):
    record = _update_and_send(sdk, model="m", usage={"completion_tokens": True})
    assert "usage" not in record and record["model"] == "m"
    assert _left_out(caplog) == ["PromptWatch: usage.completion_tokens was left out: Input should be a valid integer."]
