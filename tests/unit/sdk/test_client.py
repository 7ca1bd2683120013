"""`promptwatch.Client` without a server that has the data: reading calls raise `PromptWatchError`, the
restore and the cache calls answer None / False and never raise (the live server: tests/integration)."""

from __future__ import annotations

import pytest

from promptwatch import Client, PromptWatchError


def test_without_a_key_nothing_is_sent_and_nothing_raises_but_get_session(sink):
    client = Client()
    with pytest.raises(PromptWatchError):
        client.get_session("s-1")
    assert client.restore_session("s-1") is None
    assert client.clear_cache("default.faq") is False
    assert client.get_cached_prompt("default.faq", [0.1, 0.2]) is None
    assert client.add_into_cache("default.faq", [0.1, 0.2], "answer", "id-1") is False
    assert sink.requests == 0


def test_a_server_that_answers_errors(sdk):
    client = Client(timeout=1.0)
    with pytest.raises(PromptWatchError, match="answered 501 to GET /test-cases"):  # the sink serves POST only
        client.get_test_cases(for_template_name="t")
    assert client.restore_session("s-1") is None  # the published client raised AttributeError here
    assert client.clear_cache("default.faq", until="2020-01-01 00:00:00+00:00") is False
    assert client.add_into_cache("default.faq", [0.1], "answer", "id-1") is False
    assert sdk.requests == 3  # the three POSTs


def test_the_argument_key_wins(sink, monkeypatch):
    monkeypatch.setenv("PROMPTWATCH_HOST_URL", sink.url)
    assert Client(api_key="someone-elses-key").pipeline.config.api_key == "someone-elses-key"
