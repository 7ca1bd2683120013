"""The published client's endpoints clean NUL themselves (the native API answers 400 to it): a NUL in
`GET /test-cases`' query is read as U+FFFD, as in their bodies and paths, so both databases answer alike and
find the calls whose template or project name was stored with it."""

from __future__ import annotations

import pytest

from tests.support.payloads import uid


def _annotated_call(template: str, generated: str) -> dict:
    return {
        "id": uid("a-"),
        "start_time": "2026-11-29T07:18:22+00:00",
        "end_time": "2026-11-29T07:18:23+00:00",
        "activity_type": "llm-prompt",
        "prompt": "Slogan for shoes",
        "generated": generated,
        "prompt_template": {"prompt_template": "Slogan for {product}", "template_name": template},
        "prompt_input_values": {"product": "shoes"},
        "feedback_label": 1,
    }


@pytest.mark.parametrize("parameter", ["for_template_name", "for_tracking_project"])
def test_a_nul_in_the_test_cases_query_is_read_as_a_replacement_character(client, parameter):
    name = f"n{uid()}"
    answer = client.get(f"/test-cases?{parameter}={name}%00")
    assert answer.status_code == 200, answer.text
    assert answer.json() == []


def test_a_template_named_with_a_nul_gives_its_cases_when_asked_with_one(client):
    template, sid = f"tpl{uid()}\u0000x", uid("s-")
    stored = client.post(f"/sessions/{sid}/activities", json=[_annotated_call(template, "Just do it")])
    assert stored.status_code == 200, stored.text
    cases = client.get(f"/test-cases?for_template_name={template.replace(chr(0), '%00')}")
    assert cases.status_code == 200, cases.text
    assert [case["outputs"] for case in cases.json()] == [[{"label": 1, "value": "Just do it"}]]
    assert cases.json()[0]["for_template_name"] == template.replace("\u0000", "\ufffd")
